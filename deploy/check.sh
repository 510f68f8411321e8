#!/usr/bin/env bash
# The test command: installs what the tests need (Debian packages), starts a throwaway
# PostgreSQL server, builds, runs every test, and checks the deploy files.
# Usage: deploy/check.sh        (from anywhere; works on a fresh Debian machine with Swift)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the four C libraries' headers, and the tools the tests drive (the sqlite3 and
# openssl shells, a real PostgreSQL server, headless Chromium for the report pages, nginx and
# systemd-analyze for the deploy files).
packages=(pkg-config libssl-dev libsqlite3-dev libmicrohttpd-dev libpq-dev sqlite3 openssl postgresql chromium nginx-light systemd curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nginx-light is only one way to have nginx; any installed nginx will do.
if command -v nginx >/dev/null 2>&1; then
  kept=(); for p in "${missing[@]}"; do [[ $p == nginx-light ]] || kept+=("$p"); done; missing=("${kept[@]+"${kept[@]}"}")
fi
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "check: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "check: missing Debian packages. Run as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# A throwaway PostgreSQL server for the PostgreSQL backend's tests (never a mock).
eval "$(deploy/postgres-test-server.sh start)"
cleanup() {
  deploy/postgres-test-server.sh stop "$TOWNBENCH_TEST_POSTGRES_DIR" >/dev/null 2>&1 || true
  # Servers a failed test may have left running.
  pkill -f "$PWD/.build/.*/townbench-(coordinator|node)" 2>/dev/null || true
}
trap cleanup EXIT

echo "check: building" >&2
swift build --build-tests
echo "check: testing" >&2
# A hung test must fail the run, not hold it: the whole suite takes a few minutes.
timeout --signal=KILL 1500 swift test --skip-build
echo "check: deploy files" >&2
deploy/check-deploy.sh
echo "check: fuzzing" >&2
# Each fuzz target for TOWNBENCH_FUZZ_SECONDS (default 30) after an instrumented build in .build-fuzz.
deploy/fuzz.sh
