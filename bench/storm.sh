#!/bin/sh
# The benchmark's `storm` workload: what a test suite is made of, 501 short
# processes started one after another from a shell loop: /bin/true, sed and
# grep on a small file, in turn.
# Usage: storm.sh FILE
f=$1
i=0
while [ $i -lt 167 ]; do
	/bin/true
	sed -n 's/1/one/p' "$f" >/dev/null
	grep -c 7 "$f" >/dev/null
	i=$((i + 1))
done
