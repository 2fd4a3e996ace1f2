#!/bin/sh
# Runs each unit-test binary given N times (as built by `make flake-check`,
# under the sanitizers) and names every run that failed, with the cases
# that failed in it; the failing runs' output is kept in a directory
# printed at the end. One closing line counts the runs.
#   usage: scripts/flake-check.sh N BINARY...
set -u
n=$1
shift
logs=$(mktemp -d /tmp/splicegate-flake.XXXXXX)
passed=0
failed=0
for t in "$@"; do
	name=$(basename "$t")
	bad=0
	i=1
	while [ "$i" -le "$n" ]; do
		if "$t" >"$logs/$name.$i" 2>&1; then
			rm -f "$logs/$name.$i"
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			bad=$((bad + 1))
			echo "FAILED: $name run $i:" \
				"$(grep -o '^\[  FAILED  \] test_[a-z0-9_]*' "$logs/$name.$i" |
					cut -c14- | sort -u | tr '\n' ' ')"
		fi
		i=$((i + 1))
	done
	echo "$name: $n runs, $bad failed"
done
[ "$failed" -eq 0 ] && rmdir "$logs" || echo "output of the failed runs: $logs"
echo "flake-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
