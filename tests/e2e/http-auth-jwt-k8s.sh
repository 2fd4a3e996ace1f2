# AgentgatewayPolicy traffic.jwtAuthentication (agentgateway's CRD shape),
# applied at run time with `splicegate apply -f-` onto an HTTPRoute: before
# it the route is open; after it (mode Strict by default, the JWKS inline)
# a token signed by openssl passes (200, stripped) and a missing or
# unknown-key token gets 401 with agentgateway's text; a second policy with
# a remote JWKS ({remote: {url, cacheDuration}}, served over HTTP) and mode
# Optional lets a request without a token pass and verifies a token with
# the fetched keys; config_dump prints both as traffic policies; `check`
# refuses a backendRef JWKS, mcp and a cacheDuration under 5m by name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

jwt_keys
NOW=$(date +%s)
GOOD="{\"iss\":\"https://issuer.example\",\"sub\":\"alice\",\"exp\":$((NOW + 3600))}"
TOK=$(mint ES256 ec256 "$GOOD")
jq -c '{keys: [.keys[] | select(.kid == "ec256")]}' "$K/jwks.json" >"$WORK/jwks.json"

jwks_server keys "$WORK/jwks.json" # over plain HTTP
KP=$JP

start_backend v1
V1=$BACKEND_PORT
k8s_routes_start "$V1" api opt
hcall "$u/api/x"
check "before the policy the route is open" "$H_CODE" 200

JWKS_TEXT=$(cat "$WORK/jwks.json")
out=$(cat <<YAML | "$SG_BIN" apply -f- 2>&1
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: jwt, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: api}]
  traffic:
    jwtAuthentication:
      providers:
      - issuer: https://issuer.example
        jwks: {inline: '$JWKS_TEXT'}
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: jwt-remote, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: opt}]
  traffic:
    jwtAuthentication:
      mode: Optional
      location: {queryParameter: {name: access_token}}
      providers:
      - issuer: https://issuer.example
        jwks: {remote: {url: "http://127.0.0.1:$KP/jwks", cacheDuration: 10m}}
YAML
)
check "apply -f- of the two policies" "$?" 0
hcall "$u/api/x"
check "Strict by default: no token, 401" "$H_CODE $H_BODY" \
	"401 authentication failure: no bearer token found"
hcall -H "Authorization: Bearer $TOK" "$u/api/x"
check "a good token passes, stripped" "$H_CODE [$(echo_header authorization)]" "200 []"
hcall -H "Authorization: Bearer $(mint ES256 other "$GOOD")" "$u/api/x"
check "an unknown key: 401" "$H_CODE $H_BODY" \
	"401 authentication failure: token uses the unknown key \"other\""
hcall "$u/opt/x"
check "Optional: no token passes" "$H_CODE" 200
for _ in $(seq 100); do
	hcall "$u/opt/x?access_token=$TOK"
	[ "$H_CODE" = 200 ] && break
	sleep 0.1
done
check "a token verified with the remote JWKS's keys" "$H_CODE" 200
hcall "$u/opt/x?access_token=garbage"
check "Optional: a bad token is refused" "$H_CODE" 401
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name == "jwt" or .name.name == "jwt-remote") | {key, policy}] | sort_by(.key)')
json_equal "config_dump: both as agentgateway's traffic policies" "$got" '[
  {"key": "traffic/e2e/jwt-remote:jwt:e2e/opt",
   "policy": {"traffic": {"phase": "route", "jwtAuth": {"mode": "optional",
     "providers": [{"issuer": "https://issuer.example", "keys": ["ec256"]}],
     "location": {"queryParameter": {"name": "access_token"}}}}}},
  {"key": "traffic/e2e/jwt:jwt:e2e/api",
   "policy": {"traffic": {"phase": "route", "jwtAuth": {"mode": "strict",
     "providers": [{"issuer": "https://issuer.example", "keys": ["ec256"]}],
     "location": {"header": {"name": "authorization", "prefix": "Bearer "}}}}}}]'
stop_gateway

agp_refuses "a backendRef JWKS" jwtAuthentication \
	"{providers: [{issuer: i, jwks: {remote: {backendRef: {name: idp, port: 80}, jwksPath: /k}}}]}" \
	"7:77: spec.traffic.jwtAuthentication.providers[0].jwks.remote.backendRef: not supported (a JWKS is fetched from a url, not a backendRef)"
agp_refuses "mcp" jwtAuthentication "{mcp: {}, providers: [{issuer: i, jwks: {inline: '{\"keys\": []}'}}]}" \
	"7:30: spec.traffic.jwtAuthentication.mcp: not supported in the Kubernetes dialect yet (the standalone mcpAuthentication policy has it)"
agp_refuses "a cacheDuration under 5m" jwtAuthentication \
	"{providers: [{issuer: i, jwks: {remote: {url: http://x/k, cacheDuration: 1m}}}]}" \
	"7:97: spec.traffic.jwtAuthentication.providers[0].jwks.remote.cacheDuration: expected a duration of at least 5m, got \"1m\""
finish
