# statefulMode: stateless (agentgateway's MCP backend option): no
# Mcp-Session-Id; each POST is served on its own, by targets started for
# it and initialized by the gateway first (the client's MCP-Protocol-Version,
# else 2025-11-25), killed when it is answered. The official SDK's client
# against server-everything over stdio: initialize answered without a
# session, tools listed and called, a tool's progress on its POST's event
# stream, ping. Raw, with two scriptable targets (mcp_stdio_fake.py):
# lists merged with prefixes, a tool's call starting its own target
# alone, each POST a new process, none left once answered, a client that
# leaves ending its request's processes, initialize answered with no
# session, GET and DELETE 405 (Allow: POST), a notification forwarded
# as agentgateway forwards it (each target started, initialized, given it,
# then 202, over stdio and streamable HTTP; 500 when a target is gone,
# failClosed), an Mcp-Session-Id
# ignored, config_dump's statefulMode.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/mcplib.sh"
FAKE=$(fake_stdio)
HP=3102 # mcp_fake.py, streamable HTTP: it logs each request
python3 "$E2E_DIR/mcp_fake.py" $HP "$WORK/http.log" >"$WORK/http.out" 2>&1 &
PIDS+=("$!")
wait_port $HP 10 || fail "mcp_fake.py does not listen on :$HP"
cat >"$WORK/stateless.yaml" <<YAML
binds:
- port: 3000
  listeners:
  - routes:
    - name: one
      matches: [{path: {pathPrefix: /one}}]
      backends:
      - mcp:
          statefulMode: stateless
          targets: [{name: everything, stdio: {cmd: node, args: ["$EVERY", "stdio"]}}]
    - name: two
      matches: [{path: {pathPrefix: /two}}]
      backends:
      - mcp:
          statefulMode: stateless
          targets: [{name: a, stdio: $(fake_stdio --notes "$WORK/notes-a")}, {name: b, stdio: $(fake_stdio --notes "$WORK/notes-b")}]
    - name: bad
      matches: [{path: {pathPrefix: /bad}}]
      backends:
      - mcp:
          statefulMode: stateless
          targets: [{name: a, stdio: $FAKE}, {name: gone, stdio: {cmd: /nonexistent/mcp-server}}]
    - name: http
      matches: [{path: {pathPrefix: /http}}]
      backends:
      - mcp:
          statefulMode: stateless
          targets: [{name: h, mcp: {host: "http://127.0.0.1:$HP/mcp"}}]
