# AgentgatewayPolicy traffic.phase PreRouting (agentgateway's gateway
# phase), applied at run time with `splicegate apply -f-` onto the
# Gateway: its apiKeyAuthentication and authorization run on every
# request of the Gateway's listeners before a route is chosen, so a path
# no route matches is refused (401, 403) before it is answered 404; they
# run apart from a route's own policies (an HTTPRoute's authorization
# still applies after them, not instead). config_dump prints them with
# phase "gateway". A PreRouting extAuth is asked before a route is chosen
# too, after the API key and before the authorization rules. `check`
# refuses PreRouting with a section agentgateway's CRD does not allow in
# that phase, aimed at an HTTPRoute, and a phase it does not know.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
k8s_routes_start "$V1" api open
hcall "$u/nothere"
check "before the policies: no route, 404" "$H_CODE $H_BODY" "404 route not found"

out=$(cat <<'YAML' | "$SG_BIN" apply -f- 2>&1
apiVersion: v1
kind: Secret
metadata: {name: gw-keys, namespace: agentgateway-system}
stringData: {client1: k-1}
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: pre-keys, namespace: agentgateway-system}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: agentgateway-proxy}]
  traffic:
    phase: PreRouting
    apiKeyAuthentication:
      secretRef: {name: gw-keys}
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: pre-rbac, namespace: agentgateway-system}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: agentgateway-proxy}]
  traffic:
    phase: PreRouting
    authorization:
      policy:
        matchExpressions: ['request.headers["x-pre"] == "yes"']
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: route-rbac, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: api}]
  traffic:
    authorization:
      policy:
        matchExpressions: ['request.headers["x-route"] == "yes"']
YAML
)
check "apply -f- of the Secret and the policies" "$? $(grep -c ' created$' <<<"$out")" "0 4"

busy_client_start "$u/nothere"
gateway_phase_checks
wait "$BUSY"
check "the busy client (no key) was refused throughout" \
	"$(sort -u "$WORK/busy.codes" | tr '\n' ' ')" "401 "

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select((.name.name // "") | startswith("pre-") or . == "route-rbac") | [.key, .policy.traffic.phase]] | sort')
check "config_dump: the PreRouting policies in phase gateway, the route's in phase route" "$got" \
	'[["traffic/agentgateway-system/pre-keys:apikeyauth:agentgateway-system/agentgateway-proxy","gateway"],["traffic/agentgateway-system/pre-rbac:rbac:agentgateway-system/agentgateway-proxy","gateway"],["traffic/e2e/route-rbac:rbac:e2e/api","route"]]'

authz_server http authz
out=$(cat <<YAML | "$SG_BIN" apply -f- 2>&1
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: pre-extauth, namespace: agentgateway-system}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: agentgateway-proxy}]
  traffic:
    phase: PreRouting
    extAuth:
      url: http://127.0.0.1:$AP
      http: {}
YAML
)
check "apply -f- of a PreRouting extAuth" "$? $(grep -c ' created$' <<<"$out")" "0 1"
hcall -H "Authorization: Bearer k-1" "$u/nothere/deny"
check "PreRouting extAuth: the service's denial before routing, before the rules" \
	"$H_CODE $H_BODY" "418 denied by policy"
hcall -H "Authorization: Bearer k-1" -H "x-pre: yes" "$u/nothere/x"
check "PreRouting extAuth: allowed, then no route: 404" "$H_CODE $H_BODY" "404 route not found"
hcall -H "Authorization: Bearer k-1" -H "x-pre: yes" "$u/open/x"
check "PreRouting extAuth: allowed, the route serves" "$H_CODE $(wc -l <"$WORK/authz.log")" "200 3"
stop_gateway

# pre_refuses WHAT KIND TRAFFIC-BODY WANT: `check` of a PreRouting policy
# aimed at KIND with spec.traffic TRAFFIC-BODY fails, naming WANT.
pre_refuses() {
	printf 'apiVersion: agentgateway.dev/v1alpha1\nkind: AgentgatewayPolicy\nmetadata: {name: p, namespace: default}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: %s, name: r}]\n  traffic: %s\n' \
		"$2" "$3" >"$WORK/pre.yaml"
	out=$("$SG_BIN" check -c "$WORK/pre.yaml" 2>&1)
	check "check refuses $1" "$? $(grep -cF -- "$4" <<<"$out")" "1 1"
}
pre_refuses "PreRouting with timeouts" Gateway "{phase: PreRouting, timeouts: {request: 1s}}" \
	"spec.traffic.phase: phase PreRouting only supports extAuth, authorization"
pre_refuses "PreRouting aimed at an HTTPRoute" HTTPRoute \
	"{phase: PreRouting, authorization: {policy: {matchExpressions: ['true']}}}" \
	"the 'traffic.phase=PreRouting' field can only target a Gateway or ListenerSet"
pre_refuses "an unknown phase" Gateway \
	"{phase: Sideways, authorization: {policy: {matchExpressions: ['true']}}}" \
	"spec.traffic.phase: expected PreRouting or PostRouting"
finish
