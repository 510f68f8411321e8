#!/usr/bin/env bash
# Builds the Debian package of TownBench: townbench_<version>_<arch>.deb, for a town's or an
# operator's machine that has no Swift toolchain.
#   deploy/package.sh [--out DIR] [--scratch-path DIR]
# Both executables are built in release with the Swift standard library and Foundation linked
# statically, so the package depends only on Debian's runtime C libraries (found by
# dpkg-shlibdeps: libssl3, libsqlite3-0, libmicrohttpd12, libpq5, libminizip1 (XLSX imports),
# libxlsxwriter4 (the reports' XLSX tables), libcurl4 for the node's HTTP client and libxml2 for
# FoundationXML, which reads XLSX parts and DATEX II parking publications). It holds the systemd
# units and timer, the nginx example, man pages generated from
# `--help` by help2man, and bash completions; installing it creates the `townbench` system user and
# the state directories (systemd-sysusers / systemd-tmpfiles); removing or purging it keeps them.
# Prints the path of the .deb on stdout. Needs (installed with apt-get when run as root):
# dpkg-dev, help2man, and the -dev packages of the build.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/.build/package"
scratch="$repo/.build/release-static"
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift ;;
        --scratch-path) scratch="$2"; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "Error: unknown option '$1'. See: $0 --help" >&2; exit 64 ;;
    esac
    shift
done

"$repo/deploy/ensure-packages.sh" --label package dpkg-dev help2man pkg-config libssl-dev libsqlite3-dev \
    libmicrohttpd-dev libpq-dev libminizip-dev libxlsxwriter-dev libcurl4-openssl-dev libxml2-dev

cd "$repo"
echo "package: building release binaries (static Swift runtime)" >&2
swift build -c release --static-swift-stdlib --scratch-path "$scratch" \
    --product townbench-node >&2
swift build -c release --static-swift-stdlib --scratch-path "$scratch" \
    --product townbench-coordinator >&2
bin="$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)"

version="$("$bin/townbench-node" --version | awk '{print $2}')"
[[ $version == "$("$bin/townbench-coordinator" --version | awk '{print $2}')" ]] || {
    echo "Error: the two executables print different versions" >&2; exit 1; }
arch="$(dpkg --print-architecture)"
maintainer="TownBench developers <townbench@lists.example.org>"
root="$(mktemp -d "${TMPDIR:-/tmp}/townbench-package.XXXXXX")"
trap 'rm -rf "$root"' EXIT
pkg="$root/townbench"
doc="$pkg/usr/share/doc/townbench"
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$doc/examples" "$pkg/usr/share/man/man1" \
    "$pkg/usr/share/bash-completion/completions" "$pkg/usr/lib/sysusers.d" "$pkg/usr/lib/tmpfiles.d"

# Executables, stripped (lintian wants no debug symbols in /usr/bin).
for exe in townbench-node townbench-coordinator; do
    install -m 0755 "$bin/$exe" "$pkg/usr/bin/$exe"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$pkg/usr/bin/$exe"
done

# The units name /usr/local/bin for hand installs; the package puts the binaries in /usr/bin.
for unit in deploy/systemd/*.service deploy/systemd/*.timer; do
    sed 's#/usr/local/bin/#/usr/bin/#g' "$unit" >"$pkg/lib/systemd/system/$(basename "$unit")"
    chmod 0644 "$pkg/lib/systemd/system/$(basename "$unit")"
done
install -m 0644 deploy/nginx/townbench-coordinator.conf "$doc/examples/nginx-townbench-coordinator.conf"
for example in deploy/examples/* deploy/data-examples/*; do
    install -m 0644 "$example" "$doc/examples/$(basename "$example")"
done
install -m 0644 README.md "$doc/README.md"
gzip -9n <CHANGELOG.md >"$doc/CHANGELOG.md.gz"
# The Debian changelog points to the project's own (its date: the newest release's).
released="$(sed -n 's/^## \[[^]]*\] - \([0-9-]*\).*/\1/p' CHANGELOG.md | head -n 1)"
printf 'townbench (%s) stable; urgency=medium\n\n  * Release %s: see /usr/share/doc/townbench/CHANGELOG.md.gz.\n\n -- %s  %s\n' \
    "$version" "$version" "$maintainer" "$(date -R -u -d "${released:-today}")" | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/CHANGELOG.md.gz" "$doc/changelog.gz"

# The user and directories the units expect (User=townbench, /var/lib/townbench-*).
cat >"$pkg/usr/lib/sysusers.d/townbench.conf" <<'EOF'
# The TownBench service user (coordinator and node run as it).
u townbench - "TownBench" /var/lib/townbench-node /usr/sbin/nologin
EOF
cat >"$pkg/usr/lib/tmpfiles.d/townbench.conf" <<'EOF'
# State of the TownBench node and coordinator: owned by townbench, private. Never removed.
d /var/lib/townbench-node 0700 townbench townbench -
d /var/lib/townbench-coordinator 0700 townbench townbench -
EOF
chmod 0644 "$pkg/usr/lib/sysusers.d/townbench.conf" "$pkg/usr/lib/tmpfiles.d/townbench.conf"