YAML
mcp_start "$WORK/stateless.yaml" "two stateless backends"
children() { cat /proc/"$GW_PID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . | sort -n; }

# ---- the SDK client ------------------------------------------------------------
out=$(node "$CLIENT" http://127.0.0.1:3000/one session tools 'call:echo:{"message":"hi"}' \
	'progress:trigger-long-running-operation:{"duration":0.5,"steps":2}' ping 2>&1)
check "SDK client: initialize answered by the gateway" "$(echo "$out" | sed -n 1p)" \
	'{"version":"splicegate"}'
check "SDK client: no session id" "$(echo "$out" | sed -n 2p)" '{"session":false}'
has 3 '"tools":\[.*"echo",.*"get-sum",' "SDK client: tools/list"
check "SDK client: tools/call echo" "$(echo "$out" | sed -n 4p)" \
	'{"call":"echo","text":"Echo: hi","isError":false}'
check "SDK client: a tool's progress on its POST's stream, then its result" "$(progress_line 5 2)" \
	'{"call":"trigger-long-running-operation","progress":2,"text":"Long running operation completed. Duration: 0.5 seconds, Steps: 2."}'
check "SDK client: ping" "$(echo "$out" | sed -n 6p)" '{"ping":true}'
sleep 0.3
check "no target process left" "$(children | wc -l)" 0

# ---- raw ------------------------------------------------------------------------
U=http://127.0.0.1:3000/two
post() { # BODY [CURL-OPTION...]: status, mcp-session-id, body
	local b=$1
	shift
	curl -s -D "$WORK/head" -o "$WORK/body" -w '%{http_code}' -X POST -H "$J" -H "$A" "$@" -d "$b" $U
	echo " [$(tr -d '\r' <"$WORK/head" | sed -n 's/^mcp-session-id: //Ip')] $(cat "$WORK/body")"
}
call() { # ID TOOL [CURL-OPTION...]
	local id=$1 tool=$2
	shift 2
	post "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"tools/call\",\"params\":{\"name\":\"$tool\",\"arguments\":{}}}" "$@"
}
text() { sed -n 's/.*"text":"\([^"]*\)".*/\1/p' "$WORK/body"; }

r=$(post '{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
check "tools/list without a session: 200, no session id" "${r%% \{*}" "200 []"
check "... both targets' tools, prefixed" \
	"$(python3 -c 'import json,sys; print(" ".join(sorted(t["name"] for t in json.load(open(sys.argv[1]))["result"]["tools"])[:4]))' "$WORK/body")" \
	"a_ask a_big a_exit a_flood"
call 2 a_init >/dev/null
check "the gateway's own initialize first (2025-11-25), then notifications/initialized" \
	"$(text)" "splicegate 2025-11-25 initialized"
call 3 b_init -H 'mcp-protocol-version: 2025-06-18' >/dev/null
check "... the version the client's MCP-Protocol-Version names" "$(text)" \
	"splicegate 2025-06-18 initialized"
call 4 a_pid >/dev/null
p1=$(text)
call 5 a_pid >/dev/null
p2=$(text)
[ -n "$p1" ] && [ "$p1" != "$p2" ] && ! kill -0 "$p1" 2>/dev/null &&
	pass "each POST a process of its own ($p1, $p2), gone once answered" ||
	fail "pids $p1 $p2"
r=$(call 6 b_hello -H 'mcp-session-id: 00ff')
check "a session id sent is ignored" "${r%% \{*} $(text)" "200 [] hello"

# A call that waits: its target alone runs; the client leaving ends it.
curl -s -o /dev/null --max-time 1 -X POST -H "$J" -H "$A" \
	-d '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"a_wait","arguments":{}}}' $U &
C=$!
sleep 0.6
check "a tool's call starts its target alone" "$(children | wc -l)" 1
wait $C
sleep 0.3
check "the client gone: its target's process killed" "$(children | wc -l)" 0

check "a name with no target's prefix: invalid params" "$(call 8 nope_hello)" \
	'200 [] {"jsonrpc":"2.0","id":8,"error":{"code":-32602,"message":"the name does not start with a target'"'"'s name and \"_\""}}'
r=$(post "$INIT")
check "initialize: answered, no session id" "${r%%\{*}" "200 [] "
grep -q '"serverInfo":{"name":"splicegate"' "$WORK/body" && pass "... merged by the gateway" ||
	fail "initialize: $(cat "$WORK/body")"
rm -f "$WORK"/notes-?
check "a notification: 202" "$(post '{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}')" "202 [] "
check "... forwarded to each target, after the gateway's handshake" \
	"$(cat "$WORK/notes-a" "$WORK/notes-b" 2>&1 | tr '\n' ' ')" \
	"notifications/initialized notifications/roots/list_changed notifications/initialized notifications/roots/list_changed "
check "a notification to an HTTP target: 202" "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
	-H "$J" -H "$A" -d '{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}' \
	http://127.0.0.1:3000/http)" 202
for _ in $(seq 20); do grep -q '^DELETE' "$WORK/http.log" 2>/dev/null && break; sleep 0.1; done
check "... the target's own session begun, given it after notifications/initialized, ended" \
	"$(cut -d' ' -f1-3 "$WORK/http.log" | tr '\n' '|')" \
	'POST - initialize|POST fake-1 notifications/initialized|POST fake-1 notifications/roots/list_changed|POST fake-1 ping|DELETE fake-1 -|'
r=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST -H "$J" -H "$A" \
	-d '{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}' http://127.0.0.1:3000/bad)
check "a notification a target could not take (failClosed): 500, -32002 naming it" \
	"$r $(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; print(e["code"], e["message"].split(":")[0])' "$WORK/body")" \
	"500 -32002 target gone"
check "ping: answered by the gateway" "$(post '{"jsonrpc":"2.0","id":9,"method":"ping"}')" \
	'200 [] {"jsonrpc":"2.0","id":9,"result":{}}'
check "GET: 405, Allow: POST" \
	"$(curl -s -D - -o /dev/null -H 'accept: text/event-stream' $U | tr -d '\r' | grep -iE '^(HTTP|allow)' | tr 'A-Z' 'a-z' | tr '\n' '|')" \
	'http/1.1 405 method not allowed|allow: post|'
check "DELETE: 405" "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H 'mcp-session-id: 00ff' $U)" 405
sleep 0.3
check "no target process left" "$(children | wc -l)" 0
check "config_dump: statefulMode stateless" "$(mcp_dump | sed -n 1p | python3 -c 'import json,sys; print(json.load(sys.stdin)["statefulMode"])')" stateless
stop_gateway
finish
