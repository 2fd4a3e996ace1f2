# AgentgatewayPolicy traffic.extAuth (agentgateway's CRD shape, the url
# form), applied at run time with `splicegate apply -f-` onto HTTPRoutes,
# against the real services of http-auth-extauthz: gRPC (grpc
# {contextExtensions}, the default protocol) and HTTP (http
# {allowedResponseHeaders}). Allowed requests reach the backend with the
# service's edits, denials are answered as the service says, a service
# that is down is 403 (FailClosed, the default) or lets the request pass
# (FailOpen). config_dump prints the policy; `check` refuses a backendRef
# and forwardBody by name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
ALOG=$WORK/authz.log
/usr/bin/python3 "$E2E_DIR/ext_authz_server.py" --grpc "$WORK/grpc.port" --log "$ALOG" \
	>"$WORK/grpc-authz.out" 2>&1 &
PIDS+=("$!")
/usr/bin/python3 "$E2E_DIR/ext_authz_server.py" --http "$WORK/http.port" --log "$WORK/http-authz.log" \
	>"$WORK/http-authz.out" 2>&1 &
PIDS+=("$!")
for _ in $(seq 200); do
	[ -s "$WORK/grpc.port" ] && [ -s "$WORK/http.port" ] && break
	sleep 0.05
done
GP=$(cat "$WORK/grpc.port")
HP=$(cat "$WORK/http.port")
DEAD=$(free_port)
k8s_routes_start "$V1" g h dead open
policy() { # NAME ROUTE EXTAUTH-FLOW-MAP
	printf -- '---\napiVersion: agentgateway.dev/v1alpha1\nkind: AgentgatewayPolicy\nmetadata: {name: %s, namespace: e2e}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: %s}]\n  traffic:\n    extAuth: %s\n' \
		"$1" "$2" "$3"
}
{
	policy g g "{url: 'http://127.0.0.1:$GP', grpc: {contextExtensions: {tenant: t9}}}"
	policy h h "{url: 'http://127.0.0.1:$HP', http: {allowedResponseHeaders: [x-authz-user]}}"
	policy dead dead "{url: 'http://127.0.0.1:$DEAD'}"
	policy open open "{url: 'http://127.0.0.1:$DEAD', failureMode: FailOpen}"
} >"$WORK/policies.yaml"
"$SG_BIN" apply -f "$WORK/policies.yaml" >/dev/null 2>"$WORK/apply.err"
check "apply -f of the four policies" "$? $(cat "$WORK/apply.err")" "0 "

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
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name == "g") | .policy.traffic | .phase, .extAuthz.host]')
check "config_dump: a route-phase traffic policy to the service" "$got" "[\"route\",\"127.0.0.1:$GP\"]"
stop_gateway

agp_refuses() { # WHAT EXTAUTH-FLOW-MAP WANT
	policy p r "$2" >"$WORK/agp.yaml"
	out=$("$SG_BIN" check -c "$WORK/agp.yaml" 2>&1)
	check "check refuses $1" "$? $(echo "$out" | grep -c "$3")" "1 1"
}
agp_refuses "a backendRef" "{backendRef: {name: authz, port: 9000}}" \
	"spec.traffic.extAuth.backendRef: not supported (give the authorization service as url"
agp_refuses "forwardBody" "{url: 'http://127.0.0.1:1', forwardBody: {maxSize: 8}}" \
	"spec.traffic.extAuth.forwardBody: not supported (not implemented for an AgentgatewayPolicy yet)"
finish
