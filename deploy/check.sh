#!/usr/bin/env bash
# The test command: installs what the tests need (Debian packages), starts a throwaway
# PostgreSQL server, builds, runs every test, checks the deploy files and builds and checks the
# Debian package.
# Usage: deploy/check.sh        (from anywhere; works on a fresh Debian machine with Swift)
# Everything the tests read must be in the repository, so the suite runs in a copy of it (the
# files a commit would hold: tracked and new, not ignored) in a directory with nothing beside it,
# `${TMPDIR:-/tmp}/townbench-check-<hash of this checkout's path>/townbench` (kept between runs so
# builds stay incremental).
# Environment: TOWNBENCH_CHECK_DIR (where that copy lives), TOWNBENCH_CHECK_PACKAGE=0 (skip the
# Debian package: a release build of a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the six C libraries' headers, and the tools the tests drive (the sqlite3 and
# openssl shells, a real PostgreSQL server, headless Chromium for the report pages, Python's
# openpyxl as the oracle that reads the XLSX tables back, nginx and systemd-analyze for the
# deploy files).
# rsync stages the copy; dpkg-dev, help2man, lintian, man-db and libcurl's and libxml2's headers
# (the static Foundation and FoundationXML link them) build and check the Debian package.
packages=(pkg-config libssl-dev libsqlite3-dev libmicrohttpd-dev libpq-dev libminizip-dev libxlsxwriter-dev python3-openpyxl sqlite3 openssl postgresql chromium nginx-light systemd curl
          rsync dpkg-dev help2man lintian man-db libcurl4-openssl-dev libxml2-dev)
# nginx-light is only one way to have nginx; any installed nginx will do.
if command -v nginx >/dev/null 2>&1; then
  kept=(); for p in "${packages[@]}"; do [[ $p == nginx-light ]] || kept+=("$p"); done; packages=("${kept[@]}")
fi
deploy/ensure-packages.sh --label check "${packages[@]}"

# Run from a copy of the repository with nothing beside it (once: the copy runs this script).
if [[ ${TOWNBENCH_CHECK_STAGED:-0} != 1 ]]; then
  # One copy per checkout (two checkouts checking at once must not share one).
  stage="${TOWNBENCH_CHECK_DIR:-${TMPDIR:-/tmp}/townbench-check-$(printf '%s' "$PWD" | sha256sum | cut -c1-12)}"
  mkdir -p "$stage/townbench"
  find "$stage" -mindepth 1 -maxdepth 1 ! -name townbench -exec rm -rf {} +
  # The repository's .gitignore decides what a commit holds; ignored build folders in the copy are
  # kept (rsync never deletes excluded files), so its builds stay incremental.
  rsync -a --delete --exclude=/.git --filter=':- .gitignore' ./ "$stage/townbench/"
  echo "check: testing a copy of the repository in $stage/townbench (nothing beside it)" >&2
  TOWNBENCH_CHECK_STAGED=1 exec "$stage/townbench/deploy/check.sh"
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
if [[ ${TOWNBENCH_CHECK_PACKAGE:-1} != 0 ]]; then
  echo "check: Debian package" >&2
  deploy/check-package.sh
fi
echo "check: fuzzing" >&2
# Each fuzz target for TOWNBENCH_FUZZ_SECONDS (default 30) after an instrumented build in .build-fuzz.
deploy/fuzz.sh
