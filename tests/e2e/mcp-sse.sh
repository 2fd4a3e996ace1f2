# MCP's legacy HTTP+SSE transport (protocol 2024-11-05), both ways.
# Downstream, as agentgateway serves it at the path /sse: a GET opens a
# session whose stream's first event names where to POST
# (/sse?sessionId=ID); a POST there is accepted (202) and answered on the
# stream; a POST without a sessionId gets 400, with an unknown one 404,
# with two (a link to the stream that fixed one) 400, a call
# mcpAuthorization refuses too;
# the client closing its stream ends the session (its target's process
# killed). The official SDK's SSE client lists, calls and gets progress
# through it, with @modelcontextprotocol/server-everything over stdio as
# the target. Upstream, an `sse` target: server-everything in its sse mode
# behind the gateway, driven by the SDK's streamable HTTP client
# (initialize, tools/list, echo, a long-running tool's progress),
# config_dump's target; the server killed, the session's next call fails
# at once with a JSON-RPC error naming the target.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/mcplib.sh"
G=http://127.0.0.1:3000
code_body() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; echo " $(cat "$WORK/body")"; }

# until FILE PATTERN: FILE has a line matching PATTERN (within 5 s).
until_in() {
	for _ in $(seq 50); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---- downstream: the gateway serves the legacy transport at /sse ----------
cat >"$WORK/legacy.yaml" <<YAML
mcp:
  port: 3000
  policies:
    mcpAuthorization: {rules: ['mcp.tool.name != "get-env"']}
  targets:
  - name: everything
    stdio: {cmd: node, args: ["$EVERY", "stdio"]}
YAML
mcp_start "$WORK/legacy.yaml" "mcp-basic's shape"
curl -s -N --max-time 60 -H 'accept: text/event-stream' $G/sse >"$WORK/stream" &
L=$!
PIDS+=("$L")
until_in "$WORK/stream" '^data: ' || fail "no endpoint event on the stream"
EP=$(sed -n 's/^data: //p' "$WORK/stream" | head -1 | tr -d '\r')
check "the stream's first event: endpoint /sse?sessionId=ID" \
	"$(head -1 "$WORK/stream" | tr -d '\r')|$(echo "$EP" | sed -E 's/=[0-9a-f]{32}$/=ID/')" \
	'event: endpoint|/sse?sessionId=ID'
check "POST initialize to the endpoint: 202" "$(code_body -X POST -H "$J" -d "$INIT" "$G$EP")" '202 '
until_in "$WORK/stream" '"id":1,"result"' && pass "initialize answered on the stream" ||
	fail "initialize: $(cat "$WORK/stream")"
check "its answer: 2024-11-05's message event" \
	"$(grep -B1 '"id":1,"result"' "$WORK/stream" | head -1 | tr -d '\r')" 'event: message'
curl -s -o /dev/null -X POST -H "$J" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$G$EP"
check "POST ping: 202" "$(code_body -X POST -H "$J" -d '{"jsonrpc":"2.0","id":3,"method":"ping"}' "$G$EP")" '202 '
until_in "$WORK/stream" '^data: {"jsonrpc":"2.0","id":3,"result":{}}' &&
	pass "ping answered on the stream" || fail "ping: $(tail -3 "$WORK/stream")"
check "POST without a sessionId: 400" \
	"$(code_body -X POST -H "$J" -d '{"jsonrpc":"2.0","id":4,"method":"ping"}' $G/sse)" \
	'400 {"jsonrpc":"2.0","id":4,"error":{"code":-32001,"message":"the sessionId query parameter is required"}}'
check "POST with an unknown sessionId: 404" \
	"$(code_body -X POST -H "$J" -d '{"jsonrpc":"2.0","id":5,"method":"ping"}' "$G/sse?sessionId=00ff")" \
	'404 {"jsonrpc":"2.0","id":5,"error":{"code":-32001,"message":"no such MCP session"}}'
check "one target process for the session" "$(pgrep -P "$GW_PID" | wc -l)" 1
# A link to the stream that carries a sessionId (one an attacker holds the
# stream of, fixed for a victim): the new stream's endpoint names both,
# and a POST there is refused (400, as agentgateway's query reader
# refuses a parameter given twice), never served by the first session.
curl -s -N --max-time 60 -H 'accept: text/event-stream' "$G$EP" >"$WORK/fixed" &
L2=$!
PIDS+=("$L2")
until_in "$WORK/fixed" '^data: ' || fail "no endpoint event on the second stream"
EP2=$(sed -n 's/^data: //p' "$WORK/fixed" | head -1 | tr -d '\r')
check "a sessionId in the stream's link: the endpoint names it and the new one" \
	"$(echo "$EP2" | sed -E 's/=[0-9a-f]{32}/=ID/g')" '/sse?sessionId=ID&sessionId=ID'
check "a POST naming two sessions: 400, neither served" \
	"$(code_body -X POST -H "$J" -d '{"jsonrpc":"2.0","id":7,"method":"ping"}' "$G$EP2")" \
	'400 {"jsonrpc":"2.0","id":7,"error":{"code":-32001,"message":"the sessionId query parameter is given twice"}}'
check "a refused call naming two sessions: 400 too" \
	"$(code_body -X POST -H "$J" -d '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"get-env"}}' "$G$EP2")" \
	'400 {"jsonrpc":"2.0","id":8,"error":{"code":-32001,"message":"the sessionId query parameter is given twice"}}'
sleep 0.3
check "nothing of either on the first session's stream" "$(grep -c '"id":[78],' "$WORK/stream")" 0
kill "$L2"
kill "$L"
check "the stream closed: the session ended, its process killed" "$(gw_children)" 0
check "its endpoint is gone: 404" \
	"$(code_body -X POST -H "$J" -d '{"jsonrpc":"2.0","id":6,"method":"ping"}' "$G$EP" | cut -c1-4)" '404 '

out=$(MCP_TRANSPORT=sse node "$CLIENT" $G/sse tools 'call:echo:{"message":"hi"}' \
	'progress:trigger-long-running-operation:{"duration":0.4,"steps":2}' end 2>&1)
check "SDK SSE client: initialize answered by the gateway" "$(echo "$out" | sed -n 1p)" \
	'{"version":"splicegate"}'
has 2 '"tools":\[.*"echo",.*"get-sum",' "SDK SSE client: tools/list"
check "SDK SSE client: echo" "$(echo "$out" | sed -n 3p)" \
	'{"call":"echo","text":"Echo: hi","isError":false}'
check "SDK SSE client: progress on the stream, then the result" "$(progress_line 4 2)" \
	'{"call":"trigger-long-running-operation","progress":2,"text":"Long running operation completed. Duration: 0.4 seconds, Steps: 2."}'
stop_gateway

# ---- upstream: an sse target ------------------------------------------------
SP=3102
PORT=$SP node "$EVERY" sse >"$WORK/sse.log" 2>&1 &
SSE_PID=$!
PIDS+=("$SSE_PID")
wait_port $SP 20 || fail "server-everything (sse) does not listen on :$SP"
cat >"$WORK/target.yaml" <<YAML
mcp:
  port: 3000
  targets:
  - name: everything
    sse: {host: "http://127.0.0.1:$SP/sse"}
YAML
mcp_start "$WORK/target.yaml" "an sse target"
check "config_dump: the sse target" "$(mcp_dump)" \
	'{"statefulMode": "stateful", "targets": [{"name": "everything", "sse": {"host": "127.0.0.1", "path": "/sse", "port": 3102}}]}'
sdk_one_target 'progress:trigger-long-running-operation:{"duration":0.4,"steps":2}'
check "sse target: progress relayed, then the result" "$(progress_line 5 2)" \
	'{"call":"trigger-long-running-operation","progress":2,"text":"Long running operation completed. Duration: 0.4 seconds, Steps: 2."}'
until_in "$WORK/sse.log" "Client Disconnected" && pass "the session's end closed the target's stream" ||
	fail "the target never saw its stream close"

S=$(init_session $G/mcp)
curl -s -o /dev/null -X POST -H "$J" -H "$A" -H "mcp-session-id: $S" \
	-d '{"jsonrpc":"2.0","method":"notifications/initialized"}' $G/mcp
kill "$SSE_PID"
sleep 0.5
t0=$(date +%s%N)
check "the server killed: the next call fails at once, naming the target" \
	"$(code_body -X POST -H "$J" -H "$A" -H "mcp-session-id: $S" -d '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}}}' $G/mcp | sed -E 's/(ended)[^"]*/\1/')" \
	'200 {"jsonrpc":"2.0","id":7,"error":{"code":-32002,"message":"target everything: its event stream ended"}}'
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 1000 ] && pass "within a second (${ms} ms)" || fail "took ${ms} ms"
stop_gateway
finish
