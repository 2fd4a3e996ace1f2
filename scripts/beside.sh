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
rm -f "$log.rc"
# setsid: a group of its own, so that it can be stopped and resumed whole.
# Its leader outlives the command (sleeping until it is killed below), so
# that the group's id stays its own and never names another process's
# group while COMMAND may still stop it.
setsid nice -n 19 sh -c '('"$bg"'); echo $? >"$0"; exec sleep infinity' "$log.rc" \
	>"$log" 2>&1 </dev/null &
pid=$!
trap 'kill -CONT -- -$pid 2>/dev/null; kill -TERM -- -$pid 2>/dev/null' EXIT
trap 'exit 130' INT TERM
SG_E2E_PAUSE=$pid "$@"
rc=$?
kill -CONT -- -"$pid" 2>/dev/null
while [ ! -s "$log.rc" ] && kill -0 "$pid" 2>/dev/null; do
	sleep 1
done
bgrc=$(cat "$log.rc" 2>/dev/null || echo "none")
echo "== beside the e2e pass (${log}):"
cat "$log"
[ "$bgrc" = 0 ] || echo "FAILED: $bg (exit $bgrc)"
[ "$rc" -eq 0 ] && [ "$bgrc" = 0 ]