# Man pages from --help (help2man), with every subcommand's help as a section.
for exe in townbench-node townbench-coordinator; do
    include="$root/$exe.h2m"
    {
        echo "[COMMANDS]"
        "$bin/$exe" --help | awk '/^SUBCOMMANDS:/{on=1;next} on&&/^  [a-z]/{print $1}' | while read -r sub; do
            echo ".SS $sub"
            echo ".nf"
            "$bin/$exe" "$sub" --help | sed 's/\\/\\\\/g; s/^\./\\\&./'
            echo ".fi"
        done
        echo "[FILES]"
        echo "/var/lib/townbench-node, /var/lib/townbench-coordinator: state (store, keys), kept when the package is removed."
        echo "[SEE ALSO]"
        echo "/usr/share/doc/townbench/README.md"
    } >"$include"
    help2man --no-info --section=1 --source="TownBench $version" --include="$include" \
        --name="$("$bin/$exe" --help | sed -n 's/^OVERVIEW: //p' | sed 's/\.$//')" \
        "$bin/$exe" | gzip -9n >"$pkg/usr/share/man/man1/$exe.1.gz"
    chmod 0644 "$pkg/usr/share/man/man1/$exe.1.gz"
done

# Bash completions: subcommands and each subcommand's options, read from --help.
for exe in townbench-node townbench-coordinator; do
    fn="_${exe//-/_}"
    {
        echo "# bash completion for $exe (generated from its --help by deploy/package.sh)"
        echo "$fn() {"
        echo '    local cur="${COMP_WORDS[COMP_CWORD]}" words'
        echo '    case "${COMP_WORDS[1]}" in'
        subs="$("$bin/$exe" --help | awk '/^SUBCOMMANDS:/{on=1;next} on&&/^  [a-z]/{print $1}' | tr '\n' ' ')"
        for sub in $subs; do
            subhelp="$("$bin/$exe" "$sub" --help)"
            nested="$(printf '%s\n' "$subhelp" | awk '/^SUBCOMMANDS:/{on=1;next} on&&/^  [a-z]/{print $1}' | tr '\n' ' ')"
            options="$( { printf '%s\n' "$subhelp"; for n in $nested; do "$bin/$exe" "$sub" "$n" --help; done; } \
                | grep -oE -- '--[a-z][a-z0-9-]*' | grep -vx -- --help | sort -u | tr '\n' ' ')"
            echo "        $sub) words=\"$nested$options--help\" ;;"
        done
        echo "        *) words=\"$subs--help --version\" ;;"
        echo '    esac'
        echo '    if [[ $COMP_CWORD -eq 1 ]]; then words="'"$subs"'--help --version"; fi'
        echo '    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")'
        echo '    [[ ${#COMPREPLY[@]} -gt 0 ]] || mapfile -t COMPREPLY < <(compgen -f -- "$cur")'
        echo '}'
        echo "complete -F $fn $exe"
    } >"$pkg/usr/share/bash-completion/completions/$exe"
    chmod 0644 "$pkg/usr/share/bash-completion/completions/$exe"
done

cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: TownBench
Source: the TownBench repository

Files: *
Copyright: $(date +%Y) the TownBench developers
License: Apache-2.0
 On Debian systems, the full text of the Apache License, Version 2.0 can be found in
 /usr/share/common-licenses/Apache-2.0.
EOF
chmod 0644 "$doc/copyright"

# Maintainer scripts: create the user and directories; never remove data.
cat >"$pkg/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if command -v systemd-sysusers >/dev/null 2>&1; then
        systemd-sysusers townbench.conf
    elif ! getent passwd townbench >/dev/null; then
        useradd --system --user-group --home-dir /var/lib/townbench-node --shell /usr/sbin/nologin townbench
    fi
    if command -v systemd-tmpfiles >/dev/null 2>&1; then
        systemd-tmpfiles --create townbench.conf
    else
        install -d -m 0700 -o townbench -g townbench /var/lib/townbench-node /var/lib/townbench-coordinator
    fi
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload >/dev/null || true
    fi
fi
exit 0
EOF
cat >"$pkg/DEBIAN/postrm" <<'EOF'
#!/bin/sh
# The towns' data and keys in /var/lib/townbench-* and the townbench user are kept on remove and
# on purge: delete them by hand if you really mean to.
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null || true
fi
exit 0
EOF
cat >"$pkg/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ] && command -v deb-systemd-invoke >/dev/null 2>&1; then
    deb-systemd-invoke stop townbench-node-push.timer townbench-coordinator.service >/dev/null 2>&1 || true
fi
exit 0
EOF
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/postrm" "$pkg/DEBIAN/prerm"

# Depends: the shared libraries the binaries load, as dpkg-shlibdeps finds them.
mkdir -p "$root/debian"
printf 'Source: townbench\n\nPackage: townbench\nArchitecture: any\n' >"$root/debian/control"
depends="$(cd "$root" && dpkg-shlibdeps -O -e"$pkg/usr/bin/townbench-node" -e"$pkg/usr/bin/townbench-coordinator" 2>/dev/null \
    | sed -n 's/^shlibs:Depends=//p')"
[[ -n $depends ]] || { echo "Error: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size="$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)"
cat >"$pkg/DEBIAN/control" <<EOF
Package: townbench
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends, systemd | passwd
Section: net
Priority: optional
Description: federated benchmarking network for town centres
 A town node imports the sensor data a town buys (pedestrian counts, vehicle
 counts, store entries, card spending), keeps the raw rows local and sends
 signed weekly aggregates; a coordinator verifies them and computes
 standardised indicators (footfall index, event uplift, conversion rate)
 across the towns of each regional network, with a transparency log.
 .
 This package holds both executables, townbench-node and
 townbench-coordinator, built with the Swift runtime linked statically.
EOF
(cd "$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/townbench_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >&2
echo "$deb"
