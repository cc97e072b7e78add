#!/usr/bin/env bash
# Real-browser check of the evaluation report: renders the report of the committed
# stance model on a committed fixture, screenshots it with headless Chromium
# (installed from Debian when missing) and checks that the picture is not blank.
# Saves the screenshot as docs/report.png.
#
#   scripts/check-report-browser.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-$(mktemp -d)}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

browser=""
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
    echo "installing chromium (Debian package)" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    browser=chromium
fi

cargo build --release --quiet --bin stance-eval
"$CARGO_TARGET_DIR/release/stance-eval" --model models/stance.model \
    --data tests/fixtures/report_stance.csv --group-col script --out "$OUT/report" >/dev/null
html="$OUT/report/report.html"
png="$OUT/report.png"
profile=$(mktemp -d)
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars \
    --screenshot="$png" --window-size=1280,3000 "file://$(realpath "$html")" 2>"$OUT/chromium.log" || {
    cat "$OUT/chromium.log" >&2; exit 1; }
rm -rf "$profile"
[ -s "$png" ] || { echo "no screenshot written" >&2; cat "$OUT/chromium.log" >&2; exit 1; }

# A tiny PNG decoder (8-bit RGB/RGBA, non-interlaced, as Chromium writes): count
# pixels that are clearly not white, overall and in colour (the plots).
python3 - "$png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
dark = coloured = 0
i = 0
for _ in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + ((a + b) >> 1)) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        r, g, bl = line[x], line[x + 1], line[x + 2]
        if min(r, g, bl) < 200:
            dark += 1
        if max(r, g, bl) - min(r, g, bl) > 40:
            coloured += 1
    prev = line
total = w * h
print(f"screenshot {w}x{h}: {dark} non-white pixels ({100 * dark / total:.2f}%), {coloured} coloured ({100 * coloured / total:.2f}%)")
assert dark > 0.01 * total, "screenshot looks blank"
assert coloured > 0.005 * total, "no coloured plots visible"
PY
mkdir -p docs
cp "$png" docs/report.png
echo "ok: $html rendered; screenshot saved as docs/report.png"
