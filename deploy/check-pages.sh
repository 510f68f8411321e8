#!/bin/sh
# Renders HTML pages with headless Chromium (Debian's `chromium` package) to PNG and fails when a
# page is blank or logs anything to the console (our pages carry no JavaScript, so any console
# line — a script error, a CSP violation, a resource that failed to load — is a defect).
#
# Usage: deploy/check-pages.sh [-o OUTDIR] PAGE.html...
#   PNGs go to OUTDIR (default: a new directory under ${TMPDIR:-/tmp}), named after each page.
#   WIDTH and HEIGHT (environment) set the window, default 1280x2400.
# Exit: 0 all pages fine, 1 a page failed, 2 Chromium is not installed (install it with
# `apt-get install -y chromium`), 64 usage.
set -eu

out=""
if [ "${1:-}" = "-o" ]; then out="${2:?-o needs a directory}"; shift 2; fi
if [ "$#" -eq 0 ]; then
    echo "Usage: $0 [-o OUTDIR] PAGE.html..." >&2
    exit 64
fi
browser=""
for candidate in chromium chromium-browser; do
    if command -v "$candidate" >/dev/null 2>&1; then browser="$candidate"; break; fi
done
if [ -z "$browser" ]; then
    echo "Error: Chromium is not installed; install it with: apt-get install -y chromium" >&2
    exit 2
fi
[ -n "$out" ] || out="$(mktemp -d "${TMPDIR:-/tmp}/townbench-pages.XXXXXX")"
mkdir -p "$out"
profile="$(mktemp -d "${TMPDIR:-/tmp}/townbench-chromium.XXXXXX")"
trap 'rm -rf "$profile"' EXIT INT TERM
width="${WIDTH:-1280}"
height="${HEIGHT:-2400}"
status=0

for page in "$@"; do
    if [ ! -f "$page" ]; then
        echo "FAIL $page: no such file" >&2
        status=1
        continue
    fi
    abs="$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
    stem="$(basename "$(dirname "$abs")")-$(basename "$abs" .html)"
    png="$out/$stem.png"
    log="$out/$stem.log"
    rm -f "$png"
    # --no-sandbox: Chromium refuses to start as root with its sandbox (containers, CI).
    timeout 90 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --disable-extensions --disable-background-networking --user-data-dir="$profile" \
        --enable-logging=stderr --v=0 --window-size="$width,$height" \
        --screenshot="$png" "file://$abs" >"$log" 2>&1 || true
    if [ ! -s "$png" ]; then
        echo "FAIL $page: Chromium wrote no screenshot (see $log)" >&2
        status=1
        continue
    fi
    console="$(grep -E ':CONSOLE[(:]|Refused to|Failed to load resource' "$log" || true)"
    if [ -n "$console" ]; then
        echo "FAIL $page: console output:" >&2
        echo "$console" >&2
        status=1
        continue
    fi
    if ! verdict="$(python3 - "$png" <<'PY'
# Decides whether a PNG is blank without third-party modules. A scanline of a uniform row, after
# PNG filtering (None, Sub, Up, Average, Paeth), repeats one byte value after its first pixel; a row
# with text or lines does not. A page whose rows are all uniform (or nearly: < 1 %) is blank.
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    print("not a PNG"); sys.exit(1)
pos, idat, width, height, bpp = 8, [], 0, 0, 4
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour, 4) * max(1, depth // 8)
    elif kind == b"IDAT":
        idat.append(body)
    pos += 12 + length
raw = zlib.decompress(b"".join(idat))
stride = width * bpp + 1
content = 0
for y in range(height):
    row = raw[y * stride + 1 + bpp:(y + 1) * stride]
    if row and row.count(row[:1]) != len(row):
        content += 1
share = content / max(1, height)
print("%dx%d, %.1f%% of rows with content" % (width, height, share * 100))
sys.exit(0 if share >= 0.01 else 1)
PY
)"; then
        echo "FAIL $page: blank page ($verdict), screenshot $png" >&2
        status=1
        continue
    fi
    echo "ok   $page -> $png ($verdict)"
done
exit "$status"
