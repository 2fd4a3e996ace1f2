# The MCP gateway over stdio targets, with real components from npm:
# agentgateway's mcp-basic (the top-level `mcp:` shorthand, CORS) and
# mcp-multiplex (an `mcp` route backend federating two targets) with
# @modelcontextprotocol/server-everything as the targets and the official
# SDK's client (tests/e2e/mcp-client.mjs) as the client: tools listed,
# tools called, session ended with DELETE. Then what a raw client sees:
# JSON-RPC errors with 400/404/405/406/415 for bad input (a POST whose
# Accept lacks application/json or text/event-stream: 406; a DELETE with
# an MCP-Protocol-Version not spoken: 400), a request id past 2^53
# answered as written, an unknown session,
# a session reached from both workers,
# and a target killed under a session started again, while other sessions
# go on. A failing target: failClosed fails
# initialize, failOpen serves the others. A route's requestTimeout (seed
# 003's mcp: example) answers 504 and ends the session it gave up.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/mcplib.sh"

# ---- mcp-basic: the shorthand, one target --------------------------------
cat >"$WORK/basic.yaml" <<YAML
mcp:
  port: 3000
  policies:
    cors:
      allowOrigins: ["*"]
      allowHeaders: [mcp-protocol-version, content-type, cache-control, mcp-session-id]
      exposeHeaders: ["Mcp-Session-Id"]
  targets:
  - name: everything
    stdio:
      cmd: node
      args: ["$EVERY", "stdio"]
      env: {SG_MARK: basic}
YAML
# Two workers: a session is the gateway's, whichever worker a connection
# lands on (below: a session's requests on new connections).
mcp_start "$WORK/basic.yaml" "mcp-basic's shape" 2
sdk_one_target 'call:get-env:{}'
has 5 'SG_MARK.*basic' "the target got its env"
mcp_dump >"$WORK/mcpdump"
check "config_dump: the mcp backend" "$(sed "s|$EVERY|EVERY|" "$WORK/mcpdump")" \
	'{"statefulMode": "stateful", "targets": [{"name": "everything", "stdio": {"args": ["EVERY", "stdio"], "cmd": "node", "env": {"SG_MARK": "basic"}}}]}'

# ---- raw requests: what a client that errs sees ---------------------------
U=http://127.0.0.1:3000/mcp
code_body() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; echo " $(cat "$WORK/body")"; }
check "not JSON: 400, parse error" "$(code_body -X POST -H "$J" -H "$A" -d 'nope' $U)" \
	'400 {"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"the body is not JSON"}}'
check "JSON and then more: 400, parse error, as serde_json refuses trailing characters" \
	"$(code_body -X POST -H "$J" -H "$A" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}x' $U)" \
	'400 {"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"the body is not JSON"}}'
check "a batch: 400, invalid request" \
	"$(code_body -X POST -H "$J" -H "$A" -d '[{"jsonrpc":"2.0","id":1,"method":"ping"}]' $U)" \
	'400 {"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"JSON-RPC batches are not supported (MCP 2025-06-18)"}}'
check "no session: 400" \
	"$(code_body -X POST -H "$J" -H "$A" -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' $U)" \
	'400 {"jsonrpc":"2.0","id":2,"error":{"code":-32001,"message":"Mcp-Session-Id is required: initialize first"}}'
check "unknown session: 404" \
	"$(code_body -X POST -H "$J" -H "$A" -H 'mcp-session-id: 00ff' -d '{"jsonrpc":"2.0","id":3,"method":"tools/list"}' $U)" \
	'404 {"jsonrpc":"2.0","id":3,"error":{"code":-32001,"message":"no such MCP session"}}'
check "text/plain: 415" \
	"$(code_body -X POST -H 'content-type: text/plain' -H "$A" -d '{}' $U)" \
	'415 {"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Content-Type must be application/json"}}'
check "PUT: 405" "$(code_body -X PUT $U)" '405 '
# MCP's streamable HTTP: a POST MUST accept both; agentgateway answers
# 406 otherwise (its Accept read for the two types, */* standing for
# neither), before it reads the body or its Content-Type.
for acc in 'application/json' 'text/event-stream' '*/*' ''; do
	check "a POST whose Accept is '$acc': 406" \
		"$(code_body -X POST -H 'content-type: text/plain' -H "accept: $acc" -d 'nope' $U)" \
		'406 {"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Accept must name both application/json and text/event-stream"}}'
done

S1=$(init_session $U)
S2=$(init_session $U)
grep -q '"protocolVersion":"2025-06-18"' "$WORK/body" &&
	pass "initialize: the version the client asked" || fail "initialize: $(cat "$WORK/body")"
