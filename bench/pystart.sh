#!/bin/sh
# The benchmark's `pystart` workload: the interpreter's start and exit, 50
# times (`python3 -c pass`).
# Usage: pystart.sh PYTHON
i=0
while [ $i -lt 50 ]; do
	"$1" -c pass
	i=$((i + 1))
done
