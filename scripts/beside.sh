#!/usr/bin/env bash
#   beside.sh LOG 'BACKGROUND COMMAND' COMMAND...
# Runs COMMAND while BACKGROUND COMMAND (a shell command line) runs beside
# it at the lowest priority (nice 19), in a process group of its own, its
# output to LOG. `make test` runs the builds that the suites after the e2e
# pass need this way, in the CPU the e2e scenarios leave idle. The group's
# id is exported as SG_E2E_PAUSE: tests/e2e/run.sh stops the group while a
# scenario that must have the machine to itself runs. When COMMAND ends,
# waits for the background, prints LOG, and fails if either failed.
set -u
log=$1
bg=$2
shift 2
mkdir -p "$(dirname "$log")"
# setsid: a group of its own, so that it can be stopped and resumed whole.
setsid nice -n 19 sh -c "$bg" >"$log" 2>&1 </dev/null &
pid=$!
trap 'kill -CONT -- -$pid 2>/dev/null' EXIT
trap 'kill -TERM -- -$pid 2>/dev/null; exit 130' INT TERM
SG_E2E_PAUSE=$pid "$@"
rc=$?
kill -CONT -- -"$pid" 2>/dev/null
wait "$pid"
bgrc=$?
echo "== beside the e2e pass (${log}):"
cat "$log"
[ "$bgrc" -eq 0 ] || echo "FAILED: $bg (exit $bgrc)"
[ "$rc" -eq 0 ] && [ "$bgrc" -eq 0 ]
