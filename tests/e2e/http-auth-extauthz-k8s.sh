# AgentgatewayPolicy traffic.extAuth (agentgateway's CRD shape), applied at
# run time with `splicegate apply -f-` onto HTTPRoutes, against the real
# services of http-auth-extauthz: gRPC (grpc {contextExtensions}) and HTTP
# (http {allowedResponseHeaders}), reached by url or by a backendRef to a
# Service. Allowed requests reach the backend with the service's edits,
# denials are answered as the service says, a service that is down (or a
# backendRef to a Service that does not exist) is 403 (FailClosed, the
# default) or lets the request pass (FailOpen). A url's path, http.path,
# http.body and addRequestHeaders shape the HTTP question; http.redirect
# turns the service's 403 into a 302; forwardBody sends the body cut to
# maxSize; cache answers a repeated key without asking, until its ttl
# (an expression that reads the request as the service's answer left it).
# config_dump prints the policies in agentgateway's shape; `check`
# refuses what agentgateway's CRD refuses and what splicegate lacks, by
# name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
ALOG=$WORK/authz.log
HLOG=$WORK/http-authz.log
authz_services grpc http
DEAD=$(free_port)
k8s_routes_start "$V1" g h dead open sg sh up cp rd ah hc tt miss
policy() { # NAME ROUTE EXTAUTH-FLOW-MAP
	printf -- '---\napiVersion: agentgateway.dev/v1alpha1\nkind: AgentgatewayPolicy\nmetadata: {name: %s, namespace: e2e}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: %s}]\n  traffic:\n    extAuth: %s\n' \
		"$1" "$2" "$3"
}
{
	service_yaml authz-grpc "$GP"
	service_yaml authz-http "$HP"
	policy g g "{url: 'http://127.0.0.1:$GP', grpc: {contextExtensions: {tenant: t9}}}"
	policy h h "{url: 'http://127.0.0.1:$HP', http: {allowedResponseHeaders: [x-authz-user]}}"
	policy dead dead "{url: 'http://127.0.0.1:$DEAD'}"
	policy open open "{url: 'http://127.0.0.1:$DEAD', failureMode: FailOpen}"
	policy sg sg "{backendRef: {name: authz-grpc, port: $GP}, grpc: {}, forwardBody: {maxSize: 8}, cache: {key: [request.path], ttl: 5m}}"
	policy sh sh "{backendRef: {name: authz-http, port: $HP}, http: {allowedResponseHeaders: [x-authz-user]}, forwardBody: {maxSize: 1Ki}}"
	policy up up "{url: 'http://127.0.0.1:$HP/allow/fixed', http: {allowedResponseHeaders: [x-authz-user]}}"
	policy cp cp "{url: 'http://127.0.0.1:$HP', http: {path: '\"/deny\" + request.path'}}"
	policy rd rd "{url: 'http://127.0.0.1:$HP', http: {redirect: '\"/signin?from=\" + request.path'}}"
	policy ah ah "{url: 'http://127.0.0.1:$HP', http: {addRequestHeaders: {x-method: request.method}, body: '\"path=\" + request.path'}}"
	policy hc hc "{url: 'http://127.0.0.1:$HP', http: {allowedResponseHeaders: [x-authz-user]}, cache: {key: [request.path], ttl: 5s, maxEntries: 10}}"
	policy tt tt "{url: 'http://127.0.0.1:$HP', http: {allowedResponseHeaders: [x-authz-user]}, cache: {key: [request.path], ttl: 'request.headers[\"x-authz-user\"] == \"alice\" ? duration(\"1m\") : duration(\"0s\")'}}"
	policy miss miss "{backendRef: {name: nowhere, port: 9}, http: {}}"
} >"$WORK/policies.yaml"
out=$("$SG_BIN" apply -f "$WORK/policies.yaml" 2>&1)
check "apply -f of the policies" "$?" 0
check "apply warns of the backendRef to a Service that is not there" \
	"$(grep -c 'backendRef: Service e2e/nowhere not found; the calls of policy e2e/miss fail' <<<"$out")" 1

