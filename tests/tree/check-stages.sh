#!/usr/bin/env bash
# Usage: tests/tree/check-stages.sh [CLI_DIR]
#
# The CLI's stages stand in order (docs/architecture.md): read/ <- analyze/
# <- render/ <- cmd/. A file of one stage may include the headers of its own
# stage and of the stages before it, never of a later one (a call needs a
# declaration: -Werror turns an undeclared call into an error, so the
# includes are the calls). Also: every source of cli/ is in a stage folder.
# Prints one line per fault and exits 1 when there is one; 0 otherwise.
set -euo pipefail

cli=${1:-$(dirname "${BASH_SOURCE[0]}")/../../cli}
stages=(read analyze render cmd)
rank() {
	local i
	for i in "${!stages[@]}"; do
		[[ ${stages[i]} == "$1" ]] && { echo "$i"; return; }
	done
	echo -1
}

faults=0
shopt -s nullglob
for f in "$cli"/*.c "$cli"/*.h; do
	echo "${f#"$cli"/}: not in a stage folder (${stages[*]})"
	faults=$((faults + 1))
done
nfiles=0
for stage in "${stages[@]}"; do
	own=$(rank "$stage")
	for f in "$cli/$stage"/*.c "$cli/$stage"/*.h; do
		nfiles=$((nfiles + 1))
		while IFS=: read -r line inc; do
			dep=${inc%%/*}
			r=$(rank "$dep")
			if ((r > own)); then
				echo "cli/$stage/${f##*/}:$line: includes $inc: $stage/ may use only" \
					"${stages[*]:0:own+1}"
				faults=$((faults + 1))
			fi
		done < <(grep -n -o -E '^#include "[a-z]+/[^"]+"' "$f" |
			sed -E 's/^([0-9]+):#include "(.*)"$/\1:\2/')
	done
done
if ((nfiles == 0)); then
	echo "no sources found in the stage folders of $cli"
	exit 1
fi
if ((faults)); then
	echo "stages: $faults fault(s) in $nfiles files"
	exit 1
fi
echo "stages: $nfiles files of cli/ in order (${stages[*]})"
