#!/bin/bash
# `ovc plot` and `ovc report --html` in headless Chromium, on the article's
# two programs (article-reserve: ~128 TiB reserved, nothing touched;
# article-touch: 2 GiB reserved and touched), a long busy run
# (tests/programs/busy for 3 s with OVC_INTERVAL=1: thousands of samples)
# and a small suite (a shell loop of 40 brief allocn, forks and its
# children, busy for 1 s).
# For each: the SVG carries the exact peaks found by reading the log here
# (so the reduced series kept them) with at most 2,000 points per series;
# every peak a chart draws is the figure the report prints (JSON and the
# HTML table); only processes with enough samples are charted, `--only`
# picks; the y axis is chosen from the data. Chromium renders the SVG and
# the HTML pages to PNG without console errors, the PNGs are not blank
# (distinct colours counted by decoding the PNG with python3's zlib: no PIL
# needed), and a script run in Chromium on copies of the pages checks
# their layout from the boxes the browser laid out: no text of a chart
# outside it or over another text, no label over the plot area, the
# findings above the process list above the processes in detail, no page
# wider than the window, command lines shortened.
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
run_traced "$work/reserve" timeout 300 "$ovc" run -q -o "$work/reserve" -- \
	"$progs/article-reserve" || fail "article-reserve: $(cat "$work/reserve.err")"
run_traced "$work/touch" timeout 300 "$ovc" run -q -o "$work/touch" -- \
	"$progs/article-touch" || fail "article-touch: $(cat "$work/touch.err")"
run_traced "$work/busy" OVC_INTERVAL=1 timeout 60 "$ovc" run -q -o "$work/busy" -- \
	"$progs/busy" 3 || fail "busy: $(cat "$work/busy.err")"

echo "running a suite: 40 allocn, forks, busy 1 (OVC_INTERVAL=2)"
run_traced "$work/suite" OVC_INTERVAL=2 timeout 120 "$ovc" run -q -o "$work/suite" -- \
	sh -c 'for i in $(seq 40); do "$1/allocn" 3 || exit 1; done
	       "$1/forks" "$1" && "$1/busy" 1' sh "$progs" ||
	fail "the suite: $(cat "$work/suite.err")"

for name in reserve touch busy suite; do
	timeout 120 "$ovc" plot -o "$work/$name.svg" "$work/$name" \
		2>"$work/$name.plot.err" || fail "ovc plot $name: $(cat "$work/$name.plot.err")"
done
timeout 120 "$ovc" report --html "$work/suite.html" "$work/suite" \
	2>"$work/suite.html.err" || fail "ovc report --html suite: $(cat "$work/suite.html.err")"
timeout 120 "$ovc" plot --only busy -o "$work/only-busy.svg" "$work/suite" \
	2>"$work/only.err" || fail "ovc plot --only busy: $(cat "$work/only.err")"
timeout 120 "$ovc" plot --only allocn -o "$work/only-brief.svg" "$work/suite" \
	2>"$work/only.err" || fail "ovc plot --only allocn: $(cat "$work/only.err")"
timeout 120 "$ovc" plot --only 'no-such-program' -o "$work/only-none.svg" "$work/suite" \
	2>"$work/only-none.err" && fail "ovc plot --only matching nothing exited 0"
grep -q "no process matches --only 'no-such-program'" "$work/only-none.err" ||
	fail "ovc plot --only matching nothing: $(cat "$work/only-none.err")"
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
        # as the reader takes it (cli/read/rec-sample.c): RssAnon where
        # it is at most the sample's rss (status is read just after
        # statm: pages written between the two can put it above), else
        # rss - shared
        if "rss_anon" in r and r["rss_anon"] <= r["rss"]:
            anon = r["rss_anon"]
        else:
            anon = r["rss"] - r["shared"] if r["shared"] <= r["rss"] else 0
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

# ---- a suite: what is charted, and every figure drawn is the one printed ----

rep = json.loads(subprocess.run([ovc, "report", "--json", work + "/suite"],
                                capture_output=True, check=True).stdout)
procs = {p["log"].rsplit("/", 1)[-1]: p for p in rep["processes"]}
check(len(procs) >= 45, "suite: %d process images" % len(procs))
for p in rep["processes"]:
    if p["peak_vm_bytes"] < p["peak_live_bytes"]:
        check(False, "suite: %s peak virtual %d below peak live %d"
              % (p["log"], p["peak_vm_bytes"], p["peak_live_bytes"]))
CHART = re.compile(r'<svg [^>]*class="ovc-chart" data-pid="(\d+)" data-scale="(\w+)" '
                   r'data-y-lo="(\d+)" data-y-hi="(\d+)" data-log="([^"]*)">(.*?)</svg>', re.S)
SERIES = {"live": "peak_live_bytes", "vm": "peak_vm_bytes", "rss": "peak_rss_bytes",
          "anon": "peak_anon_rss_bytes"}

