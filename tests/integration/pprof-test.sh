#!/bin/bash
# `ovc pprof` read by `go tool pprof` (Debian's golang-go; no network, no
# server): the sites program's known sites in -top with their exact bytes
# for every sample type, the same figures as `ovc report --json`; -raw
# shows the mappings (path, build id, address range of the log's `mod`
# record); two profiles merge with `pprof -proto`; --merge and -o DIR;
# leaked/bytes of the leaks program; --no-symbolize leaves addresses that
# addr2line names from the mapping alone.
#
# Usage: pprof-test.sh OVC_BIN LIBOVC_SO SITES_PROGRAM LEAKS_PROGRAM TMP_DIR
# Exits 0 on success, 1 on failure, 77 (meson: skipped) when Go cannot be
# had (not installed, and not root to apt-get it).
set -u

if [ $# -ne 5 ]; then
	echo "usage: $0 OVC_BIN LIBOVC_SO SITES_PROGRAM LEAKS_PROGRAM TMP_DIR" >&2
	exit 2
fi
ovc=$1 lib=$2 sites=$3 leaks=$4 tmp=$5

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

if ! command -v go >/dev/null; then
	[ "$(id -u)" = 0 ] || skip "go is not installed (apt-get install golang-go)"
	echo "installing golang-go"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends golang-go >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends golang-go >/dev/null 2>&1; } ||
		skip "apt-get install golang-go failed"
fi

work=$(mktemp -d "$tmp/tmp-pprof.XXXXXX") || fail "mktemp"
cleanup() { [ "${keep:-0}" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT
keep=1 # until the test passed: what it saw stays for a look

# go tool pprof wants a writable home and build cache; it runs offline.
export HOME=$work/home GOCACHE=$work/home/cache GOFLAGS=-mod=mod
export PPROF_TMPDIR=$work/home GOTOOLCHAIN=local
mkdir -p "$HOME"
pprof() { timeout 120 go tool pprof "$@" 2>"$work/pprof.err" ||
	fail "go tool pprof $*: $(cat "$work/pprof.err")"; }

# The programs' environment as the other integration tests give it; only
# the program writes a log (not timeout, which the preload reaches too).
run() { # DIR PROGRAM [NAME=VALUE]
	env -u MALLOC_PERTURB_ -u MALLOC_CHECK_ -u GLIBC_TUNABLES \
		-u OVC_SAMPLE -u OVC_LARGE LD_PRELOAD="$lib" OVC_OUTPUT="$1" \
		OVC_ONLY="$(basename "$2")" \
		${3:+"$3"} timeout 60 "$2" >"$work/prog.out" 2>&1 ||
		fail "$2: $(cat "$work/prog.out")"
}
run "$work/a" "$sites"
run "$work/b" "$sites"
run "$work/l" "$leaks" OVC_SAMPLE=16K

out=$("$ovc" pprof -o "$work/a.pb.gz" "$work/a") || fail "ovc pprof a"
[ "$out" = "$work/a.pb.gz" ] || fail "ovc pprof printed '$out'"
"$ovc" pprof -o "$work/b.pb.gz" "$work/b" >/dev/null || fail "ovc pprof b"
"$ovc" report --json --top all "$work/a" >"$work/a.json" || fail "report a"

# flat of FUNCTION in `pprof -top` of FILE at sample index INDEX
flat() { # FILE INDEX FUNCTION [UNIT]
	pprof -top -nodecount=100 -unit="${4:-B}" -sample_index="$2" "$1" |
		awk -v fn="$3" '$NF == fn { print $1; exit }'
}

# The report's figures of each site, per sample type.
expected() { # SAMPLE_INDEX FUNCTION
	python3 - "$work/a.json" "$1" "$2" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
index, fn = sys.argv[2], sys.argv[3]
field = {"requested": "requested_bytes", "touched": "touched_bytes",
         "untouched": "untouched_bytes", "peak_live": "peak_live_bytes",
         "blocks": "blocks"}
(p,) = [p for p in doc["processes"] if p["exe"].endswith("/sites")]
total = 0
for s in p["sites"]:
    if s["frames"] and s["frames"][0]["function"] == fn:
        total += s[field[index]] if index in field else 0
if index == "leaked":
    for s in p["leaks"]["sites"]:
        if s["frames"] and s["frames"][0]["function"] == fn:
            total += s["leaked_bytes"]
print(total)
PY
}

# ---- every sample type: the known sites with their exact bytes ----
declare -A requested=([touch_all]=268435456 [touch_none]=1073741824
	[touch_quarter]=536870912)
for fn in touch_all touch_none touch_quarter; do
	got=$(flat "$work/a.pb.gz" requested $fn)
	[ "$got" = "${requested[$fn]}B" ] ||
		fail "requested of $fn: pprof says '$got', expected ${requested[$fn]}B"
	for index in requested touched untouched peak_live leaked; do
		want=$(expected $index $fn) || fail "reading the report"
		got=$(flat "$work/a.pb.gz" $index $fn)
		if [ "$want" = 0 ]; then
			[ -z "$got" ] || [ "$got" = 0 ] ||
				fail "$index of $fn: pprof says '$got', the report 0"
		else
			[ "$got" = "${want}B" ] ||
				fail "$index of $fn: pprof says '$got', the report ${want}B"
		fi
	done
	got=$(flat "$work/a.pb.gz" blocks $fn count)
	[ "$got" = 4 ] || fail "blocks of $fn: pprof says '$got', expected 4"
done
# requested is the default sample type
pprof -top "$work/a.pb.gz" >"$work/top.txt"
grep -q '^Type: requested$' "$work/top.txt" ||
	fail "default sample type: $(head -8 "$work/top.txt")"
# untouched: touch_none first, all of it
first=$(pprof -top -unit=B -sample_index=untouched "$work/a.pb.gz" |
	awk '/flat%/ { getline; print $1, $NF; exit }')
[ "$first" = "1073741824B touch_none" ] ||
	fail "-sample_index=untouched: first line '$first'"

# ---- -raw: the mappings ----
pprof -raw "$work/a.pb.gz" >"$work/raw.txt"
read -r lo hi bid < <(python3 - "$work/a" "$sites" <<'PY'
import glob, json, os, sys
prog = os.path.realpath(sys.argv[2])
for log in glob.glob(sys.argv[1] + "/ovc.*.jsonl"):
    for line in open(log):
        r = json.loads(line)
        if r.get("t") == "mod" and os.path.realpath(r["path"]) == prog:
            print("%x %x %s" % (r["lo"], r["hi"], r["build_id"]))
            sys.exit(0)
sys.exit(1)
PY
) || fail "no mod record of $sites in the log"
[ -n "$bid" ] || fail "the sites program has no build id in the log"
mline=$(sed -n '/^Mappings/,$p' "$work/raw.txt" | grep -F " $bid")
case "$mline" in
*" 0x$lo/0x$hi/0x0 "*"/sites $bid"*) ;;
*) fail "-raw: no mapping 0x$lo/0x$hi/0x0 .../sites $bid in:
$(sed -n '/^Mappings/,$p' "$work/raw.txt")" ;;
esac
grep -q ' touch_none .*sites\.c:[0-9]' "$work/raw.txt" ||
	fail "-raw: no location named touch_none with its line"

