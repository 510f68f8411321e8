#!/usr/bin/env bash
# HTTP server benchmark: requests per second of HTTPServer (libmicrohttpd) on loopback with wrk,
# for each threading mode: an empty GET, a POST with a 2 KB body accumulated across calls, and a
# handler that blocks 2 ms (like a submission waiting for its group commit).
# The coordinator's submission rate is measured against the same kind of empty route
# (deploy/bench/coordinator.sh); this is the HTTP layer alone.
# Usage: deploy/bench/http-empty.sh [SECONDS] [CONNECTIONS]   (default 5 32). SKIP_BUILD=1 reuses the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-5}"
connections="${2:-32}"
scratch="${SCRATCH:-.build-http}"
work=$(mktemp -d /tmp/townbench-http-bench.XXXXXX)
server_pid=""
cleanup() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

command -v wrk >/dev/null || { echo "http-empty: wrk is missing. Run: apt-get install -y wrk" >&2; exit 1; }
if [ -z "${SKIP_BUILD:-}" ]; then
  echo "== build (release)" >&2
  swift build -c release --scratch-path "$scratch" --product bench-http >&2
fi
bin="$scratch/release/bench-http"

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("x", 2048)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

echo "== machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), libmicrohttpd $(pkg-config --modversion libmicrohttpd), wrk -t2 -c$connections -d${seconds}s on the same cores"
rate() { awk '/Requests\/sec/ {printf "%.0f", $2}'; }
latency() { awk '/^    Latency/ {print $2}'; }
for threads in 16 2 connection; do
  "$bin" --threads "$threads" --block-ms 2 > "$work/port" 2>"$work/err" &
  server_pid=$!
  for _ in $(seq 1 50); do grep -q port= "$work/port" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -n 's/^port=//p' "$work/port")
  base="http://127.0.0.1:$port"
  wrk -t2 -c"$connections" -d1s "$base/empty" >/dev/null  # warm-up
  empty=$(wrk -t2 -c"$connections" -d"${seconds}s" "$base/empty")
  post=$(wrk -t2 -c"$connections" -d"${seconds}s" -s "$work/post.lua" "$base/sink")
  block=$(wrk -t2 -c"$connections" -d"${seconds}s" "$base/block")
  printf 'threads=%-10s empty_get=%6s/s (p50-ish avg %s)  post_2k=%6s/s (%s)  blocking_2ms=%6s/s (%s)\n' \
    "$threads" "$(rate <<<"$empty")" "$(latency <<<"$empty")" "$(rate <<<"$post")" "$(latency <<<"$post")" \
    "$(rate <<<"$block")" "$(latency <<<"$block")"
  errors=$(grep -h "Non-2xx\|Socket errors" <<<"$empty$post$block" || true)
  [ -n "$errors" ] && echo "  $errors"
  kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
done
