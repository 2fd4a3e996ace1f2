# Resuming the session's GET stream (MCP's "Resumability and Redelivery"):
# the events the gateway writes on it carry ids (counted per session);
# what the targets send the client while no GET is open is kept; a client
# that dropped its GET and comes back with Last-Event-ID gets, first, the
# events after that one (those its dead stream carried and those made
# while it was away), then what comes. An id the stream never gave, or
# none, replays nothing; the replay keeps the last 64 events. Events on a
# POST's own stream carry no id. The target is mcp_stdio_fake.py, whose
# tool `later` sends N logging notifications after its result (no call
# claims them: they go on the GET stream), and `big` before it (on the
# POST's own stream, which every POST accepts).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/mcplib.sh"
U=http://127.0.0.1:3000/mcp
SSE='accept: text/event-stream'

fake_yaml "$WORK/fake.yaml"
mcp_start "$WORK/fake.yaml" "one stdio target"
S=$(session $U)

# later N [TOOL]: N notifications/message ("I:x" each) from the target,
# after its answer (TOOL big: before it, on the POST's stream).
later() {
	curl -s -o "$WORK/big" -X POST -H "$J" -H "$A" -H "mcp-session-id: $S" \
		-d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"${2:-later}\",\"arguments\":{\"n\":$1,\"size\":1}}}" $U
}
# events FILE: each event as "ID:DATA" (the notification's data, "-" for
# an event without id), one a line.
events() {
	python3 -c '
import json, sys
eid = "-"
for line in open(sys.argv[1]).read().replace("\r", "").split("\n"):
    if line.startswith("id: "):
        eid = line[4:]
    elif line.startswith("data: "):
        m = json.loads(line[6:])
        print("%s:%s" % (eid, m.get("params", {}).get("data", "result")))
    elif line == "":
        eid = "-"
' "$1"
}
# get FILE [LAST-EVENT-ID]: a GET stream, read for 1.5 s into FILE; its
# status.
get() {
	local last=()
	[ -z "${2:-}" ] || last=(-H "last-event-id: $2")
	: >"$1"
	curl -s -N --max-time 1.5 -o "$1" -w '%{http_code}' -H "$SSE" -H "mcp-session-id: $S" \
		"${last[@]}" $U
}

# A GET open: two events, ids 1 and 2; then it is dropped.
curl -s -N -o "$WORK/g1" -H "$SSE" -H "mcp-session-id: $S" $U &
G=$!
sleep 0.5
later 2
sleep 0.3
kill $G
wait $G 2>/dev/null
check "the GET stream's events carry ids" "$(events "$WORK/g1" | tr '\n' ' ')" "1:0:x 2:1:x "
sleep 0.3
# Away: three more, kept.
later 3
sleep 0.3
get "$WORK/g2" 2 >/dev/null
check "back with Last-Event-ID 2: the three it missed, in order" \
	"$(events "$WORK/g2" | tr '\n' ' ')" "3:0:x 4:1:x 5:2:x "
get "$WORK/g3" 4 >/dev/null
check "Last-Event-ID 4: the one after it" "$(events "$WORK/g3" | tr '\n' ' ')" "5:2:x "
check "no Last-Event-ID: the stream opens, nothing replayed" \
	"$(get "$WORK/g4") $(events "$WORK/g4" | wc -l)" "200 0"
check "an id the stream never gave: the stream opens, nothing replayed" \
	"$(get "$WORK/g5" 99) $(events "$WORK/g5" | wc -l)" "200 0"

# The replay is bounded: 70 more while away, the last 64 kept.
later 70
sleep 0.3
get "$WORK/g6" 0 >/dev/null
check "70 more while away: the last 64 replayed (ids 12 to 75)" \
	"$(events "$WORK/g6" | sed -n '1p;$p' | tr '\n' ' ') $(events "$WORK/g6" | wc -l)" \
	"12:6:x 75:69:x  64"

# A POST that takes its own stream: its events carry no id (it ends with
# its answer: nothing to resume).
later 2 big
check "a POST's own stream: its events without ids" "$(events "$WORK/big" | tr '\n' ' ')" \
	"-:0:x -:1:x -:result "
stop_gateway
finish
