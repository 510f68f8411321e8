#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests: a fresh cluster in a temporary directory, run by an
# unprivileged user (initdb refuses root), listening on 127.0.0.1 and on a Unix socket in that
# directory only. Nothing of the machine's own PostgreSQL (Debian's default cluster) is touched.
#
# Usage:
#   eval "$(deploy/postgres-test-server.sh start)"     # prints `export …` lines, see below
#   … swift test …                                     # tests read TOWNBENCH_TEST_POSTGRES_URL
#   deploy/postgres-test-server.sh stop "$TOWNBENCH_TEST_POSTGRES_DIR"   # stops it, deletes the directory
#
# `start` prints (stdout, shell syntax):
#   TOWNBENCH_TEST_POSTGRES_URL   postgresql://townbench:…@127.0.0.1:PORT/townbench — a role that is
#                                 NOSUPERUSER NOBYPASSRLS (row-level security applies to it), owns the
#                                 database `townbench` and may CREATE DATABASE / schemas for tests.
#   TOWNBENCH_TEST_POSTGRES_SUPERUSER_URL  the cluster's superuser (postgres), only for tests that check
#                                 the coordinator refuses to run as a role that bypasses row-level security.
#   TOWNBENCH_TEST_POSTGRES_DIR   the cluster's directory (data, socket, log); give it to `stop`.
#   TOWNBENCH_TEST_POSTGRES_STOP  the stop command, ready for `trap "$TOWNBENCH_TEST_POSTGRES_STOP" EXIT`.
# As root, it installs Debian's `postgresql` when its binaries are missing and runs the server as
# the `postgres` user; as another user, it runs the server as that user.
set -euo pipefail

PG_VERSION=${PG_VERSION:-15}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/$PG_VERSION/bin}

log() { echo "postgres-test-server: $*" >&2; }

# Runs a command as the server's user (postgres when we are root, else ourselves).
as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then
    if command -v runuser >/dev/null; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
  else
    "$@"
  fi
}

ensure_installed() {
  [[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl && -x $PG_BIN/psql ]] && return
  if [[ $(id -u) -ne 0 ]]; then
    log "PostgreSQL $PG_VERSION binaries not found in $PG_BIN. Run as root: apt-get install -y postgresql"
    exit 1
  fi
  log "installing Debian's postgresql (binaries missing in $PG_BIN)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  # Debian's package may start its default cluster: leave it alone, we never use it.
  [[ -x $PG_BIN/initdb ]] || { log "postgresql installed but $PG_BIN/initdb is still missing; set PG_VERSION/PG_BIN"; exit 1; }
}

start() {
  ensure_installed
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/townbench-pg.XXXXXX")
  chmod 0755 "$dir"
  mkdir -p "$dir/data" "$dir/socket"
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres: "$dir"; fi
  chmod 0700 "$dir/data" "$dir/socket"
  local password
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$password" >"$dir/superuser.pw"
  chmod 0600 "$dir/superuser.pw"
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir/superuser.pw"; fi
  # Local (socket) connections: trust, but the socket directory is 0700 for the server's user.
  # TCP on 127.0.0.1: SCRAM passwords.
  as_server_user "$PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/superuser.pw" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { log "initdb failed:"; cat "$dir/initdb.log" >&2; exit 1; }
  local port started=""
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 40000))
    if as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir/socket -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null 2>&1; then
      started=1
      break
    fi
    log "port $port did not work, trying another (see $dir/server.log)"
  done
  [[ -n $started ]] || { log "could not start PostgreSQL; log:"; cat "$dir/server.log" >&2; exit 1; }
  local app_password
  app_password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  as_server_user "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/socket" -p "$port" -U postgres -d postgres >/dev/null <<SQL
CREATE ROLE townbench LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB NOCREATEROLE PASSWORD '$app_password';
CREATE DATABASE townbench OWNER townbench;
SQL
  local url="postgresql://townbench:$app_password@127.0.0.1:$port/townbench"
  local stop="$(cd "$(dirname "$0")" && pwd)/$(basename "$0") stop $dir"
  log "PostgreSQL $PG_VERSION running on 127.0.0.1:$port (socket $dir/socket), data in $dir"
  printf 'export TOWNBENCH_TEST_POSTGRES_URL=%q\n' "$url"
  printf 'export TOWNBENCH_TEST_POSTGRES_SUPERUSER_URL=%q\n' "postgresql://postgres:$password@127.0.0.1:$port/postgres"
  printf 'export TOWNBENCH_TEST_POSTGRES_DIR=%q\n' "$dir"
  printf 'export TOWNBENCH_TEST_POSTGRES_STOP=%q\n' "$stop"
}

stop() {
  local dir=${1:?usage: $0 stop DIR}
  [[ -d $dir/data && $(basename "$dir") == townbench-pg.* ]] || { log "$dir is not a directory this script created"; exit 1; }
  as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || log "server in $dir was not running"
  rm -rf "$dir"
}

case ${1:-} in
  start) start ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 64 ;;
esac