[ ${#S1} = 32 ] && [ "$S1" != "$S2" ] && pass "two sessions, two ids" || fail "sessions '$S1' '$S2'"
# Each curl is a new connection, which the kernel gives to one of the two
# workers' listeners (SO_REUSEPORT, by the connection's ports): 20 in a row
# on the worker that began the session would happen twice in a million.
ok=0
for i in $(seq 1 20); do
	[ "$(code_body -X POST -H "$J" -H "$A" -H "mcp-session-id: $S1" \
		-d '{"jsonrpc":"2.0","id":9,"method":"ping"}' $U)" = \
		'200 {"jsonrpc":"2.0","id":9,"result":{}}' ] && ok=$((ok + 1))
done
check "a session is found from either worker: 20 requests on new connections" "$ok" 20
check "a bad MCP-Protocol-Version: 400" \
	"$(code_body -X POST -H "$J" -H "$A" -H "mcp-session-id: $S1" -H 'mcp-protocol-version: 1999-01-01' -d '{"jsonrpc":"2.0","id":4,"method":"ping"}' $U)" \
	'400 {"jsonrpc":"2.0","id":4,"error":{"code":-32600,"message":"MCP-Protocol-Version names a version the gateway does not speak"}}'
check "a notification: 202" \
	"$(code_body -X POST -H "$J" -H "$A" -H "mcp-session-id: $S1" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' $U)" '202 '
# The target sees the gateway's own id for the call; the client gets its
# own back as it wrote it (it went through a double: ...992).
check "an id past 2^53 comes back as written" \
	"$(code_body -X POST -H "$J" -H "$A" -H "mcp-session-id: $S1" -d '{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}}}' $U | cut -c1-45)" \
	'200 {"jsonrpc":"2.0","id":9007199254740993,"r'
check "a DELETE with a bad MCP-Protocol-Version: 400, its session goes on" \
	"$(code_body -X DELETE -H "mcp-session-id: $S1" -H 'mcp-protocol-version: 1999-01-01' $U) $(code_body -X POST -H "$J" -H "$A" -H "mcp-session-id: $S1" -d '{"jsonrpc":"2.0","id":6,"method":"ping"}' $U)" \
	'400 {"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"MCP-Protocol-Version names a version the gateway does not speak"}} 200 {"jsonrpc":"2.0","id":6,"result":{}}'

# A target killed under session 1: its process is started again (e2e
# mcp-restart: back-off, bounds, a waiting call's error) and session 1's
# next call is served by it; session 2's target answers on.
kids=$(pgrep -P "$GW_PID" | tr '\n' ' ')
set -- $kids
check "one child per session" "$#" 2
killed=$1
kill -KILL "$killed"
sleep 0.2
call_echo() {
	code_body -X POST -H "$J" -H "$A" -H "mcp-session-id: $1" -d '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}}}' $U
}
r1=$(call_echo "$S1")
r2=$(call_echo "$S2")
check "both sessions' calls answered, the killed target's by its new process" \
	"$(echo "$r1$r2" | grep -o 'Echo: x' | wc -l)" 2
after=$(pgrep -P "$GW_PID" | tr '\n' ' ')
check "two children again, the killed one replaced" \
	"$(echo $after | wc -w) $(echo " $after" | grep -c " $killed ")" "2 0"
check "DELETE session 2: 200" "$(code_body -X DELETE -H "mcp-session-id: $S2" $U)" '200 '
check "DELETE again: 404" "$(code_body -X DELETE -H "mcp-session-id: $S2" $U)" \
	'404 {"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"no such MCP session"}}'
stop_gateway
for p in $kids $after; do
	kill -0 "$p" 2>/dev/null && fail "child $p outlived the gateway"
done

# ---- mcp-multiplex: two targets behind one route --------------------------
mcp_route "$WORK/multi.yaml" '{name: time, stdio: {cmd: node, args: ["'"$EVERY"'"]}}' \
	'{name: everything, stdio: {cmd: node, args: ["'"$EVERY"'", "stdio"]}}'
mcp_start "$WORK/multi.yaml" "mcp-multiplex's shape"
out=$(node "$CLIENT" http://127.0.0.1:3000/mcp tools 'call:time_echo:{"message":"t"}' \
	'call:everything_get-sum:{"a":2,"b":3}' 'call:echo:{}' end 2>&1)
has 2 '"everything_echo",.*"time_echo"' "tools/list: both targets' tools, prefixed"
check "time_echo goes to target time" "$(echo "$out" | sed -n 3p)" \
	'{"call":"time_echo","text":"Echo: t","isError":false}'
has 4 '"text":"The sum of 2 and 3 is 5' "everything_get-sum goes to target everything"
check "an unprefixed name: invalid params" "$(echo "$out" | sed -n 5p)" \
	'{"call":"echo","error":-32602}'
stop_gateway

# ---- a target that fails: failClosed fails initialize, failOpen goes on ---
failure_modes "$WORK/fail.yaml" '{name: good, stdio: {cmd: node, args: ["'"$EVERY"'"]}}' \
	'{name: bad, stdio: {cmd: /bin/false}}' '{name: bad, stdio: {cmd: /no/such/program}}'
mcp_start "$WORK/fail.yaml" "failure modes"
S=$(init_session http://127.0.0.1:3000/closed)
check "failClosed: initialize fails, no session" "$S $(cat "$WORK/body")" \
	' {"jsonrpc":"2.0","id":1,"error":{"code":-32002,"message":"target bad: it exited"}}'
fail_open_served bad
check "no child left of the failed session" "$(gw_children)" 0
stop_gateway

# ---- seed 003's shape: the route's requestTimeout bounds an MCP request ---
cat >"$WORK/slow.yaml" <<YAML
mcp:
  port: 3000
  policies: {timeout: {requestTimeout: 1s}}
  targets: [{name: slow, stdio: {cmd: sleep, args: ["100"]}}]
YAML
start_engine copy -p 3000 --workers 1 -c "$WORK/slow.yaml" || finish
check "a target that never answers: 504 at the requestTimeout" \
	"$(code_body -X POST -H "$J" -H "$A" -d "$INIT" $U)" '504 request timeout'
check "the given-up session's child is gone" "$(gw_children)" 0
stop_gateway
finish
