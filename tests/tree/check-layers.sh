#!/usr/bin/env bash
# Usage: tests/tree/check-layers.sh [PRELOAD_DIR]
#
# The preload's layers stand in order (docs/architecture.md, "Layers"), from
# the bottom: base, services, memory, the tracking core, the sampler, the
# life cycle, the hooks. A file may include the headers of its own layer and
# of the layers below it, never of a higher one (a call needs a declaration:
# -Werror turns an undeclared call into an error, so the includes are the
# calls). A lower layer that must reach up does it through a pointer the
# higher one registers (sampler-link.h, ovc_log_clock, ovc_ticker_steps).
# image.h is the life cycle's own. Every file of preload/ must have a layer
# here. Prints one line per fault and exits 1 when there is one; 0 otherwise.
set -euo pipefail

dir=${1:-$(dirname "${BASH_SOURCE[0]}")/../../preload}
layers=(base services memory tracking sampler lifecycle hooks)
# The layer of each file, by its name without .c or .h.
declare -A layer=(
	[base]=base [sys]=base [lock]=base [fmt]=base [sampler-link]=base
	[options]=base [slots]=base
	[procstat]=services [hostcache]=services [config]=services [log]=services
	[arena]=memory [boot]=memory
	[account]=tracking [blocks]=tracking [block-probe]=tracking
	[stack]=tracking [unwind]=tracking [mapping]=tracking [residency]=tracking
	[budget]=tracking [sampling]=tracking [site-records]=tracking
	[eh-frame]=tracking [lazyfree]=tracking
	[ticker]=sampler [sampler]=sampler
	[lifecycle]=lifecycle [image]=lifecycle [start]=lifecycle
	[end]=lifecycle [env]=lifecycle [follow]=lifecycle
	[hooks]=hooks [hooks-wait]=hooks [hooks-process]=hooks
)
declare -A rank_of
for i in "${!layers[@]}"; do rank_of[${layers[i]}]=$i; done

faults=0
nfiles=0
shopt -s nullglob
for f in "$dir"/*.c "$dir"/*.h; do
	name=${f##*/}
	base=${name%.[ch]}
	nfiles=$((nfiles + 1))
	own=${layer[$base]-}
	if [[ -z $own ]]; then
		echo "preload/$name: in no layer (add it to ${BASH_SOURCE[0]##*/} and docs/architecture.md)"
		faults=$((faults + 1))
		continue
	fi
	r_own=${rank_of[$own]}
	while IFS=: read -r line inc; do
		dep=${inc%.h}
		dl=${layer[$dep]-}
		if [[ -z $dl ]]; then
			echo "preload/$name:$line: includes $inc, which is in no layer"
			faults=$((faults + 1))
			continue
		fi
		if ((rank_of[$dl] > r_own)); then
			echo "preload/$name:$line: includes $inc ($dl): the $own layer may use only" \
				"${layers[*]:0:r_own+1}"
			faults=$((faults + 1))
		fi
		if [[ $inc == image.h && $own != lifecycle ]]; then
			echo "preload/$name:$line: includes image.h, the life cycle's own"
			faults=$((faults + 1))
		fi
	done < <(grep -n -o -E '^#include "[a-z-]+\.h"' "$f" | tr -d '"' |
		sed 's/#include //')
done
((nfiles)) || { echo "no sources found in $dir"; exit 1; }
((faults == 0)) || { echo "layers: $faults fault(s) in $nfiles files"; exit 1; }
echo "layers: $nfiles files of preload/ in order (${layers[*]})"
