#!/bin/sh
# The benchmark's `suite` workload: a real test suite nobody here wrote,
# Python's own regression tests (libpython3.11-testsuite), 15 allocation-
# heavy modules with two workers. Writes regrtest's verdict lines to
# RESULT (the benchmark compares them across tools: the same tests must
# pass under ovc as plain).
# Usage: suite.sh PYTHON RESULT
py=$1
result=$2
out=$("$py" -m test -j2 --timeout 600 test_json test_re test_dict test_list \
	test_unicode test_bytes test_collections test_pickle test_zlib \
	test_threading test_struct test_set test_array test_mmap test_subprocess 2>&1)
status=$?
printf '%s\n' "$out" | grep -E '^(== Tests result|(All )?[0-9]+ tests? (OK|failed|skipped))' |
	sed 's/ in [0-9.:a-z ]*$//' >"$result"
exit $status