def charts_of(text):
    return [(m.group(5), m.group(2), int(m.group(3)), int(m.group(4)), m.group(6))
            for m in CHART.finditer(text)]

def check_chart(where, log, scale, lo, hi, body):
    p = procs.get(log)
    check(p is not None, "%s: the chart of %s is a process of the report" % (where, log))
    if p is None:
        return
    check(p["samples"] >= 5, "%s: %s charted with %d samples (at least 5)"
          % (where, log, p["samples"]))
    peaks = []
    for series, key in SERIES.items():
        m = re.search(r'<circle class="peak" data-series="%s" data-peak-bytes="(\d+)"' % series, body)
        if p[key] > 0:
            check(m is not None and int(m.group(1)) == p[key],
                  "%s: %s %s peak drawn %s, printed %d" % (where, log, series,
                                                           m and m.group(1), p[key]))
            peaks.append(p[key])
    if peaks:
        check(hi <= 4 * max(peaks), "%s: %s axis top %d within 4x the largest peak %d"
              % (where, log, hi, max(peaks)))
        if scale == "log":
            check(lo * 128 >= min(peaks), "%s: %s log axis bottom %d within 128x the smallest peak %d"
                  % (where, log, lo, min(peaks)))

suite_svg = open(work + "/suite.svg", encoding="utf-8").read()
charted = charts_of(suite_svg)
check(0 < len(charted) <= 8, "suite.svg: %d charts (1 to 8)" % len(charted))
for c in charted:
    check_chart("suite.svg", *c)
brief = [p for p in rep["processes"] if p["samples"] < 5]
check(len(brief) >= 40, "suite: %d brief processes (the allocn)" % len(brief))
check(not any(p["log"].rsplit("/", 1)[-1] in [c[0] for c in charted] for p in brief),
      "suite.svg: no brief process charted")
check(re.search(r"\d+ ran too briefly for a chart \(fewer than 5 samples\)", suite_svg) is not None,
      "suite.svg: says which ran too briefly")
only = charts_of(open(work + "/only-busy.svg", encoding="utf-8").read())
check(len(only) == 1 and procs[only[0][0]]["exe"].endswith("/busy"),
      "only-busy.svg: the chart of busy alone (%s)" % [c[0] for c in only])
text = open(work + "/only-brief.svg", encoding="utf-8").read()
check(not charts_of(text) and re.search(r"40 ran too briefly for a chart "
                                        r"\(fewer than 5 samples\): [^<]*allocn 3 \u00d740", text),
      "only-brief.svg: no chart, the allocn named as too brief")

html = open(work + "/suite.html", encoding="utf-8").read()
hcharts = charts_of(html)
check(hcharts, "suite.html: charts")
for c in hcharts:
    check_chart("suite.html", *c)
# The table's peak live and the chart's legend print the same figure.
for m in re.finditer(r'<section class="proc" id="proc-(\d+)">(.*?)</section>', html, re.S):
    idx, section = m.group(1), m.group(2)
    legend = re.search(r'live requested \(peak ([^)]+)\)', section)
    if legend is None:
        check("no chart:" in section, "suite.html: proc-%s has a chart or says why not" % idx)
        continue
    row = re.search(r'<a href="#proc-%s">\d+</a></td><td class="l">[^<]*</td>'
                    r'<td>([^<]+)</td>' % idx, html)
    check(row is not None and row.group(1) == legend.group(1),
          "suite.html: proc-%s peak live in the table %s, on the chart %s"
          % (idx, row and row.group(1), legend.group(1)))
for tag in ('id="findings"', 'id="processes"', 'class="proc"'):
    check(tag in html, "suite.html: %s" % tag)
check(html.find('id="findings"') < html.find('id="processes"') < html.find('class="proc"'),
      "suite.html: findings, then the processes, then the details")
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

for name in reserve touch busy suite; do
	height=$(grep -o 'height="[0-9]*"' "$work/$name.svg" | head -1 | tr -dc 0-9)
	render "$work/$name.svg" 960 "$height"
done
render "$work/report.html" 1150 2400
render "$work/plots.html" 1100 1600
render "$work/suite.html" 1150 2400

# ---- their layout, measured in Chromium ----

