#!/usr/bin/env bash
# Runs every e2e scenario (tests/e2e/*-*.sh), one process each, and prints
# one closing line: "e2e: N passed, N failed". Each scenario runs in a
# network namespace of its own (a fresh loopback, no other listeners), so the
# fixed ports the scenarios use never meet another gateway on this host, and
# several suites (the sanitizer build's, a developer's) may run at once.
# SG_E2E_ONLY=PATTERN runs the scenarios whose name contains PATTERN.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
for t in "$dir"/*-*.sh; do
	name=$(basename "$t" .sh)
	case $name in *"${SG_E2E_ONLY:-}"*) ;; *) continue ;; esac
	echo "== $name"
	if timeout 300 unshare --net sh -c 'ip link set lo up && exec bash "$0"' "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED: $name"
	fi
done
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
