#!/usr/bin/env bash
# Runs every e2e scenario (tests/e2e/*-*.sh), one process each, and prints
# one closing line: "e2e: N passed, N failed".
set -u
dir=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
for t in "$dir"/*-*.sh; do
	name=$(basename "$t" .sh)
	echo "== $name"
	if timeout 300 bash "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED: $name"
	fi
done
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