# Copies of the pages with a script that measures what Chromium laid out
# and writes its findings into the page, read back with --dump-dom. An SVG
# document is measured inside an HTML page of its own.
cat >"$work/layout.js" <<'JS'
(function () {
  var out = [];
  function ok(m) { out.push("ok   " + m); }
  function fail(m) { out.push("FAIL " + m); }
  function box(e) { return e.getBoundingClientRect(); }
  function overlap(a, b) {
    var w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    var h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    return w > 1 && h > 1;
  }
  function shown(t) { // the text drawn, without its <title>
    var s = "";
    t.childNodes.forEach(function (n) { if (n.nodeType === 3) s += n.textContent; });
    return s.trim();
  }
  var charts = document.querySelectorAll("svg.ovc-chart"), bad = 0;
  charts.forEach(function (c) {
    var cb = box(c), id = "chart of " + c.dataset.log;
    var texts = Array.prototype.filter.call(c.querySelectorAll("text"),
                                            function (t) { return shown(t) !== ""; });
    texts.forEach(function (t) {
      var b = box(t);
      if (b.left < cb.left - 0.5 || b.right > cb.right + 0.5 ||
          b.top < cb.top - 0.5 || b.bottom > cb.bottom + 0.5) {
        fail(id + ": text '" + shown(t).slice(0, 50) + "' [" + b.left.toFixed(0) + ".." +
             b.right.toFixed(0) + "] outside the chart [" + cb.left.toFixed(0) + ".." +
             cb.right.toFixed(0) + "]");
        bad++;
      }
    });
    for (var i = 0; i < texts.length; i++)
      for (var j = i + 1; j < texts.length; j++)
        if (overlap(box(texts[i]), box(texts[j]))) {
          fail(id + ": '" + shown(texts[i]).slice(0, 40) + "' overlaps '" +
               shown(texts[j]).slice(0, 40) + "'");
          bad++;
        }
    var plot = box(c.querySelector("rect.plot"));
    c.querySelectorAll("text.peak-label, text.ref-label").forEach(function (t) {
      if (overlap(box(t), plot)) { fail(id + ": label '" + shown(t) + "' over the plot"); bad++; }
    });
    var title = c.querySelector("text.title");
    var whole = title.querySelector("title").textContent, drawn = shown(title);
    if (drawn !== whole && !/\u2026$/.test(drawn)) {
      fail(id + ": title cut without an ellipsis: '" + drawn + "'"); bad++;
    }
  });
  ok(charts.length + " charts measured, " + bad + " faults");
  var f = document.getElementById("findings"), p = document.getElementById("processes"),
      d = document.querySelector("section.proc");
  if (f || p) {
    if (f && p && box(f).top < box(p).top) ok("findings above the processes");
    else fail("the findings are not above the processes");
    if (!d || box(p).bottom <= box(d).top) ok("the processes above the details");
    else fail("the processes are not above the details");
  }
  document.querySelectorAll("div.wide").forEach(function (w) {
    if (w.offsetParent !== null && w.scrollWidth > w.clientWidth + 1)
      fail("a table " + w.scrollWidth + " wide in a place " + w.clientWidth + " wide: '" +
           w.textContent.slice(0, 60) + "'");
  });
  var dw = document.documentElement.scrollWidth;
  if (dw <= window.innerWidth + 1) ok("page width " + dw + " within the window " + window.innerWidth);
  else fail("page width " + dw + " wider than the window " + window.innerWidth);
  document.querySelectorAll("table.procs td code").forEach(function (c) {
    var t = c.textContent;
    if (Array.from(t).length > 41) fail("a command " + Array.from(t).length + " characters long: " + t);
    if (/\u2026$/.test(t) && !c.title) fail("a shortened command without its whole line: " + t);
  });
  var pre = document.createElement("pre");
  pre.id = "ovc-layout";
  pre.textContent = "\n" + out.join("\n") + "\n";
  document.body.appendChild(pre);
})();
JS

layout() { # FILE WIDTH HEIGHT: the layout checks of FILE, in Chromium
	local file=$1 page=$1.layout.html
	case $file in
	*.svg) { echo '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">'
		 sed 1d "$file"; } >"$page" ;;
	*) sed 's|</body>||; s|</html>||' "$file" >"$page" ;;
	esac
	{ echo '<script>'; cat "$work/layout.js"; echo '</script></body></html>'; } >>"$page"
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$work/chrome.XXXXXX")" \
		--hide-scrollbars --window-size="$2,$3" --dump-dom "file://$page" \
		>"$page.dom" 2>"$page.err" || fail "chromium --dump-dom on $page exited $?"
	sed -n '/<pre id="ovc-layout">/,/<\/pre>/p' "$page.dom" | grep -E '^(ok|FAIL) ' >"$page.result"
	[ -s "$page.result" ] || fail "no layout result from $page (see $page.err)"
	sed "s|^|$(basename "$file"): |" "$page.result"
	! grep -q '^FAIL' "$page.result" || fail "the layout of $file (see $page.result)"
}

for name in reserve touch busy suite; do
	layout "$work/$name.svg" 960 1000
done
layout "$work/report.html" 1150 2400
layout "$work/plots.html" 1100 1600
layout "$work/suite.html" 1150 2400

keep=0
echo "charts render in $chromium ($("$chromium" --version 2>/dev/null | head -1))"
exit 0
