# agentgateway's mcp-authentication example (agentgateway-examples/mcp-authentication.yaml: its keys and values, its port 3000, its npx targets) against mock authorization servers made here (mcp_as.py: a spec-compliant one on :9000, a Keycloak-shaped realm on :7080; real ES256 tokens), driven by the official SDK client running the MCP authorization flow itself: without a token 401 with WWW-Authenticate naming the protected-resource metadata and agentgateway's JSON body, the metadata document exactly, the issuer's authorization-server metadata served through the gateway; the SDK discovers, registers, authorizes and calls tools with its token; a token for another resource is 401; with the keycloak provider the gateway is the authorization server the client sees (metadata adapted, registration proxied with CORS); a preflight needs no token; config_dump shows jwtAuth with its mcp part. Telemetry: the access log's mcp.* and gen_ai.tool.name fields, CEL's mcp.methodName and mcp.sessionId in logging fields, the MCP attributes on a traced call's server span, agentgateway_mcp_requests_total by method, tool and target.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"
. "$E2E_DIR/mcplib.sh"

jwt_keys
/usr/bin/python3 "$E2E_DIR/mcp_as.py" 9000 "$K" "$WORK/as.log" spec 2>"$WORK/as.err" &
PIDS+=("$!")
/usr/bin/python3 "$E2E_DIR/mcp_as.py" 7080 "$K" "$WORK/kc.log" keycloak 2>"$WORK/kc.err" &
PIDS+=("$!")
wait_port 9000 10 || fail "the mock authorization server does not listen on :9000"
wait_port 7080 10 || fail "the mock Keycloak does not listen on :7080"

cp "$E2E_DIR/agentgateway-examples/mcp-authentication.yaml" "$WORK/config.yaml"
out=$("$SG_BIN" check -c "$WORK/config.yaml" 2>&1)
check "the example passes check" "$out" "configuration ok"
# Its targets run `npx @modelcontextprotocol/server-everything`: npx finds
# the package installed under $SG_NPM, and stays offline.
cd "$SG_NPM" || finish
export npm_config_offline=true
start_engine copy -p 3000 --access-log json -c "$WORK/config.yaml" || finish
cd "$WORK" || finish
G=http://localhost:3000

# ---- the resource server -------------------------------------------------
code=$(curl -s -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' "$G/stdio/mcp")
check "the README's quick test: GET without a token is 401" "$code" 401
check "... WWW-Authenticate names the resource metadata" \
	"$(tr -d '\r' <"$WORK/h" | sed -n 's/^www-authenticate: //Ip')" \
	'Bearer resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/stdio/mcp"'
check "... agentgateway's JSON body" "$(tr -d '\r' <"$WORK/h" | sed -n 's/^content-type: //Ip') $(cat "$WORK/b")" \
	'application/json {"error":"unauthorized","error_description":"JWT token required"}'
check "an initialize without a token: 401" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "$J" -H "$A" -d "$INIT" "$G/stdio/mcp")" 401
check "the remote route: 401, its own challenge" \
	"$(curl -s -D - -o /dev/null "$G/remote/mcp" | tr -d '\r' | sed -n 's/^www-authenticate: //Ip')" \
	'Bearer resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/remote/mcp"'
check "a CORS preflight needs no token" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: http://app.example' \
		-H 'Access-Control-Request-Method: POST' "$G/stdio/mcp")" 200
check "the protected-resource metadata (RFC 9728)" \
	"$(curl -s "$G/.well-known/oauth-protected-resource/stdio/mcp")" \
	'{"resource":"http://localhost:3000/stdio/mcp","authorization_servers":["http://localhost:9000"],"mcp_protocol_version":"2025-06-18","resource_type":"mcp-server","bearer_methods_supported":["header","body","query"],"resource_documentation":"http://localhost:3000/stdio/docs","resource_policy_uri":"http://localhost:3000/stdio/policies","scopes_supported":["read:all"]}'
check "HTTP/2 (h2c): 401 with the same challenge" \
	"$(curl -s --http2-prior-knowledge -D - -o /dev/null "$G/stdio/mcp" | tr -d '\r' |
		sed -n -e 's/^HTTP\/2 //p' -e 's/^www-authenticate: //Ip' | tr '\n' ' ')" \
	'401  Bearer resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/stdio/mcp" '
check "HTTP/2 (h2c): the authorization-server metadata asked for an HTTP/2 stream" \
	"$(curl -s --http2-prior-knowledge "$G/.well-known/oauth-authorization-server/stdio/mcp" | jq -r .issuer)" \
	"http://localhost:9000"
check "the issuer's authorization-server metadata, through the gateway, unchanged" \
	"$(curl -s "$G/.well-known/oauth-authorization-server/stdio/mcp" | jq -S -c .)" \
	"$(curl -s http://localhost:9000/.well-known/oauth-authorization-server | jq -S -c .)"