# ---- two profiles merged by pprof, and by ovc ----
pprof -proto "$work/a.pb.gz" "$work/b.pb.gz" >"$work/merged.pb.gz"
got=$(flat "$work/merged.pb.gz" requested touch_none)
[ "$got" = 2147483648B ] || fail "pprof -proto a b: touch_none '$got'"
"$ovc" pprof --merge -o "$work/both.pb.gz" "$work/a" "$work/b" >/dev/null ||
	fail "ovc pprof --merge"
got=$(flat "$work/both.pb.gz" requested touch_none)
[ "$got" = 2147483648B ] || fail "ovc pprof --merge: touch_none '$got'"
pprof -tags "$work/both.pb.gz" >"$work/tags.txt"
npid=$(awk '/^ *pid:/ { f = 1; next } /^ *[a-z_]+:/ { f = 0 } f && /%/' \
	"$work/tags.txt" | wc -l)
[ "$npid" = 2 ] || fail "--merge: $npid pid labels, expected 2:
$(cat "$work/tags.txt")"
grep -q '/sites' "$work/tags.txt" || fail "--merge: no exe label"

# ---- -o DIR: one profile per process image ----
"$ovc" pprof -o "$work/dir" "$work/a" "$work/b" >"$work/dir.out" ||
	fail "ovc pprof -o DIR"
[ "$(ls "$work/dir"/ovc.*.pb.gz | wc -l)" = 2 ] ||
	fail "-o DIR: $(ls "$work/dir")"
for f in "$work/dir"/*.pb.gz; do
	grep -qxF "$f" "$work/dir.out" || fail "-o DIR did not name $f"
	[ "$(flat "$f" requested touch_none)" = 1073741824B ] ||
		fail "$f: touch_none"
done
"$ovc" pprof -o "$work/x.pb.gz" "$work/a" "$work/b" 2>"$work/err" &&
	fail "-o FILE with two images succeeded"
grep -q 'process images: -o wants a directory' "$work/err" ||
	fail "-o FILE with two images: $(cat "$work/err")"

# ---- leaked/bytes ----
"$ovc" pprof -o "$work/l.pb.gz" "$work/l" >/dev/null || fail "ovc pprof l"
got=$(flat "$work/l.pb.gz" leaked leak_large)
[ "$got" = 12582912B ] || fail "leaked of leak_large: '$got'"
[ -n "$(flat "$work/l.pb.gz" leaked leak_small)" ] || fail "no leak_small"
[ -z "$(flat "$work/l.pb.gz" leaked free_all)" ] || fail "free_all leaked"

# ---- --no-symbolize: addresses that the mapping alone names ----
"$ovc" pprof --no-symbolize -o "$work/n.pb.gz" "$work/a" >/dev/null ||
	fail "ovc pprof --no-symbolize"
pprof -raw "$work/n.pb.gz" >"$work/nraw.txt"
grep -q ' touch_none ' "$work/nraw.txt" && fail "--no-symbolize named frames"
# mapping 1 is the executable: file vaddr = address - start (a PIE's first
# loadable segment is at 0, file offset 0)
start=$(awk '/^Mappings/ { m = 1; next } m && /^1: / { split($2, a, "/"); print a[1]; exit }' \
	"$work/nraw.txt")
[ -n "$start" ] || fail "--no-symbolize: no mapping 1"
names=$(awk '/^Locations/ { l = 1; next } /^Mappings/ { l = 0 } l && $3 == "M=1" { print $2 }' \
	"$work/nraw.txt" | while read -r a; do
		printf '0x%x\n' $((a - start))
	done | addr2line -f -e "$sites" | sed -n 'p;n')
echo "$names" | grep -qx touch_none ||
	fail "addr2line on the unsymbolized locations: $names"

keep=0
echo "ok: go tool pprof reads ovc's profiles"
