#!/usr/bin/env bash
# Runs every cmocka unit-test binary in $1 and prints one closing line,
# "unit: N passed, N failed (S s)". UNIT_JOBS binaries run at once
# (default 2, one per core here: most of the suite's time is spent
# sleeping on real clocks); each one's output is printed whole when it
# ends, so two never interleave.
set -u
dir=$1
jobs=${UNIT_JOBS:-2}
out=$(mktemp -d /tmp/sg-unit.XXXXXX)
trap 'rm -rf "$out"' EXIT
passed=0
failed=0
t0=$SECONDS

# run T: one binary, output to $out/NAME.log, status to $out/NAME.rc.
run() {
	local name
	name=$(basename "$1")
	"$1" >"$out/$name.log" 2>&1
	echo $? >"$out/$name.rc"
}

# report T: print a finished binary's output and count it.
report() {
	local name
	name=$(basename "$1")
	cat "$out/$name.log"
	if [ "$(cat "$out/$name.rc")" = 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED: $1"
	fi
}

declare -A pid_of
running=()
for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	while [ "${#running[@]}" -ge "$jobs" ]; do
		wait -n
		still=()
		for r in "${running[@]}"; do
			if kill -0 "${pid_of[$r]}" 2>/dev/null; then
				still+=("$r")
			else
				wait "${pid_of[$r]}"
				report "$r"
			fi
		done
		running=("${still[@]}")
	done
	run "$t" &
	pid_of[$t]=$!
	running+=("$t")
done
for r in "${running[@]}"; do
	wait "${pid_of[$r]}"
	report "$r"
done
echo "unit: $passed passed, $failed failed ($((SECONDS - t0)) s)"
[ "$failed" -eq 0 ]
