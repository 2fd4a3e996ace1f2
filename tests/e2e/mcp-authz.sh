# mcpAuthorization as agentgateway's mcp-authorization example writes it (its rules unchanged: echo for anyone, get-sum for sub test-user, get-env for a token with nested.key "value"), behind jwtAuth, with @modelcontextprotocol/server-everything in streamableHttp mode as the example's `mcp: {host}` target and the official SDK client: each token lists exactly the tools its claims allow, a call the rules refuse is answered as if the tool did not exist (-32602, "Unknown tool: NAME", the target never asked), and so are a refused prompt's completion and a refused resource's subscription, resource templates are listed as the rules allow their uriTemplate, allowed calls reach the target; a call that gives params.name twice is 400 (the gateway read the first, the target the last); a session's id with another caller's token is 404; prompts filtered by mcp.prompt.name; with two targets the rules read mcp.tool.target and the unprefixed name; without a token (jwtAuth's optional mode) only the rules that need none hold, a bad token is 401; config_dump shows the rules; a rule that does not compile is refused by check at its column.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

npm_need @modelcontextprotocol/sdk @modelcontextprotocol/server-everything
EVERY=$SG_NPM/node_modules/@modelcontextprotocol/server-everything/dist/index.js
CLIENT=$(dirname "$0")/mcp-client.mjs
export SG_NPM

jwt_keys
HP=$(free_port)
NOW=$(date +%s)
# The example's two keys: example1 has the nested claim, example2 has not.
TOK1=$(mint ES256 ec256 "{\"iss\":\"agentgateway.dev\",\"aud\":\"test.agentgateway.dev\",\"sub\":\"test-user\",\"exp\":$((NOW + 3600)),\"field1\":\"value1\",\"nested\":{\"key\":\"value\"},\"list\":[\"apple\",\"banana\"]}")
TOK2=$(mint ES256 ec256 "{\"iss\":\"agentgateway.dev\",\"aud\":\"test.agentgateway.dev\",\"sub\":\"test-user\",\"exp\":$((NOW + 3600))}")
TOK3=$(mint ES256 ec256 "{\"iss\":\"agentgateway.dev\",\"aud\":\"test.agentgateway.dev\",\"sub\":\"someone\",\"exp\":$((NOW + 3600))}")

cat >"$WORK/authz.yaml" <<YAML
mcp:
  port: 3000
  policies:
    cors:
      allowOrigins: ["*"]
      allowHeaders: ["*"]
      exposeHeaders: ["Mcp-Session-Id"]
    jwtAuth:
      issuer: agentgateway.dev
      audiences: [test.agentgateway.dev]
      jwks:
        file: $K/jwks.json
    mcpAuthorization:
      rules:
      # Allow anyone to call 'echo'
      - 'mcp.tool.name == "echo"'
      # Only the test-user can call 'get-sum'
      - 'jwt.sub == "test-user" && mcp.tool.name == "get-sum"'
      # Any authenticated user with the claim nested.key == value can access 'get-env'
      - 'mcp.tool.name == "get-env" && jwt.nested.key == "value"'
      - 'mcp.prompt.name == "simple-prompt"'
  targets:
  - name: mcp2
    mcp:
      host: http://127.0.0.1:$HP/mcp
YAML
PORT=$HP node "$EVERY" streamableHttp >"$WORK/every.log" 2>&1 &
PIDS+=("$!")
wait_port "$HP" 20 || fail "server-everything does not listen on :$HP"
out=$("$SG_BIN" check -c "$WORK/authz.yaml" 2>&1)
check "the example's shape passes check" "$out" "configuration ok"
start_engine copy -p 3000 -c "$WORK/authz.yaml" || finish

