#!/usr/bin/env bash
# Usage: test-symbols.sh LIBOVC_SO LIBOVC_MAP
# Checks that libovc.so exports exactly the symbols listed under "global:"
# in its version script (nm -D --defined-only), no more, no fewer.
set -euo pipefail

lib=${1:?usage: test-symbols.sh LIBOVC_SO LIBOVC_MAP}
map=${2:?usage: test-symbols.sh LIBOVC_SO LIBOVC_MAP}

# The names between "global:" and "local:", C comments and blanks removed.
want=$(sed -e 's|/\*.*\*/||g' "$map" |
	awk '/global:/ { on = 1; sub(/.*global:/, "") }
	     /local:/ { on = 0 }
	     on { print }' |
	tr ';' '\n' | tr -d ' \t' | grep -v '^$' | sort -u)
# Defined dynamic symbols; absolute ones (version nodes) left out, and any
# @VERSION suffix.
got=$(nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' |
	sed 's/@.*//' | sort -u)

if [[ $want == "$got" ]]; then
	echo "libovc.so exports the $(wc -l <<<"$want") symbols of $(basename "$map")"
	exit 0
fi
echo "libovc.so's exports differ from $map:" >&2
diff <(echo "$want") <(echo "$got") | sed -n 's/^< /  missing: /p; s/^> /  extra:   /p' >&2
exit 1
