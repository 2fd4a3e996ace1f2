#!/bin/sh
# Runs every cmocka unit-test binary in $1 and prints one closing line.
set -u
dir=$1
passed=0
failed=0
for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	if "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED: $t"
	fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