# ---- the SDK's own authorization flow against the spec-compliant server ---
: >"$WORK/as.log"
out=$(MCP_OAUTH=1 node "$CLIENT" "$G/stdio/mcp" tools 'call:echo:{"message":"hi"}' end 2>&1)
check "SDK: discovered, registered at the issuer" "$(echo "$out" | sed -n 1p)" '{"oauth":"client-1"}'
check "SDK: initialize with its token" "$(echo "$out" | sed -n 2p)" '{"version":"splicegate"}'
has 3 '"tools":\[.*"echo",' "SDK: tools listed"
check "SDK: echo called" "$(echo "$out" | sed -n 4p)" '{"call":"echo","text":"Echo: hi","isError":false}'
check "SDK: the session ended" "$(echo "$out" | sed -n 5p)" '{"end":true}'
# (the SDK's finishAuth discovers the metadata again before the token)
check "the authorization server saw metadata, registration, authorization, token (aud: the resource)" \
	"$(grep -v -e '^BODY' -e jwks "$WORK/as.log" | tr '\n' ' ')" \
	"GET /.well-known/oauth-authorization-server POST /register GET /authorize GET /.well-known/oauth-authorization-server POST /token TOKEN aud=http://localhost:3000/stdio/mcp "

NOW=$(date +%s)
OTHER=$(mint ES256 ec256 "{\"iss\":\"http://localhost:9000\",\"aud\":\"http://localhost:3000/remote/mcp\",\"exp\":$((NOW + 3600))}")
check "a token for another resource: 401" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $OTHER" -X POST -H "$J" \
		-H "$A" -d "$INIT" "$G/stdio/mcp")" 401
TOK=$(mint ES256 ec256 "{\"iss\":\"http://localhost:9000\",\"aud\":\"http://localhost:3000/stdio/mcp\",\"sub\":\"u\",\"exp\":$((NOW + 3600))}")
out=$(MCP_BEARER=$TOK node "$CLIENT" "$G/stdio/mcp" 'call:get-sum:{"a":2,"b":3}' end 2>&1)
[[ $(echo "$out" | sed -n 2p) == *'The sum of 2 and 3 is 5'* ]] &&
	pass "a token minted for the resource: get-sum called" || fail "get-sum: $out"

# ---- the keycloak provider: the gateway as the authorization server -------
check "keycloak: the metadata names the gateway as the authorization server" \
	"$(curl -s "$G/.well-known/oauth-protected-resource/keycloak/mcp" | jq -c .authorization_servers)" \
	'["http://localhost:3000/keycloak/mcp"]'
check "keycloak: its discovery document adapted (issuer, registration at the gateway)" \
	"$(curl -s "$G/.well-known/oauth-authorization-server/keycloak/mcp" |
		jq -c '[.issuer, .registration_endpoint, .authorization_endpoint, .token_endpoint]')" \
	'["http://localhost:3000/keycloak/mcp","http://localhost:3000/.well-known/oauth-authorization-server/keycloak/mcp/client-registration","http://localhost:7080/realms/mcp/protocol/openid-connect/auth","http://localhost:7080/realms/mcp/protocol/openid-connect/token"]'
code=$(curl -s -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' -X POST -H "$J" \
	-d '{"redirect_uris":["http://localhost:1/cb"]}' \
	"$G/.well-known/oauth-authorization-server/keycloak/mcp/client-registration")
check "keycloak: a registration proxied to the realm, CORS added" \
	"$code $(jq -c '[.client_id, .redirect_uris]' <"$WORK/b") $(tr -d '\r' <"$WORK/h" | sed -n 's/^access-control-allow-origin: //Ip')" \
	'201 ["client-1",["http://localhost:1/cb"]] *'
: >"$WORK/kc.log"
out=$(MCP_OAUTH=1 node "$CLIENT" "$G/keycloak/mcp" 'call:echo:{"message":"kc"}' end 2>&1)
check "keycloak: the SDK registered through the gateway" "$(echo "$out" | sed -n 1p)" '{"oauth":"client-2"}'
check "keycloak: echo called with the realm's token" "$(echo "$out" | sed -n 3p)" \
	'{"call":"echo","text":"Echo: kc","isError":false}'
check "keycloak: what the realm saw (discovery through the gateway, registration through the gateway, authorization, token)" \
	"$(grep -v -e '^BODY' -e certs "$WORK/kc.log" | tr '\n' ' ')" \
	"GET /realms/mcp/.well-known/openid-configuration POST /realms/mcp/clients-registrations/openid-connect GET /realms/mcp/protocol/openid-connect/auth GET /realms/mcp/.well-known/openid-configuration POST /realms/mcp/protocol/openid-connect/token TOKEN aud=mcp_proxy "

check "config_dump: each route's jwtAuth with its mcp part" \
	"$(curl -s http://127.0.0.1:15000/config_dump |
		jq -c '[.binds[].listeners[].routes[].inlinePolicies[]? | select(.jwtAuth) | .jwtAuth.mcp | [.issuer, .provider, .mode, .resourceMetadata.resource]] | sort')" \
	'[["http://localhost:7080/realms/mcp",{"keycloak":{}},"strict","http://localhost:3000/keycloak/mcp"],["http://localhost:9000",null,"strict","http://localhost:3000/remote/mcp"],["http://localhost:9000",null,"strict","http://localhost:3000/stdio/mcp"]]'

