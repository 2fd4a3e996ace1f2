# Shared by the tests/build/ scripts and scripts/deb-check.sh, sourced after
# setting name (the closing line's word): a scratch directory $work removed
# on exit, the ok/bad counters and the closing line.
work=$(mktemp -d "/tmp/sg-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# finish: prints "NAME: N passed, N failed"; true only when none failed.
finish() {
	echo "$name: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
