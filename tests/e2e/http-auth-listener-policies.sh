# A standalone listener's `policies` (agentgateway's LocalGatewayPolicy,
# its gateway phase): apiKey and authorization run on every request of
# the listener before a route is chosen, so a path no route matches is
# refused (401, 403) before it is answered 404, and a route's own
# policies still run after them. A CORS preflight is answered there.
# config_dump lists them as agentgateway does (listener/<key>/<index>,
# phase gateway); `check` refuses extAuthz there by name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - policies:
      cors: {allowOrigins: [https://app.example], allowMethods: [GET]}
      apiKey: {mode: strict, keys: [{key: k-1}]}
      authorization: {rules: ['request.headers["x-pre"] == "yes"']}
    routes:
    - name: api
      matches: [{path: {pathPrefix: /api}}]
      policies:
        authorization: {rules: ['request.headers["x-route"] == "yes"']}
      backends: [{host: 127.0.0.1:$V1}]
    - name: open
      matches: [{path: {pathPrefix: /open}}]
      backends: [{host: 127.0.0.1:$V1}]
YAML
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi
u=http://127.0.0.1:8080

gateway_phase_checks
hcall -X OPTIONS -H "Origin: https://app.example" -H "Access-Control-Request-Method: GET" \
	"$u/nothere"
check "a CORS preflight is answered by the listener's policy, before authentication" \
	"$H_CODE $(resp_header access-control-allow-origin)" "200 https://app.example"

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.key | startswith("listener/")) | [.key, .name, (.policy.traffic | .phase, (keys - ["phase"])[0]), .target.gateway.listenerName]]')
check "config_dump: the listener's policies in agentgateway's order, phase gateway" "$got" \
	'[["listener/bind/8080/listener0/0",null,"gateway","cors","listener0"],["listener/bind/8080/listener0/1",null,"gateway","apiKey","listener0"],["listener/bind/8080/listener0/2",null,"gateway","authorization","listener0"]]'
stop_gateway

cat >"$WORK/bad.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - policies: {extAuthz: {host: 127.0.0.1:1}}
    routes: [{backends: [{host: 127.0.0.1:1}]}]
YAML
out=$("$SG_BIN" check -c "$WORK/bad.yaml" 2>&1)
check "check refuses extAuthz in a listener's policies" \
	"$? $(grep -c 'binds\[0\].listeners\[0\].policies.extAuthz: not supported in a listener' <<<"$out")" "1 1"
finish