# ---- telemetry -------------------------------------------------------------
line=$(grep '"gen_ai.tool.name":"echo"' "$WORK/gateway.log" | grep '"http.path":"/keycloak/mcp"' | head -1)
check "access log: an MCP call's fields" \
	"$(jq -c '[."mcp.method.name", ."mcp.target", ."mcp.resource.type", ."gen_ai.tool.name", (."mcp.session.id" | length)]' <<<"$line")" \
	'["tools/call","everything","tool","echo",32]'
curl -s http://127.0.0.1:15020/metrics >"$WORK/metrics"
check "metrics: tools/call of echo, by route (stdio once, keycloak once)" \
	"$(grep '^agentgateway_mcp_requests_total{.*method="tools/call",resource_type="tool",server="everything",resource="echo"}' "$WORK/metrics" | awk '{print $2}' | sort | tr '\n' ' ')" \
	"1 1 "
check "metrics: get-sum once" \
	"$(grep -c '^agentgateway_mcp_requests_total{.*method="tools/call",resource_type="tool",server="everything",resource="get-sum"} 1$' "$WORK/metrics")" 1
grep -q '^agentgateway_mcp_requests_total{.*method="initialize",resource_type="unknown",server="unknown",resource="unknown"}' "$WORK/metrics" &&
	pass "metrics: initialize counted, touching nothing" || fail "no initialize series"
stop_gateway

# CEL's mcp.methodName and mcp.sessionId, as logging fields; the MCP
# attributes on the server span (an OTLP/HTTP collector's).
start_collector "$WORK/spans.jsonl"
cport=$COLLECTOR_PORT
mcp_route "$WORK/route.yaml" "{name: everything, stdio: {cmd: node, args: [\"$EVERY\", stdio]}}"
{
	printf 'config:\n  tracing:\n    otlpEndpoint: http://127.0.0.1:%s\n' "$cport"
	printf '    otlpProtocol: http\n    randomSampling: true\n'
	printf '  logging:\n    format: json\n    fields:\n      add:\n'
	printf '        m: mcp.methodName\n        s: mcp.sessionId\n        t: mcp.tool.name\n'
	cat "$WORK/route.yaml"
} >"$WORK/log.yaml"
mcp_start "$WORK/log.yaml" "logging fields over mcp"
out=$(node "$CLIENT" http://127.0.0.1:3000/mcp 'call:echo:{"message":"f"}' 2>&1)
line=$(grep '"t":"echo"' "$WORK/gateway.log" | head -1)
check "logging fields: mcp.methodName, mcp.sessionId, mcp.tool.name" \
	"$(jq -c '[.m, (.s | length), .t]' <<<"$line")" '["tools/call",32,"echo"]'
for _ in $(seq 100); do
	grep -q 'gen_ai.tool.name' "$WORK/spans.jsonl" 2>/dev/null && break
	sleep 0.1
done
check "tracing: the call's server span carries its MCP attributes" \
	"$(jq -c 'select(.span.kind == 2 and .span.attributes."gen_ai.tool.name" == "echo") | .span.attributes | [."mcp.method.name", ."mcp.target", ."mcp.resource.type", (."mcp.session.id" | length)]' "$WORK/spans.jsonl" | head -1)" \
	'["tools/call","everything","tool",32]'
stop_gateway

# The mcp: shorthand takes every path of its port, as agentgateway's does:
# its well-known paths are served too.
cat >"$WORK/short.yaml" <<YAML
mcp:
  port: 3000
  policies:
    mcpAuthentication:
      issuer: http://localhost:9000
      audiences: [http://localhost:3000/mcp]
      resourceMetadata: {resource: http://localhost:3000/mcp}
  targets:
  - name: everything
    stdio: {cmd: node, args: ["$EVERY", "stdio"]}
YAML
mcp_start "$WORK/short.yaml" "the shorthand with mcpAuthentication (jwks derived from the issuer)"
check "shorthand: its protected-resource metadata" \
	"$(curl -s "$G/.well-known/oauth-protected-resource/mcp" | jq -c '[.resource, .authorization_servers]')" \
	'["http://localhost:3000/mcp",["http://localhost:9000"]]'
check "shorthand: 401 without a token" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "$J" -H "$A" -d "$INIT" "$G/mcp")" 401
TOK=$(mint ES256 ec256 "{\"iss\":\"http://localhost:9000\",\"aud\":\"http://localhost:3000/mcp\",\"exp\":$((NOW + 3600))}")
out=$(MCP_BEARER=$TOK node "$CLIENT" "$G/mcp" 'call:echo:{"message":"s"}' end 2>&1)
check "shorthand: a token's call (keys from the derived JWKS URL)" "$(echo "$out" | sed -n 2p)" \
	'{"call":"echo","text":"Echo: s","isError":false}'
stop_gateway
finish