for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt -H "x-authz-user: mallory" "$u/g/allow"
	check "$opt gRPC: allowed, the service's edits on the request" \
		"$H_CODE $(echo_values x-authz-user)" "200 alice"
	check "$opt gRPC: the context extensions were sent" "$(tail -1 "$ALOG" | jq -r .context.tenant)" t9
	hcall $opt "$u/g/deny"
	check "$opt gRPC: denied as the service says" "$H_CODE $H_BODY" "418 denied by policy"
	hcall $opt "$u/h/allow"
	check "$opt HTTP: allowed, allowedResponseHeaders copied to the request" \
		"$H_CODE $(echo_values x-authz-user)" "200 alice"
	hcall $opt "$u/dead/x"
	check "$opt a service that is down, FailClosed: 403" "$H_CODE" 403
	hcall $opt "$u/open/x"
	check "$opt a service that is down, FailOpen: passes" "$H_CODE" 200
done

# backendRef to a Service, forwardBody.
hcall -X POST --data-binary '0123456789' "$u/sg/allow"
check "backendRef (gRPC): allowed by the Service's endpoint" \
	"$H_CODE $(echo_values x-authz-user)" "200 alice"
check "forwardBody maxSize 8: the body cut to 8 bytes" "$(tail -1 "$ALOG" | jq -r .body)" "01234567"
hcall -X POST --data-binary 'hello' "$u/sh/allow"
check "backendRef (HTTP): allowed, forwardBody 1Ki sends it whole" \
	"$H_CODE $(echo_values x-authz-user) $(tail -1 "$HLOG" | jq -c '[.body, .headers["x-envoy-auth-partial-body"]]')" \
	'200 alice ["hello","false"]'
hcall "$u/miss/x"
check "a backendRef to a missing Service: 403 (FailClosed)" "$H_CODE $H_BODY" \
	"403 external authorization failed"

# The HTTP question: a url's path, http.path, body, addRequestHeaders, redirect.
hcall "$u/up/anything"
check "url with a path: the service is asked at that path" \
	"$H_CODE $(echo_values x-authz-user) $(tail -1 "$HLOG" | jq -r .path)" "200 alice /allow/fixed"
hcall "$u/cp/x"
check "http.path: the expression's path" "$H_CODE $H_BODY $(tail -1 "$HLOG" | jq -r .path)" \
	"418 denied by policy /deny/cp/x"
hcall "$u/ah/x"
check "http.body and addRequestHeaders: the expressions' values" \
	"$H_CODE $(tail -1 "$HLOG" | jq -c '[.body, .headers["x-method"]]')" '200 ["path=/ah/x","GET"]'
hcall "$u/rd/plain"
check "http.redirect: the service's 403 becomes a 302 to the expression's location" \
	"$H_CODE $(resp_header location)" "302 /signin?from=/rd/plain"
hcall "$u/rd/deny"
check "http.redirect: another denial is answered as returned" "$H_CODE $H_BODY" \
	"418 denied by policy"

# The cache: a key asked about once until its ttl.
nlines() { wc -l <"$1"; }
n=$(nlines "$ALOG")
hcall "$u/sg/deny"
hcall "$u/sg/deny"
check "gRPC cache: a denial kept, answered again without asking" \
	"$H_CODE $H_BODY $(($(nlines "$ALOG") - n))" "418 denied by policy 1"
n=$(nlines "$ALOG")
hcall "$u/sg/allow"
check "gRPC cache: the allowed answer of an earlier key replayed" \
	"$H_CODE $(echo_values x-authz-user) $(($(nlines "$ALOG") - n))" "200 alice 0"
n=$(nlines "$HLOG")
for _ in 1 2 3; do hcall "$u/hc/allow"; done
check "HTTP cache: three requests, one question" \
	"$H_CODE $(echo_values x-authz-user) $(($(nlines "$HLOG") - n))" "200 alice 1"
for _ in 1 2; do hcall "$u/hc/plain"; done
check "HTTP cache: a 403 kept too" "$H_CODE $H_BODY $(($(nlines "$HLOG") - n))" "403 forbidden 2"
sleep 5.2 # past the ttl of 5 s (long enough for the requests above on a busy machine)
hcall "$u/hc/allow"
check "HTTP cache: asked again after the ttl" "$H_CODE $(($(nlines "$HLOG") - n))" "200 3"
n=$(nlines "$HLOG")
for _ in 1 2; do hcall "$u/tt/allow"; done
for _ in 1 2; do hcall "$u/tt/pass"; done
check "cache.ttl reads the request as the answer left it: kept when the service set the header" \
	"$H_CODE $(($(nlines "$HLOG") - n))" "200 3"