client() { MCP_BEARER=$1 node "$CLIENT" http://127.0.0.1:3000/mcp "${@:2}" 2>&1; }

out=$(client "$TOK1" tools 'call:get-env:{}' 'call:echo:{"message":"hi"}' prompts \
	'prompt:simple-prompt' 'prompt:args-prompt' end)
check "example1.key: echo, get-env, get-sum listed, nothing else" "$(echo "$out" | sed -n 2p)" \
	'{"tools":["echo","get-env","get-sum"]}'
[[ $(echo "$out" | sed -n 3p) == '{"call":"get-env","text":'* ]] &&
	pass "example1.key: get-env called" || fail "get-env: $(echo "$out" | sed -n 3p)"
check "example1.key: echo called" "$(echo "$out" | sed -n 4p)" \
	'{"call":"echo","text":"Echo: hi","isError":false}'
check "prompts filtered by mcp.prompt.name" "$(echo "$out" | sed -n 5p)" \
	'{"prompts":["simple-prompt"]}'
check "an allowed prompt is got" "$(echo "$out" | sed -n 6p)" \
	'{"prompt":"simple-prompt","messages":1}'
check "a refused prompt: as if unknown (-32602)" "$(echo "$out" | sed -n 7p)" \
	'{"prompt":"args-prompt","error":-32602}'

out=$(client "$TOK2" tools 'call:get-env:{}' 'call:get-sum:{"a":2,"b":3}' 'call:echo:{"message":"x"}' end)
check "example2.key: only echo and get-sum listed" "$(echo "$out" | sed -n 2p)" \
	'{"tools":["echo","get-sum"]}'
check "example2.key: get-env refused as unknown (-32602)" "$(echo "$out" | sed -n 3p)" \
	'{"call":"get-env","error":-32602}'
[[ $(echo "$out" | sed -n 4p) == *'The sum of 2 and 3 is 5'* ]] &&
	pass "example2.key: get-sum called" || fail "get-sum: $(echo "$out" | sed -n 4p)"

out=$(client "$TOK3" tools 'call:get-sum:{"a":1,"b":1}' end)
check "another subject: echo only" "$(echo "$out" | sed -n 2p)" '{"tools":["echo"]}'
check "another subject: get-sum refused" "$(echo "$out" | sed -n 3p)" \
	'{"call":"get-sum","error":-32602}'

# The raw answer to a refused call, on a session of its own.
sid=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $TOK3" -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' \
	--data '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' \
	http://127.0.0.1:3000/mcp | tr -d '\r' | sed -n 's/^mcp-session-id: //Ip')
# One message of that session, raw (with TOK3, else the token $2): its
# answer and status.
raw() {
	curl -s -w ' %{http_code}' -H "Authorization: Bearer ${2:-$TOK3}" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $sid" --data "$1" \
		http://127.0.0.1:3000/mcp
}
check "a refused call, raw: 200 and agentgateway's error" \
	"$(raw '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get-env","arguments":{}}}')" \
	'{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"Unknown tool: get-env"}} 200'
# The rules read the first "name", the target's JSON.parse the last: a
# message that gives it twice is refused before either reads it.
check "a name given twice: 400, never the second tool" \
	"$(raw '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo","arguments":{},"name":"get-env"}}')" \
	'{"jsonrpc":"2.0","id":8,"error":{"code":-32600,"message":"\"params.name\" is given twice"}} 400'
# A refused prompt's completion and a refused resource's subscription are
# refused as prompts/get and resources/read are (no rule allows a
# resource), as agentgateway authorizes them.
check "a refused prompt's completion: as if unknown" \
	"$(raw '{"jsonrpc":"2.0","id":9,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"args-prompt"},"argument":{"name":"city","value":""}}}')" \
	'{"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"Unknown prompt: args-prompt"}} 200'
check "a refused resource's subscription: as if unknown" \
	"$(raw '{"jsonrpc":"2.0","id":10,"method":"resources/subscribe","params":{"uri":"test://static/resource/1"}}')" \
	'{"jsonrpc":"2.0","id":10,"error":{"code":-32602,"message":"Unknown resource: test://static/resource/1"}} 200'
