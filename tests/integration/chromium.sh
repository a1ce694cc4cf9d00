# shellcheck shell=sh disable=SC2154
# Sourced by the browser tests (charts-test.sh, speedscope-test.sh) once
# $tmp is set: defines skip and fail, and sets $chromium (installing
# Debian's chromium with apt-get when it is missing and we are root) and
# $python. Exits 77 (meson's skip) when either cannot be had.

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

find_chromium() {
	command -v chromium || command -v chromium-browser || true
}
chromium=$(find_chromium)
if [ -z "$chromium" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "chromium not installed: trying apt-get install -y chromium"
		# A new machine may have no package lists yet: update once on
		# failure.
		{ DEBIAN_FRONTEND=noninteractive timeout 300 \
			apt-get install -y -q chromium >"$tmp/apt-chromium.log" 2>&1 ||
			{ timeout 300 apt-get update -q >>"$tmp/apt-chromium.log" 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive timeout 300 \
				apt-get install -y -q chromium >>"$tmp/apt-chromium.log" 2>&1; }; } ||
			echo "apt-get install chromium failed (see $tmp/apt-chromium.log)"
		chromium=$(find_chromium)
	fi
	[ -n "$chromium" ] || skip "chromium is not installed (apt-get install chromium)"
fi
python=$(command -v python3) || skip "python3 is not installed"
