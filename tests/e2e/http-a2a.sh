# The a2a policy (agentgateway's examples/traffic-a2a, its config with local ports): a real agent and client of the official A2A SDK (@a2a-js/sdk, a2a_agent.mjs and a2a_client.mjs) through the gateway. The agent card comes back with its URLs the gateway's (v1.0 supportedInterfaces, for A2A-Version 1.0 and for the v0.3 compatibility card; a card under a path keeps it; X-Forwarded-Proto's scheme, the listener's when it names none; HTTP/2 alike); the client, finding the gateway in the card, sends a message and a streamed one through it and gets the agent's answers; the access log has agentgateway's a2a.method and, for a JSON answer, a2a.response.outcome, a2a.result.kind and a2a.context.id (a JSON-RPC error's code too); a v0.3 card's url is rewritten; a card that is no card, or is past maxBufferSize, is 503 processing failed; config_dump shows {"a2a": {}}.
. "$(dirname "$0")/lib.sh"

npm_need @a2a-js/sdk express
cp "$E2E_DIR/a2a_agent.mjs" "$E2E_DIR/a2a_client.mjs" "$WORK/"
ln -s "$SG_NPM/node_modules" "$WORK/node_modules" # the scripts' bare imports
AP=$(free_port)
P=$(free_port)
node "$WORK/a2a_agent.mjs" "$AP" >"$WORK/agent.log" 2>&1 &
PIDS+=("$!")
wait_port "$AP" || fail "the agent did not start: $(cat "$WORK/agent.log")"
start_backend v1 # for cards that are no cards, and a v0.3 card
V1=$BACKEND_PORT

# The example's file with its ports made local, and two routes of ours.
sed -e "s/port: 3000/port: $P/" -e "s/localhost:9999/127.0.0.1:$AP/" \
	agentgateway-examples/a2a.yaml >"$WORK/a2a.yaml"
cat >>"$WORK/a2a.yaml" <<YAML
  - hostname: other.example
    routes:
    - name: echo
      policies:
        a2a: {}
      backends:
      - host: 127.0.0.1:$V1
YAML
out=$("$SG_BIN" check -c "$WORK/a2a.yaml" 2>&1)
check "check accepts the traffic-a2a example" "$out" "configuration ok"
start_gateway -c "$WORK/a2a.yaml" || finish
G=http://127.0.0.1:$P

hcall -H "a2a-version: 1.0" "$G/.well-known/agent-card.json"
expect "the v1.0 card" 200 '{*}'
check "its interfaces are the gateway's" "$(jq -c '[.supportedInterfaces[] | [.protocolVersion, .url]]' <<<"$H_BODY")" \
	"[[\"1.0\",\"$G/a2a/jsonrpc\"],[\"0.3\",\"$G/a2a/jsonrpc\"]]"
check "the rest of the card as the agent wrote it" "$(jq -c '[.name, .skills[0].id, .capabilities.streaming]' <<<"$H_BODY")" \
	'["echo agent","echo",true]'
check "its content type stays" "$(resp_header content-type)" "application/json; charset=utf-8"
hcall --http2-prior-knowledge -H "a2a-version: 1.0" -H "x-forwarded-proto: HTTPS, http" "$G/.well-known/agent-card.json"
check "HTTP/2, behind a proxy that says https: the first X-Forwarded-Proto's scheme" \
	"$(jq -r '.supportedInterfaces[0].url' <<<"$H_BODY")" "https://127.0.0.1:$P/a2a/jsonrpc"
hcall -H "a2a-version: 1.0" -H "x-forwarded-proto: javascript:alert(1)//" "$G/.well-known/agent-card.json"
check "an X-Forwarded-Proto that is no scheme: the listener's" \
	"$(jq -r '.supportedInterfaces[0].url' <<<"$H_BODY")" "$G/a2a/jsonrpc"
hcall "$G/.well-known/agent-card.json"
check "the v0.3 compatibility card: its interfaces are rewritten (agentgateway leaves its url then)" \
	"$(jq -c '[.protocolVersion, .supportedInterfaces[0].url, .url]' <<<"$H_BODY")" \
	"[\"0.3\",\"$G/a2a/jsonrpc\",\"http://127.0.0.1:$AP/a2a/jsonrpc\"]"

out=$(cd "$WORK" && timeout 30 node a2a_client.mjs "$G" hello 2>&1)
check "the SDK client finds the gateway in the card and talks through it" "$out" \
	"card: 1.0 $G/a2a/jsonrpc, 0.3 $G/a2a/jsonrpc
send: echo: hello
stream: echo: hello (stream)"
sleep 0.3
# The example logs JSON: each line's a2a.* fields, "k=v" joined by spaces.
a2a_of() {
	grep '^{' "$WORK/gateway.log" | jq -r --arg p "$1" 'select(."http.path" == $p) |
		[to_entries[] | select(.key | startswith("a2a.")) | "\(.key)=\(.value)"] | join(" ")'
}
log=$(a2a_of /a2a/jsonrpc)
check "the access log: the call's method and its answer" \
	"$(sed -n 1p <<<"$log" | sed 's/context.id=.*/context.id=<id>/')" \
	"a2a.method=SendMessage a2a.response.outcome=success a2a.result.kind=message a2a.context.id=<id>"
check "the access log: a streamed answer is not held: the method alone" \
	"$(sed -n 2p <<<"$log")" "a2a.method=SendStreamingMessage"

hcall -H "a2a-version: 1.0" -H "content-type: application/json" \
	-d '{"jsonrpc":"2.0","id":9,"method":"NoSuchMethod","params":{}}' "$G/a2a/jsonrpc?e=1"
expect "an unknown method: the agent's JSON-RPC error, as it came" 200 '*"error"*'
sleep 0.2
check "its log: outcome error with the code" "$(a2a_of '/a2a/jsonrpc?e=1')" \
	"a2a.method=NoSuchMethod a2a.response.outcome=error a2a.response.error_code=$(jq .error.code <<<"$H_BODY")"

# sgbackend answers any request with JSON of its own: a card that is no card.
hcall -H "host: other.example" "$G/x/.well-known/agent.json"
expect "a card with no url: 503" 503 \
	"processing failed: agent card missing URL (no 'url' or 'supportedInterfaces' field)"
# A card past maxBufferSize (2 MiB here) cannot be read whole, so not
# rewritten: it fails as agentgateway's JSON read does, and never goes out
# with the backend's own URLs (it went out as it came).
hcall -H "host: other.example" "$G/x/.well-known/agent.json?size=3000000"
expect "a card past maxBufferSize: 503" 503 "processing failed: agent card invalid JSON"
hcall --http2-prior-knowledge -H "host: other.example" "$G/x/.well-known/agent.json?size=3000000"
expect "so for an HTTP/2 client" 503 "processing failed: agent card invalid JSON"
hcall -H "host: other.example" -H "content-type: application/json" \
	-d '{"jsonrpc":"2.0","id":7,"method":"message/send","params":{}}' "$G/x"
expect "a call to another backend passes" 200 '*"pod": "v1"*'
check "its log: the method, and an answer without result or error" "$(a2a_of /x)" \
	"a2a.method=message/send a2a.response.outcome=unknown"

dump=$(curl -s http://127.0.0.1:15000/config_dump)
json_equal "config_dump: the example's route has cors and a2a" \
	"$(jq -c '[.binds[].listeners[].routes[] | select(.key | endswith("listener0/route0")) | .inlinePolicies[] | keys[0]]' <<<"$dump")" \
	'["cors","a2a"]'
stop_gateway
finish
