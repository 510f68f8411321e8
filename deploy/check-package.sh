#!/usr/bin/env bash
# Checks a TownBench Debian package (built by deploy/package.sh, or given as the argument):
#   - its control fields (name, version = the binaries' --version, architecture, Depends on the
#     runtime C libraries only, no Swift runtime) and its contents (binaries, units, timer, nginx
#     example, man pages, completions, sysusers/tmpfiles, maintainer scripts);
#   - lintian, when installed (errors fail the check; warnings are printed);
#   - the packaged binaries, extracted to a temporary directory and run with a PATH and library
#     path that hold no Swift toolchain: --version, --help, man pages that render, and a node
#     `init` + `sensors import` + `import` of the examples in deploy/data-examples.
# Usage: deploy/check-package.sh [PACKAGE.deb]   (called by deploy/check.sh)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
deb="${1:-$("$repo/deploy/package.sh")}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/townbench-check-package.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
failures=0
ok() { echo "ok   package: $*"; }
fail() { echo "FAIL package: $*" >&2; failures=$((failures + 1)); }

field() { dpkg-deb --field "$deb" "$1"; }
version="$(field Version)"
[[ $(field Package) == townbench ]] && ok "name townbench" || fail "Package is '$(field Package)'"
[[ $(field Architecture) == "$(dpkg --print-architecture)" ]] && ok "architecture $(field Architecture)" || fail "Architecture"
depends="$(field Depends)"
for lib in libssl3 libsqlite3-0 libmicrohttpd12 libpq5 libxlsxwriter4 libc6; do
    [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
[[ $depends != *swift* ]] && ok "Depends: $depends" || fail "Depends names a Swift package: $depends"

contents="$(dpkg-deb --contents "$deb" | awk '{print $6}')"
for path in ./usr/bin/townbench-node ./usr/bin/townbench-coordinator \
    ./lib/systemd/system/townbench-coordinator.service ./lib/systemd/system/townbench-node-push.service \
    ./lib/systemd/system/townbench-node-push.timer ./usr/share/doc/townbench/examples/nginx-townbench-coordinator.conf \
    ./usr/share/man/man1/townbench-node.1.gz ./usr/share/man/man1/townbench-coordinator.1.gz \
    ./usr/share/bash-completion/completions/townbench-node ./usr/share/bash-completion/completions/townbench-coordinator \
    ./usr/lib/sysusers.d/townbench.conf ./usr/lib/tmpfiles.d/townbench.conf ./usr/share/doc/townbench/copyright; do
    grep -qxF "$path" <<<"$contents" || fail "missing $path"
done
ok "contents ($(wc -l <<<"$contents") entries)"
# Listings are read whole before they are searched: `grep -q` stops at the first match, and under
# pipefail the writer's SIGPIPE would fail the pipeline (a found postinst reported as missing).
control=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)
grep -qx './postinst' <<<"$control" && ok "postinst" || fail "no postinst"

if command -v lintian >/dev/null 2>&1; then
    # Tags that do not apply: a binary package built outside a Debian source tree, statically
    # linked Swift runtime (its embedded libraries are not Debian's).
    report="$(lintian --tag-display-limit 0 --suppress-tags \
        embedded-library,statically-linked-binary,hardening-no-fortify-functions,hardening-no-pie,binary-has-unneeded-section \
        "$deb" 2>/dev/null || true)"
    if grep -q '^E: ' <<<"$report"; then
        fail "lintian errors:"; grep '^E: ' <<<"$report" >&2
    else
        ok "lintian (no errors$(grep -c '^W: ' <<<"$report" | sed 's/^/, warnings: /'))"
    fi
    grep '^W: ' <<<"$report" | sed 's/^/     /' || true
else
    echo "skip package: lintian is not installed (apt-get install -y lintian)"
fi

# The packaged binaries, with no Swift toolchain reachable.
dpkg-deb -x "$deb" "$tmp/root"
bin="$tmp/root/usr/bin"
libraries=$(ldd "$bin/townbench-node" "$bin/townbench-coordinator")
if grep -qi swift <<<"$libraries"; then
    fail "a binary loads a Swift library:"; ldd "$bin/townbench-node" "$bin/townbench-coordinator" | grep -i swift >&2
else
    ok "no Swift shared library loaded (ldd)"
fi
bare() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$tmp" LANG=C.UTF-8 "$@"; }
bare sh -c 'command -v swift >/dev/null' && fail "swift is on the bare PATH"
for exe in townbench-node townbench-coordinator; do
    [[ $(bare "$bin/$exe" --version) == "$exe $version" ]] && ok "$exe --version = $version" || fail "$exe --version"
    help=$(bare "$bin/$exe" --help) && grep -q '^OVERVIEW: ' <<<"$help" && ok "$exe --help" || fail "$exe --help"
    if command -v man >/dev/null 2>&1; then
        page=$(bare man -l "$tmp/root/usr/share/man/man1/$exe.1.gz" 2>/dev/null) && grep -q "$exe" <<<"$page" \
            && ok "man $exe" || fail "man page of $exe does not render"
    fi
    bash -n "$tmp/root/usr/share/bash-completion/completions/$exe" && ok "completion $exe" || fail "completion $exe"
done
examples="$repo/deploy/data-examples"
node="$tmp/node"
if bare "$bin/townbench-node" init --dir "$node" --town harelbeke --tenant daks >/dev/null \
    && bare "$bin/townbench-node" sensors import --dir "$node" "$examples/sensors.csv" >/dev/null \
    && bare "$bin/townbench-node" import --dir "$node" --format counts "$examples/counts.csv" >/dev/null \
    && bare "$bin/townbench-node" import --dir "$node" --format telraam "$examples/telraam-traffic-report.json" >/dev/null \
    && bare "$bin/townbench-node" import --dir "$node" --format spending "$examples/spending.csv" >/dev/null \
    && bare "$bin/townbench-node" import --dir "$node" --format events "$examples/events.csv" >/dev/null \
    && bare "$bin/townbench-node" import --dir "$node" --format school-holidays "$examples/school-holidays.csv" >/dev/null \
    && bare "$bin/townbench-node" import --dir "$node" --format opening-hours "$examples/opening-hours.csv" >/dev/null \
    && bare "$bin/townbench-node" parking sites import --dir "$node" "$examples/parking-sites.csv" >/dev/null \
    && bare "$bin/townbench-node" import --dir "$node" --format parking-datex "$examples/parking-status-datex2.xml" >/dev/null \
    && bare "$bin/townbench-node" import --dir "$node" --format parking "$examples/parking.csv" >/dev/null \
    && bare "$bin/townbench-node" import --dir "$node" --format visitor-origin "$examples/visitor-origin.csv" >/dev/null \
    && bare "$bin/townbench-node" import --dir "$node" --format dwell-time "$examples/dwell-time.csv" >/dev/null \
    && bare "$bin/townbench-node" status --dir "$node" >/dev/null; then
    ok "the packaged node imports the examples"
else
    fail "the packaged node could not init and import the examples"
fi
if bare "$bin/townbench-coordinator" init --dir "$tmp/coordinator" --name check.example.org >/dev/null; then
    ok "the packaged coordinator creates its store"
else
    fail "the packaged coordinator could not init"
fi

((failures == 0)) || { echo "check-package: $failures failure(s) in $deb" >&2; exit 1; }
echo "ok   package: $(basename "$deb")"
