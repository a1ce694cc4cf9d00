#!/bin/bash
# `ovc plot` and `ovc report --html` in headless Chromium, on the article's
# two programs (article-reserve: ~128 TiB reserved, nothing touched;
# article-touch: 2 GiB reserved and touched) and a long busy run
# (tests/programs/busy for 3 s with OVC_INTERVAL=1: thousands of samples).
# For each: the SVG carries the exact peaks found by reading the log here
# (so the reduced series kept them) with at most 2,000 points per series;
# Chromium renders the SVG and the HTML pages to PNG without console
# errors, and the PNGs are not blank (distinct colours counted by decoding
# the PNG with python3's zlib: no PIL needed).
#
# Usage: charts-test.sh OVC_BIN PROGRAMS_DIR TMP_DIR
# Exits 0 on success, 1 on failure, 77 (meson: skipped) when Chromium or
# python3 cannot be had. Chromium is installed with apt-get when missing
# and we are root. KEEP_CHARTS=1 keeps the work directory.
set -u

if [ $# -ne 3 ]; then
	echo "usage: $0 OVC_BIN PROGRAMS_DIR TMP_DIR" >&2
	exit 2
fi
ovc=$1 progs=$2 tmp=$3

. "$(dirname "$0")/chromium.sh"

work=$(mktemp -d "$tmp/tmp-charts.XXXXXX") || fail "mktemp"
keep=1 # until the test passed: what it saw stays for a look
cleanup() { [ "$keep" = 1 ] || [ "${KEEP_CHARTS:-0}" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT

# The programs' environment as the other integration tests give it.
run_traced() { # DIR [VAR=VALUE...] -- PROGRAM ARGS...
	local dir=$1
	shift
	env -u MALLOC_PERTURB_ -u MALLOC_CHECK_ -u GLIBC_TUNABLES -u OVC_SAMPLE \
		-u OVC_LARGE -u OVC_INTERVAL -u OVC_BUDGET -u OVC_PREFAULT \
		"$@" >"$dir.out" 2>"$dir.err"
}

echo "running article-reserve, article-touch, busy (3 s, OVC_INTERVAL=1)"
run_traced "$work/reserve" timeout 120 "$ovc" run -q -o "$work/reserve" -- \
	"$progs/article-reserve" || fail "article-reserve: $(cat "$work/reserve.err")"
run_traced "$work/touch" timeout 60 "$ovc" run -q -o "$work/touch" -- \
	"$progs/article-touch" || fail "article-touch: $(cat "$work/touch.err")"
run_traced "$work/busy" OVC_INTERVAL=1 timeout 60 "$ovc" run -q -o "$work/busy" -- \
	"$progs/busy" 3 || fail "busy: $(cat "$work/busy.err")"

for name in reserve touch busy; do
	timeout 120 "$ovc" plot -o "$work/$name.svg" "$work/$name" \
		2>"$work/$name.plot.err" || fail "ovc plot $name: $(cat "$work/$name.plot.err")"
done
timeout 120 "$ovc" report --html "$work/report.html" "$work/reserve" \
	"$work/touch" "$work/busy" 2>"$work/report.err" ||
	fail "ovc report --html: $(cat "$work/report.err")"
timeout 120 "$ovc" plot -o "$work/plots.html" "$work/reserve" "$work/touch" \
	"$work/busy" 2>"$work/plots.err" || fail "ovc plot -o .html: $(cat "$work/plots.err")"

# ---- the exact peaks, read from the logs independently ----

"$python" - "$work" "$ovc" <<'PY' || fail "the charts do not carry the logs' peaks (see $work)"
import glob, json, re, subprocess, sys

work, ovc = sys.argv[1], sys.argv[2]
ok = True

def check(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok = ok and cond

for name, min_samples, log_scale in (("reserve", 100, True), ("touch", 50, None),
                                     ("busy", 1000, None)):
    logs = glob.glob("%s/%s/ovc.*.jsonl" % (work, name))
    check(len(logs) == 1, "%s: one log" % name)
    peaks = {"live": 0, "vm": 0, "rss": 0, "anon": 0}
    samples = 0
    # The exact peaks where the log has them (peak_live; the kernel's
    # VmPeak and VmHWM); anonymous: RssAnon, and where VmHWM rose between
    # two samples, VmHWM minus the larger file resident of the two
    # (docs/report-json.md).
    hwm = file = None
    for line in open(logs[0], encoding="utf-8"):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("t") == "proc":
            b = r["baseline"]
            hwm, file = b["rss"], b["shared"]
        if r.get("t") != "s":
            continue
        samples += 1
        anon = r.get("rss_anon", r["rss"] - r["shared"])
        peaks["live"] = max(peaks["live"], r["live"], r["peak_live"])
        peaks["vm"] = max(peaks["vm"], r["vm"], r.get("vm_peak", 0))
        peaks["rss"] = max(peaks["rss"], r["rss"], r.get("rss_hwm", 0))
        peaks["anon"] = max(peaks["anon"], anon)
        if "rss_hwm" in r:
            if r["rss_hwm"] > hwm and r["rss_hwm"] > r["rss"]:
                peaks["anon"] = max(peaks["anon"],
                                    r["rss_hwm"] - max(file, r["rss"] - anon))
            hwm, file = r["rss_hwm"], r["rss"] - anon
    # the report's figures are the same numbers
    rep = json.loads(subprocess.run([ovc, "report", "--json", "%s/%s" % (work, name)],
                                    capture_output=True, check=True).stdout)
    proc = rep["processes"][0]
    for series, key in (("live", "peak_live_bytes"), ("vm", "peak_vm_bytes"),
                        ("rss", "peak_rss_bytes"), ("anon", "peak_anon_rss_bytes")):
        check(proc[key] == peaks[series], "%s: the report's %s %d is the log's peak %d"
              % (name, key, proc[key], peaks[series]))
    check(samples >= min_samples, "%s: %d samples (at least %d)" % (name, samples, min_samples))
    svg = open("%s/%s.svg" % (work, name), encoding="utf-8").read()
    check(svg.startswith("<?xml") and svg.rstrip().endswith("</svg>"), "%s: an SVG document" % name)
    for series, peak in peaks.items():
        m = re.search(r'<polyline class="series" data-series="%s" data-points="(\d+)" '
                      r'data-max-bytes="(\d+)"' % series, svg)
        check(m is not None, "%s: a %s line" % (name, series))
        if m is None:
            continue
        points, top = int(m.group(1)), int(m.group(2))
        check(points <= 2000, "%s: %s has %d points (at most 2000)" % (name, series, points))
        check(top == peak, "%s: the %s line reaches the log's peak %d (has %d)" % (name, series, peak, top))
        m = re.search(r'<circle class="peak" data-series="%s" data-peak-bytes="(\d+)"' % series, svg)
        check(m is not None and int(m.group(1)) == peak,
              "%s: the %s peak %d is marked" % (name, series, peak))
    if log_scale:
        check('data-scale="log"' in svg, "%s: log scale (TiB beside MiB)" % name)
    check('data-ref="MemTotal"' in svg, "%s: a MemTotal line" % name)
    check("most untouched sites" in svg or name == "touch", "%s: sites named" % name)
    if name == "busy":
        check(samples > int(re.search(
            r'data-series="live" data-points="(\d+)"', svg).group(1)),
            "busy: reduced (%d samples)" % samples)

html = open(work + "/report.html", encoding="utf-8").read()
check(html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3, "report.html: three charts")
check("<details>" in html, "report.html: stacks in <details>")
check("exceeds_commit_limit" in html, "report.html: the verdicts")
check("main (article-reserve.c:" in html, "report.html: the reserving site")
for page in ("report.html", "plots.html"):
    text = open(work + "/" + page, encoding="utf-8").read()
    urls = [u for u in re.findall(r'(?:https?:)?//[^\s"\'<>)]+', text)
            if not u.startswith("http://www.w3.org/2000/svg")]
    check(not urls, "%s: no external resource %s" % (page, urls[:3]))
    check("<script" not in text, "%s: no script" % page)
sys.exit(0 if ok else 1)
PY

# ---- Chromium renders them ----

cat >"$work/pngcheck.py" <<'PY'
# Decodes an 8-bit RGB(A) PNG with zlib (no PIL) and prints its size and
# number of distinct colours; exit 1 when it looks blank.
import struct, sys, zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), "colour type %d depth %d" % (ctype, depth)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours = set()
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1:
            line[i] = (line[i] + a) & 255
        elif f == 2:
            line[i] = (line[i] + b) & 255
        elif f == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 2 == 0:
        for x in range(0, stride, bpp * 2):
            colours.add(bytes(line[x:x + 3]))
    prev = line
print("%dx%d, %d colours" % (w, h, len(colours)))
sys.exit(0 if len(colours) >= int(sys.argv[2]) else 1)
PY

render() { # FILE WIDTH HEIGHT
	local file=$1 png=$1.png
	rm -f "$png"
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$work/chrome.XXXXXX")" \
		--enable-logging=stderr --v=0 --hide-scrollbars \
		--window-size="$2,$3" --screenshot="$png" "file://$file" \
		>"$file.chrome.out" 2>"$file.chrome.err" ||
		fail "chromium on $file exited $? (see $file.chrome.err)"
	[ -s "$png" ] || fail "chromium wrote no $png (see $file.chrome.err)"
	if grep -E 'Uncaught|CONSOLE\(|:CONSOLE|ERR_FILE_NOT_FOUND|ERR_NAME|net::ERR' \
		"$file.chrome.err"; then
		fail "console errors on $file (see $file.chrome.err)"
	fi
	"$python" "$work/pngcheck.py" "$png" 12 || fail "$png looks blank"
	echo "ok   $file rendered"
}

for name in reserve touch busy; do
	height=$(grep -o 'height="[0-9]*"' "$work/$name.svg" | head -1 | tr -dc 0-9)
	render "$work/$name.svg" 960 "$height"
done
render "$work/report.html" 1150 2400
render "$work/plots.html" 1100 1600

keep=0
echo "charts render in $chromium ($("$chromium" --version 2>/dev/null | head -1))"
exit 0
