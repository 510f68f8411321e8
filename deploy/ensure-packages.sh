#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are not installed yet (apt-get, as root);
# otherwise prints the apt-get command to run and exits 1. Used by check.sh, demo.sh, package.sh.
# Usage: deploy/ensure-packages.sh [--label NAME] PACKAGE…
set -euo pipefail
label=townbench
if [[ ${1:-} == --label ]]; then label="$2"; shift 2; fi
missing=()
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) -eq 0 ]]; then
    echo "$label: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "$label: missing Debian packages. Run as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi
