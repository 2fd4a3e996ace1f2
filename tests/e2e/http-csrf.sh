# CSRF protection (agentgateway's csrf route policy and AgentgatewayPolicy
# traffic.csrf): a state-changing request from another origin gets 403
# "CSRF validation failed" and never reaches the backend; GET, HEAD and
# OPTIONS pass, as do requests without Origin, from the target's own
# origin, from a trusted additional origin, or whose Sec-Fetch-Site says
# same-origin or none. HTTP/1 and HTTP/2 clients alike; a gRPC call gets
# PERMISSION_DENIED; config_dump prints the policy as agentgateway does.
. "$(dirname "$0")/lib.sh"

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080

cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: form
      matches: [{path: {pathPrefix: /form}}]
      policies:
        csrf: {additionalOrigins: ["https://partner.example"]}
      backends: [{host: 127.0.0.1:$V1}]
    - name: open
      backends: [{host: 127.0.0.1:$V1}]
YAML
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

uuid=$(new_uuid)
# try WHAT WANT CURL-ARGS...: one request to /form; its status.
try() {
	local what=$1 want=$2
	shift 2
	hcall "$@" "$u/form?uuid=$uuid"
	check "$what" "$H_CODE" "$want"
}
try "GET from another origin passes" 200 -H "Origin: https://evil.example"
try "POST from another origin: 403" 403 -d x -H "Origin: https://evil.example"
check "the 403 says why" "$H_BODY" "CSRF validation failed"
try "POST without Origin passes" 200 -d x
try "POST from the target's own origin passes" 200 -d x -H "Origin: http://127.0.0.1:8080"
try "POST from https:// of the same host is another origin" 403 -d x \
	-H "Origin: https://127.0.0.1:8080"
try "POST from a trusted origin passes" 200 -d x -H "Origin: https://partner.example"
try "Sec-Fetch-Site: same-origin passes" 200 -d x -H "Sec-Fetch-Site: same-origin" \
	-H "Origin: https://evil.example"
try "Sec-Fetch-Site: cross-site without a trusted Origin: 403" 403 -X DELETE \
	-H "Sec-Fetch-Site: cross-site"
try "HTTP/2: POST from another origin: 403" 403 --http2-prior-knowledge -d x \
	-H "Origin: https://evil.example"
try "HTTP/2: from the target's own origin passes" 200 --http2-prior-knowledge -d x \
	-H "Origin: http://127.0.0.1:8080"
check "the backend saw only the requests that passed" "$(backend_count "$V1" "$uuid")" 6
hcall --http2-prior-knowledge -H "content-type: application/grpc" \
	-H "Origin: https://evil.example" -d '' "$u/form/pkg.Svc/M"
check "a gRPC call from another origin: PERMISSION_DENIED" \
	"$H_CODE $(resp_header grpc-status)" "200 7"
hcall -d x -H "Origin: https://evil.example" "$u/elsewhere"
check "a route without the policy: any origin" "$H_CODE" 200
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.binds[0].listeners[].routes[] | select(.name == "form") | .inlinePolicies]')
json_equal "config_dump: csrf as agentgateway prints it" "$got" \
	'[[{"csrf": {"additionalOrigins": ["https://partner.example"]}}]]'
stop_gateway

{
	gateway_yaml
	service_yaml v1 "$V1"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: form, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - backendRefs: [{name: v1, port: $V1}]
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: csrf, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: form}]
  traffic:
    csrf: {additionalOrigins: ["https://partner.example"]}
YAML
} >"$WORK/k8s.yaml"
if ! start_engine auto -c "$WORK/k8s.yaml"; then
	fail "gateway (Kubernetes) did not start"
	finish
fi
try "Kubernetes: POST from another origin: 403" 403 -d x -H "Origin: https://evil.example"
try "Kubernetes: from a trusted origin passes" 200 -d x -H "Origin: https://partner.example"
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name == "csrf") | {key, policy}]')
json_equal "config_dump: the policy as agentgateway's traffic policy" "$got" '[{
  "key": "traffic/e2e/csrf:csrf:e2e/form",
  "policy": {"traffic": {"phase": "route", "csrf": {"additionalOrigins": ["https://partner.example"]}}}}]'
sed 's/csrf: {additionalOrigins: \["https:\/\/partner.example"\]}/csrf: {additionalOrigins: []}/' \
	"$WORK/k8s.yaml" >"$WORK/bad.yaml"
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "an empty additionalOrigins: refused (the CRD's MinItems)" \
	"$(grep -c "spec.traffic.csrf.additionalOrigins: expected 1 to 16 origins" "$WORK/err")" 1
stop_gateway
san_check
finish
