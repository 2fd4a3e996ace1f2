#!/bin/sh
# Runs libFuzzer harnesses for a fixed time each and prints one closing line.
#   run-fuzz.sh BUILD_DIR SECONDS TARGET...
# Each TARGET (fuzz_<name>) starts from tests/fuzz/corpus/<name>/, which it
# only reads: new inputs go to BUILD_DIR/corpus/<name>/ (listed first, so
# libFuzzer writes there) and crashing inputs to BUILD_DIR/artifacts/. The
# full log is BUILD_DIR/logs/<name>.log; its tail is printed on failure.
# FUZZ_JOBS harnesses run at once (default 2, one per core here), each
# still for SECONDS.
set -u
dir=$1
secs=$2
shift 2
jobs=${FUZZ_JOBS:-2}

# run_one TARGET: one harness; its verdict line goes to logs/<name>.result.
run_one() {
	name=${1#fuzz_}
	seeds=tests/fuzz/corpus/$name
	scratch=$dir/corpus/$name
	log=$dir/logs/$name.log
	mkdir -p "$scratch" "$dir/artifacts" "$dir/logs"
	# Keywords the mutator splices in: tests/fuzz/<dict>.dict.
	case $name in
	config | apply) dict=-dict=tests/fuzz/config.dict ;;
	cel) dict=-dict=tests/fuzz/cel.dict ;;
	h1_*) dict=-dict=tests/fuzz/h1.dict ;;
	h2_*) dict=-dict=tests/fuzz/h2.dict ;;
	openapi) dict=-dict=tests/fuzz/openapi.dict ;;
	*) dict= ;;
	esac
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: 2 GiB,
	# since CI machines have little to spare.
	if "$dir/$1" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/$name-" $dict \
		"$scratch" "$seeds" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
		echo "fuzz: $name ok (${runs:-?} runs in ${secs} s, $cov)" >"$dir/logs/$name.result"
	else
		echo "FAILED: fuzz $name (log: $log; inputs: $dir/artifacts/$name-*)" \
			>"$dir/logs/$name.result"
	fi
}

mkdir -p "$dir/logs"
running=0
for t in "$@"; do
	rm -f "$dir/logs/${t#fuzz_}.result"
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

passed=0
failed=0
for t in "$@"; do
	name=${t#fuzz_}
	line=$(cat "$dir/logs/$name.result" 2>/dev/null || echo "FAILED: fuzz $name (no verdict)")
	echo "$line"
	case $line in
	FAILED*)
		failed=$((failed + 1))
		tail -n 40 "$dir/logs/$name.log"
		;;
	*) passed=$((passed + 1)) ;;
	esac
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
