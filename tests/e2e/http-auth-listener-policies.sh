# A standalone listener's `policies` (agentgateway's LocalGatewayPolicy,
# its gateway phase): apiKey and authorization run on every request of
# the listener before a route is chosen, so a path no route matches is
# refused (401, 403) before it is answered 404, and a route's own
# policies still run after them. A CORS preflight is answered there.
# config_dump lists them as agentgateway does (listener/<key>/<index>,
# phase gateway). extAuthz there is asked before a route is chosen, after
# the listener's authentication and before its authorization rules;
# `check` refuses transformations there by name.
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

# extAuthz as a listener policy: asked before a route is chosen (a path no
# route matches is the service's denial, not 404), after the listener's
# authentication and before its authorization rules (agentgateway's
# order), once per request, then the route's own extAuthz too; a route's
# directResponse is behind it.
ALOG=$WORK/http.log
authz_server http http
HP=$AP
authz_server grpc grpc
GP=$AP
cat >"$WORK/cfg2.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - policies:
      apiKey: {mode: strict, keys: [{key: k-1}]}
      extAuthz:
        host: 127.0.0.1:$HP
        protocol: {http: {includeResponseHeaders: [x-authz-user]}}
      authorization: {rules: ['request.headers["x-pre"] == "yes"']}
    routes:
    - name: direct
      matches: [{path: {pathPrefix: /direct}}]
      policies:
        directResponse: {status: 200, body: hello}
    - name: both
      matches: [{path: {pathPrefix: /both}}]
      policies:
        extAuthz: {host: 127.0.0.1:$GP}
      backends: [{host: 127.0.0.1:$V1}]
    - name: open
      matches: [{path: {pathPrefix: /open}}]
      backends: [{host: 127.0.0.1:$V1}]
YAML
if ! start_engine auto -c "$WORK/cfg2.yaml"; then
	fail "gateway did not start (extAuthz)"
	finish
fi
asked() { wc -l <"$ALOG"; }
hcall "$u/open/deny"
check "extAuthz: no key, 401 before the service is asked" "$H_CODE $(asked)" "401 0"
K=(-H "Authorization: Bearer k-1")
for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt "${K[@]}" -H "x-pre: yes" "$u/nothere/deny"
	check "$opt extAuthz: the service's denial where no route matches" \
		"$H_CODE $(resp_header x-denied-by) $H_BODY" "418 authz denied by policy"
	hcall $opt "${K[@]}" -H "x-pre: yes" "$u/nothere/x"
	check "$opt extAuthz: allowed, then no route: 404" "$H_CODE $H_BODY" "404 route not found"
	hcall $opt "${K[@]}" -H "x-pre: yes" "$u/open/allow"
	check "$opt extAuthz: allowed, the service's header reaches the backend" \
		"$H_CODE $(echo_header x-authz-user)" "200 alice"
done
n=$(asked)
hcall "${K[@]}" "$u/open/deny"
check "extAuthz before the authorization rules: the service's denial" "$H_CODE $H_BODY" \
	"418 denied by policy"
hcall "${K[@]}" "$u/open/x"
check "... and the rules after its allow: 403" "$H_CODE $H_BODY" "403 authorization failed"
check "the service was asked once per request" "$(($(asked) - n))" 2
hcall "${K[@]}" -H "x-pre: yes" "$u/direct/deny"
check "extAuthz: a route's directResponse is behind it" "$H_CODE $H_BODY" "418 denied by policy"
hcall "${K[@]}" -H "x-pre: yes" "$u/direct/x"
check "... and answers once it allows" "$H_CODE $H_BODY" "200 hello"
g=$(wc -l <"$WORK/grpc.log")
hcall "${K[@]}" -H "x-pre: yes" "$u/both/x"
check "the listener's service and then the route's are asked" \
	"$H_CODE $(($(wc -l <"$WORK/grpc.log") - g)) $(tail -n1 "$ALOG" | jq -r .path)" "200 1 /both/x"
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.key | startswith("listener/")) | [.key, (.policy.traffic | .phase, (keys - ["phase"])[0])]]')
check "config_dump: extAuthz after authorization, as agentgateway's split_policies lists them" "$got" \
	'[["listener/bind/8080/listener0/0","gateway","apiKey"],["listener/bind/8080/listener0/1","gateway","authorization"],["listener/bind/8080/listener0/2","gateway","extAuthz"]]'
stop_gateway

cat >"$WORK/bad.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - policies: {transformations: {request: {set: {a: '"b"'}}}}
    routes: [{backends: [{host: 127.0.0.1:1}]}]
YAML
out=$("$SG_BIN" check -c "$WORK/bad.yaml" 2>&1)
check "check refuses transformations in a listener's policies" \
	"$? $(grep -c 'binds\[0\].listeners\[0\].policies.transformations: not supported in a listener' <<<"$out")" "1 1"
finish
