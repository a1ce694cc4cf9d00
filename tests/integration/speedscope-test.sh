#!/bin/bash
# `ovc flame` output opened in speedscope (the npm package) in headless
# Chromium: the sites program runs under libovc.so, its folded stacks
# (--weight requested) are served with speedscope's web build from a local
# HTTP server on 127.0.0.1, and the DOM Chromium renders must show the
# profile loaded: the title we gave it, and in the sandwich view each site
# function with the byte count of its line. No outside network is used but
# for the first `npm install` (cached in CACHE_DIR) and, when Chromium is
# missing and we are root, `apt-get install chromium`.
#
# Usage: speedscope-test.sh OVC_BIN LIBOVC_SO SITES_PROGRAM CACHE_DIR TMP_DIR
# Exits 0 on success, 1 on failure, 77 (meson: skipped) when Chromium or
# speedscope cannot be had.
set -u

if [ $# -ne 5 ]; then
	echo "usage: $0 OVC_BIN LIBOVC_SO SITES_PROGRAM CACHE_DIR TMP_DIR" >&2
	exit 2
fi
ovc=$1 lib=$2 prog=$3 cache=$4 tmp=$5

. "$(dirname "$0")/chromium.sh"

release=$cache/node_modules/speedscope/dist/release
if [ ! -f "$release/index.html" ]; then
	command -v npm >/dev/null || skip "npm is not installed"
	mkdir -p "$cache"
	echo "installing speedscope into $cache (once)"
	timeout 120 npm install --no-save --no-audit --no-fund --fetch-retries=1 \
		--prefix "$cache" \
		speedscope >"$cache/npm-install.log" 2>&1 ||
		skip "npm install speedscope failed (no registry?): see $cache/npm-install.log"
	[ -f "$release/index.html" ] || skip "speedscope has no dist/release/index.html"
fi

# ---- the profile ----

work=$(mktemp -d "$tmp/tmp-speedscope.XXXXXX") || fail "mktemp"
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	[ "${keep:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
keep=1 # until the test passed: what it saw stays for a look

mkdir -p "$work/logs" "$work/www"
# The programs' environment as the other integration tests give it: no
# outer preload, no malloc debugging (MALLOC_PERTURB_ would touch every
# block), the OVC_* defaults.
env -u MALLOC_PERTURB_ -u MALLOC_CHECK_ -u GLIBC_TUNABLES -u OVC_SAMPLE \
	-u OVC_LARGE LD_PRELOAD="$lib" OVC_OUTPUT="$work/logs" \
	timeout 60 "$prog" >"$work/prog.out" 2>&1 || fail "$prog: $(cat "$work/prog.out")"
timeout 60 "$ovc" flame --weight requested -o "$work/www/profile.folded" \
	"$work/logs" 2>"$work/flame.err" || fail "ovc flame: $(cat "$work/flame.err")"
grep -q ';touch_none ' "$work/www/profile.folded" ||
	fail "no touch_none in the folded stacks: $(cat "$work/www/profile.folded")"
cp -r "$release/." "$work/www/" || fail "cannot copy $release"

# ---- serve it, render it ----

cat >"$work/serve.py" <<'PY'
# Serves directory argv[1] on 127.0.0.1 on a free port, written to argv[2].
import functools, http.server, os, sys

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

srv = http.server.ThreadingHTTPServer(
    ("127.0.0.1", 0), functools.partial(Quiet, directory=sys.argv[1]))
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
PY
timeout 150 "$python" "$work/serve.py" "$work/www" "$work/port" &
server=$!
for _ in $(seq 100); do
	[ -s "$work/port" ] && break
	sleep 0.1
done
[ -s "$work/port" ] || fail "the HTTP server did not start"
port=$(cat "$work/port")
base="http://127.0.0.1:$port"
url="$base/index.html#profileURL=$base/profile.folded&title=ovc-sites&view=sandwich"

# No outside network here: everything that would reach for it is off.
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
	--no-first-run --disable-background-networking \
	--disable-component-update --disable-sync \
	--user-data-dir="$work/chrome" --virtual-time-budget=10000 \
	--dump-dom "$url" >"$work/dom.html" 2>"$work/chrome.err" ||
	fail "chromium exited $? (stderr in $work/chrome.err)"

# ---- what the page shows ----

"$python" - "$work/dom.html" "$work/www/profile.folded" <<'PY' || fail "speedscope did not show the profile: see $work/dom.html"
# The sandwich view lists every function with its total and self weight
# ("1,073,741,824 (57%)"): each site function must be there with the count
# of its line of the folded file, and the title must be ours.
import html, re, sys

dom = open(sys.argv[1], encoding="utf-8").read()
text = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", dom)).split())
ok = True

def check(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok = ok and cond

check("<title>ovc-sites - speedscope</title>" in dom, "title 'ovc-sites - speedscope'")
check("Something went wrong" not in text, "no 'Something went wrong'")
check(not re.search(r"[Ff]ailed to (load|import)|Unrecognized format", text), "no import error")
for line in open(sys.argv[2]):
    stack, count = line.rsplit(" ", 1)
    leaf = stack.split(";")[-1]
    if not leaf.startswith("touch_"):
        continue
    shown = "{:,}".format(int(count))
    # total, then self (equal for a leaf), then the name
    pat = re.escape(shown) + r" \([0-9.<]+%\) " + re.escape(shown) + \
        r" \([0-9.<]+%\) " + re.escape(leaf) + r"( |$)"
    check(re.search(pat, text) is not None, "%s shown with %s bytes" % (leaf, shown))
sys.exit(0 if ok else 1)
PY

keep=0
echo "speedscope shows the ovc profile ($chromium, $(cat "$release/release.txt" 2>/dev/null | head -1))"
exit 0