dump=$(curl -s http://127.0.0.1:15000/config_dump)
got=$(jq -c '[.policies[] | select(.name.name == "g") | .key, .policy.traffic.phase, .policy.traffic.extAuthz.host]' <<<"$dump")
check "config_dump: a route-phase traffic policy to the service" "$got" \
	"[\"traffic/e2e/g:extauth:e2e/g\",\"route\",\"127.0.0.1:$GP\"]"
got=$(jq -c '[.policies[] | select(.name.name == "sg") | .policy.traffic.extAuthz | .service, .includeRequestBody, .cache]' <<<"$dump")
json_equal "config_dump: a backendRef's Service, forwardBody and cache" "$got" \
	"[{\"name\": \"e2e/authz-grpc.e2e.svc.cluster.local\", \"port\": $GP},
	  {\"maxRequestBytes\": 8, \"allowPartialMessage\": true, \"packAsBytes\": false},
	  {\"key\": [\"request.path\"], \"ttl\": \"duration(\\\"5m\\\")\", \"maxEntries\": 10000}]"
got=$(jq -c '[.policies[] | select(.name.name == "up") | .policy.traffic.extAuthz.protocol.http]' <<<"$dump")
json_equal "config_dump: a url's path as http.path's string literal" "$got" \
	'[{"path": "\"/allow/fixed\"", "redirect": null, "body": null, "includeResponseHeaders": ["x-authz-user"]}]'
stop_gateway

agp_refuses() { # WHAT EXTAUTH-FLOW-MAP WANT
	policy p r "$2" >"$WORK/agp.yaml"
	out=$("$SG_BIN" check -c "$WORK/agp.yaml" 2>&1)
	check "check refuses $1" "$? $(grep -cF -- "$3" <<<"$out")" "1 1"
}
agp_refuses "a backendRef to an AgentgatewayBackend" \
	"{backendRef: {group: agentgateway.dev, kind: AgentgatewayBackend, name: a, port: 9}, grpc: {}}" \
	"spec.traffic.extAuth.backendRef.kind: not supported (splicegate has no AgentgatewayBackend"
agp_refuses "both url and backendRef" \
	"{url: 'http://127.0.0.1:1', backendRef: {name: a, port: 9}, grpc: {}}" \
	"spec.traffic.extAuth: give exactly one of url and backendRef"
agp_refuses "a url path with grpc" "{url: 'http://127.0.0.1:1/x', grpc: {}}" \
	"a url path is only valid with http"
agp_refuses "http.path beside a url path" "{url: 'http://127.0.0.1:1/x', http: {path: '\"/y\"'}}" \
	"spec.traffic.extAuth.http.path: may not be set when url includes a path"
agp_refuses "forwardBody beside http.body" \
	"{url: 'http://127.0.0.1:1', forwardBody: {maxSize: 8}, http: {body: '\"b\"'}}" \
	"spec.traffic.extAuth.forwardBody: cannot be used with http.body"
agp_refuses "forwardBody over 1Mi" "{url: 'http://127.0.0.1:1', forwardBody: {maxSize: 2Mi}, grpc: {}}" \
	"spec.traffic.extAuth.forwardBody.maxSize: expected 1 to 1Mi bytes"
agp_refuses "an http.path that does not compile" "{url: 'http://127.0.0.1:1', http: {path: 'foolen_{{request.path}}'}}" \
	"spec.traffic.extAuth.http.path: column"
{
	policy p r "{url: 'http://127.0.0.1:1', http: {responseMetadata: {u: 'response.headers[\"x-user\"]'}, addRequestHeaders: {':method': '\"POST\"'}}}"
	policy q s "{url: 'http://127.0.0.1:1', grpc: {requestMetadata: {t: '{\"tenant\": request.path}'}}}"
} >"$WORK/agp.yaml"
out=$("$SG_BIN" check -c "$WORK/agp.yaml" 2>&1)
check "check takes http.responseMetadata, grpc.requestMetadata and a pseudo-header in addRequestHeaders" \
	"$? $(tail -n 1 <<<"$out")" "0 configuration ok"
agp_refuses "conditional" "{conditional: [{policy: {url: 'http://127.0.0.1:1', grpc: {}}}]}" \
	"spec.traffic.extAuth.conditional: not supported (conditional extAuth is not implemented)"
finish
