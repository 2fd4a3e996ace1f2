# 100 MCP sessions at once, each with its own stdio target (a child
# process of the gateway's): the gateway's RSS grows by less than the bound
# docs/mcp.md computes for what it keeps per session (100 x 72 KiB), the
# targets' own memory reported apart; each session's target is a child of
# the gateway (/proc), the one it says it is; one target killed by its pid
# while its session has a call waiting: that call is answered with -32002
# within a second, the session's next call by its target started again
# (e2e mcp-restart), and the 99 other sessions answer; DELETE ends all 100, no child left. The sessions
# begin from eight loopback addresses: one address holds 32 at most, its
# 33rd is refused (503, -32001) while the others' go on. The target is
# mcp_stdio_fake.py run by Debian's python3 (~10 MiB and 0.05 s of CPU to
# start) rather than server-everything (node: ~70 MiB and 1.1 s of CPU
# each, 7 GiB and nearly two minutes of CPU for 100 on a 2-core machine).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/mcplib.sh"

N=100
# What a session with one idle stdio target keeps (docs/mcp.md "Memory"):
# its session, target and child records, the child's 64 KiB stdout buffer
# and its stdin buffer's first 4 KiB, with malloc's headers: under 72 KiB.
BOUND_KIB=$((N * 72))
# ASan keeps freed blocks in quarantine and pads each allocation: a
# sanitized gateway grew by 10 MiB where the plain one grows by 0.6 MiB.
[ -z "${SG_SANITIZED:-}" ] || BOUND_KIB=$((N * 288))

fake_yaml "$WORK/sessions.yaml"
mcp_start "$WORK/sessions.yaml" "one stdio target" 2
U=http://127.0.0.1:3000/mcp
SESS="node $E2E_DIR/mcp_sessions.mjs"

# children: the gateway's child processes, from /proc (its threads' lists).
children() {
	cat /proc/"$GW_PID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . | sort -n
}

# A first round opens and ends N sessions, so that what the gateway takes
# once (the MCP service's thread and its malloc arena, the workers'
# connection buffers at N at once) is in RSS0.
timeout 120 $SESS open $U $N >"$WORK/warm"
check "a first round: $N sessions opened" "$(grep -c '"sid"' "$WORK/warm")" $N
check "... and ended" "$(timeout 60 $SESS end $U "$WORK/warm")" "{\"ended\":$N}"
sleep 0.5
check "no child left of them" "$(children | wc -l)" 0
RSS0=$(rss_kib)

t0=$(date +%s%N)
timeout 120 $SESS open $U $N >"$WORK/open"
ms=$((($(date +%s%N) - t0) / 1000000))
check "$N sessions opened at once (${ms} ms)" "$(grep -c '"sid"' "$WORK/open")" $N
grep failed "$WORK/open" | head -3
RSS1=$(rss_kib)
children >"$WORK/kids"
check "$N children of the gateway, one a session" "$(wc -l <"$WORK/kids")" $N
sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$WORK/open" | sort -n >"$WORK/said"
check "each session's target is one of those children" "$(diff "$WORK/kids" "$WORK/said")" ""
grown=$((RSS1 - RSS0))
kids_mib=$(($(while read -r p; do awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"; done \
	<"$WORK/kids" | paste -sd+ | bc) / 1024))
echo "  gateway RSS $RSS0 -> $RSS1 KiB (+$grown KiB for $N sessions); targets: $kids_mib MiB"
[ "$grown" -lt "$BOUND_KIB" ] &&
	pass "gateway RSS grew $grown KiB for $N sessions (bound $BOUND_KIB KiB)" ||
	fail "gateway RSS grew $grown KiB for $N sessions (want < $BOUND_KIB KiB)"

# One target killed by its pid, found among the gateway's children.
victim=$(sed -n 37p "$WORK/kids")
out=$(timeout 60 $SESS kill $U "$WORK/open" "$victim")
check "the killed target's waiting call: -32002" "$(echo "$out" | sed -n 1p | sed 's/,"ms":[0-9]*//')" \
	'{"waited":{"code":-32002,"message":"target fake: it exited"}}'
ms=$(echo "$out" | sed -n 1p | sed -n 's/.*"ms":\([0-9]*\).*/\1/p')
[ -n "$ms" ] && [ "$ms" -lt 1000 ] && pass "... answered ${ms} ms after the kill (< 1000)" ||
	fail "... answered ${ms:-never} ms after the kill"
check "its next call answered by its target started again; the $((N - 1)) others answer" \
	"$(echo "$out" | sed -n 2p | sed 's/,"ms":[0-9]*//')" "{\"hello\":$N,\"errors\":[]}"
check "$N children again, the killed one replaced" \
	"$(children | wc -l) $(children | grep -cx "$victim")" "$N 0"

check "DELETE ends all $N" "$(timeout 60 $SESS end $U "$WORK/open")" "{\"ended\":$N}"
sleep 0.5
check "no child left" "$(children | wc -l)" 0

# One client address: 32 sessions (1/8 of the gateway's 256), its 33rd
# refused as the gateway's own bound refuses; another address begins one.
timeout 120 $SESS open $U 33 127.0.0.9 >"$WORK/one"
check "one client address: 32 sessions, its 33rd refused" \
	"$(grep -c '"sid"' "$WORK/one") $(grep -c failed "$WORK/one")" "32 1"
check "... 503 -32001" "$(grep -o 'initialize: 503 .*}}' "$WORK/one")" \
	'initialize: 503 {\"jsonrpc\":\"2.0\",\"id\":0,\"error\":{\"code\":-32001,\"message\":\"too many MCP sessions from this client address: end one with DELETE\"}}'
check "another address begins one" "$(timeout 60 $SESS open $U 1 127.0.0.10 | grep -c '"sid"')" 1
stop_gateway
finish
