#!/usr/bin/env bash
# The test command: installs what the tests need (Debian packages), builds, runs every test.
# Usage: deploy/check.sh        (run from anywhere; works on a fresh Debian machine with Swift)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the four C libraries' headers plus the tools the tests drive.
packages=(pkg-config libssl-dev libsqlite3-dev libmicrohttpd-dev libpq-dev sqlite3 openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "check: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "check: missing Debian packages. Run as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

echo "check: building" >&2
swift build --build-tests
echo "check: testing" >&2
swift test --skip-build
