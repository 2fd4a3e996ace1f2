# A stdio target whose process goes while its session is in use is
# started again with back-off (250 ms, doubled each time, 5 restarts in a
# row at most) and initialized with the client's own initialize before
# what waited for it goes: killed by its pid under a waiting call, that
# call is answered -32002 within a second, and the session's next call is
# served by the new process (another pid, given the client's initialize
# and notifications/initialized); each restart is logged and counted in
# splicegate_mcp_target_restarts_total. A target that keeps exiting is
# restarted five times in a row, then its calls fail at once. DELETE
# kills a restarted process. A restarted process that never answers the
# gateway's initialize is given 10 s: the call held for it fails then
# (-32002, not after the call's 60 s), the process is killed and started
# again after the back-off, and the next call is served. The target is
# mcp_stdio_fake.py (python3), hanging on initialize while a file exists.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/mcplib.sh"
U=http://127.0.0.1:3000/mcp

# call SESSION ID TOOL [FILE]: tools/call TOOL posted (a JSON answer: its
# target sends nothing else); its status and body ($WORK/body, or FILE).
call() {
	local f=${4:-$WORK/body}
	curl -s -o "$f" -w '%{http_code}' -X POST -H "$J" -H "$A" \
		-H "mcp-session-id: $1" \
		-d "{\"jsonrpc\":\"2.0\",\"id\":$2,\"method\":\"tools/call\",\"params\":{\"name\":\"$3\",\"arguments\":{}}}" $U
	echo " $(cat "$f")"
}
# text SESSION ID TOOL: the call's result text, or "error CODE MESSAGE".
text() {
	call "$@" >/dev/null
	python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(m["result"]["content"][0]["text"] if "result" in m else
      "error %d %s" % (m["error"]["code"], m["error"]["message"]))' "$WORK/body"
}
children() { cat /proc/"$GW_PID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . | sort -n; }
restarts() {
	curl -s http://127.0.0.1:15020/metrics | awk '/^splicegate_mcp_target_restarts_total / {print $2}'
}

fake_yaml "$WORK/fake.yaml" --hang-init "$WORK/hang"
mcp_start "$WORK/fake.yaml" "one stdio target"
S=$(session $U)
pid1=$(text "$S" 2 pid)
check "the target's process is the gateway's child" "$(children)" "$pid1"
check "no restart yet: splicegate_mcp_target_restarts_total 0" "$(restarts)" 0

# Killed by its pid under a waiting call.
call "$S" 3 wait "$WORK/waited" >"$WORK/waited.status" &
W=$!
sleep 0.3
t0=$(date +%s%N)
kill -KILL "$pid1"
wait $W
ms=$((($(date +%s%N) - t0) / 1000000))
check "the waiting call: -32002, the target exited" "$(cat "$WORK/waited.status")" \
	'200 {"jsonrpc":"2.0","id":3,"error":{"code":-32002,"message":"target fake: it exited"}}'
[ "$ms" -lt 1000 ] && pass "... answered within a second of the kill (${ms} ms)" ||
	fail "... answered ${ms} ms after the kill"
t0=$(date +%s%N)
check "the next call is served by the new process, after the back-off" "$(text "$S" 4 hello)" hello
ms=$((($(date +%s%N) - t0) / 1000000))
echo "  (the call after the kill took ${ms} ms: 250 ms of back-off, then python's start)"
pid2=$(text "$S" 5 pid)
[ -n "$pid2" ] && [ "$pid2" != "$pid1" ] && [ "$(children)" = "$pid2" ] &&
	pass "a new process ($pid1 -> $pid2), the gateway's only child" ||
	fail "pids: $pid1 -> $pid2, children: $(children | tr '\n' ' ')"
check "the new process got the client's initialize, then notifications/initialized" \
	"$(text "$S" 6 init)" "curl 2025-06-18 initialized"
check "restarts counted: splicegate_mcp_target_restarts_total 1" "$(restarts)" 1
grep -q "mcp session $S: target fake: it exited: restart 1 in 250 ms" "$WORK/gateway.log" &&
	grep -q "mcp session $S: target fake: restarted (restart 1 in a row)" "$WORK/gateway.log" &&
	pass "the restart is logged: when, and done" ||
	fail "log: $(grep "target fake" "$WORK/gateway.log" | tail -3)"

# A process that keeps exiting: restarts 2 to 5 (0.5, 1, 2, 4 s after),
# each exit failing its call; the fifth in a row is the last.
ok=0
for i in 1 2 3 4 5; do
	[ "$(text "$S" $((10 + i)) exit)" = "error -32002 target fake: it exited" ] && ok=$((ok + 1))
done
check "five calls that make it exit: each -32002" "$ok" 5
t0=$(date +%s%N)
r=$(call "$S" 20 hello)
ms=$((($(date +%s%N) - t0) / 1000000))
check "then it is not started again: the next call fails" "$r" \
	'200 {"jsonrpc":"2.0","id":20,"error":{"code":-32002,"message":"target fake: it exited"}}'
[ "$ms" -lt 500 ] && pass "... at once (${ms} ms)" || fail "... after ${ms} ms"
check "five restarts counted" "$(restarts)" 5
grep -q "mcp session $S: target fake: 5 restarts in a row: not started again" "$WORK/gateway.log" &&
	pass "the give-up is logged" || fail "log: $(grep "target fake" "$WORK/gateway.log" | tail -3)"
check "no process left for it" "$(children | wc -l)" 0

# A restarted process ends with its session.
S2=$(session $U)
kill -KILL "$(text "$S2" 2 pid)"
check "another session's restarted target answers" "$(text "$S2" 3 hello)" hello
check "DELETE: 200" "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "mcp-session-id: $S2" $U)" 200
sleep 0.3
check "the restarted process is killed with its session" "$(children | wc -l)" 0

# A restarted process that never answers the gateway's initialize.
S3=$(session $U)
pid1=$(text "$S3" 2 pid)
touch "$WORK/hang"
kill -KILL "$pid1"
t0=$(date +%s%N)
r=$(call "$S3" 3 hello)
ms=$((($(date +%s%N) - t0) / 1000000))
rm -f "$WORK/hang"
check "a call held for a handshake that never ends: -32002" "$r" \
	'200 {"jsonrpc":"2.0","id":3,"error":{"code":-32002,"message":"target fake: it did not answer its initialize in 10 s"}}'
[ "$ms" -ge 10000 ] && [ "$ms" -lt 14000 ] &&
	pass "... after the back-off and the 10 s bound (${ms} ms)" || fail "... after ${ms} ms"
check "the next call is served by a process started again" "$(text "$S3" 4 hello)" hello
grep -q "mcp session $S3: target fake: it did not answer its initialize in 10 s: restart 2 in 500 ms" \
	"$WORK/gateway.log" && pass "the silent process is restarted with the back-off" ||
	fail "log: $(grep "target fake" "$WORK/gateway.log" | tail -3)"
check "the silent process is gone: one child" "$(children | wc -l)" 1
stop_gateway
finish