# The session is its caller's: another token (example1's, which may call
# get-env) finds none with its id (as MCP's security practices have it).
check "another caller's token: no such session (404)" \
	"$(raw '{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"get-env","arguments":{}}}' "$TOK1")" \
	'{"jsonrpc":"2.0","id":11,"error":{"code":-32001,"message":"no such MCP session"}} 404'
check "its own token: still its session" "$(raw '{"jsonrpc":"2.0","id":12,"method":"ping"}')" \
	'{"jsonrpc":"2.0","id":12,"result":{}} 200'
# No rule allows a resource: its templates are hidden as its resources
# are (agentgateway decides on each template's uriTemplate); they were
# all listed.
check "resource templates filtered as resources are" \
	"$(raw '{"jsonrpc":"2.0","id":13,"method":"resources/templates/list"}')" \
	'{"jsonrpc":"2.0","id":13,"result":{"resourceTemplates":[]}} 200'
# jwtAuth's default mode is optional: without a token the rules that read
# jwt fail, the others hold.
out=$(client "" tools 'call:get-sum:{"a":1,"b":1}' end)
check "no token (jwtAuth optional): echo only" "$(echo "$out" | sed -n 2p)" '{"tools":["echo"]}'
check "no token: get-sum refused" "$(echo "$out" | sed -n 3p)" '{"call":"get-sum","error":-32602}'
check "a bad token: 401" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-H 'Authorization: Bearer nope' --data '{"jsonrpc":"2.0","id":1,"method":"ping"}' \
	http://127.0.0.1:3000/mcp)" 401
check "config_dump: the rules as written" \
	"$(curl -s http://127.0.0.1:15000/config_dump |
		jq -c '[.binds[].listeners[].routes[].inlinePolicies[]? | select(.mcpAuthorization) | .mcpAuthorization.rules.allow | length]')" \
	'[4]'
stop_gateway

# Two targets: names reach the client prefixed; the rules read the target
# and the name without its prefix.
cat >"$WORK/multi.yaml" <<YAML
binds:
- port: 3000
  listeners:
  - routes:
    - policies:
        mcpAuthorization:
          rules:
          - 'mcp.tool.target == "a" && mcp.tool.name == "echo"'
          - 'mcp.tool.target == "b" && mcp.tool.name == "get-sum"'
      backends:
      - mcp:
          targets:
          - name: a
            stdio: {cmd: node, args: ["$EVERY", "stdio"]}
          - name: b
            stdio: {cmd: node, args: ["$EVERY", "stdio"]}
YAML
start_engine copy -p 3000 -c "$WORK/multi.yaml" || finish
out=$(client "" tools 'call:a_echo:{"message":"m"}' 'call:b_echo:{"message":"m"}' \
	'call:b_get-sum:{"a":1,"b":2}' end)
check "two targets: a_echo and b_get-sum listed" "$(echo "$out" | sed -n 2p)" \
	'{"tools":["a_echo","b_get-sum"]}'
check "a_echo called" "$(echo "$out" | sed -n 3p)" '{"call":"a_echo","text":"Echo: m","isError":false}'
check "b_echo refused" "$(echo "$out" | sed -n 4p)" '{"call":"b_echo","error":-32602}'
[[ $(echo "$out" | sed -n 5p) == *'The sum of 1 and 2 is 3'* ]] &&
	pass "b_get-sum called" || fail "b_get-sum: $(echo "$out" | sed -n 5p)"
stop_gateway

printf 'mcp:\n  policies:\n    mcpAuthorization:\n      rules: ["mcp.tool.name =="]\n  targets: [{name: a, stdio: {cmd: x}}]\n' \
	>"$WORK/bad.yaml"
out=$("$SG_BIN" check -c "$WORK/bad.yaml" 2>&1)
[[ $out == *'4:15: mcp.policies.mcpAuthorization.rules[0]: column '* ]] &&
	pass "a rule that does not compile: refused at its column" || fail "check said: $out"
finish
