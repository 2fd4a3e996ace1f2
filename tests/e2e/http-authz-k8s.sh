# AgentgatewayPolicy traffic.authorization (agentgateway's CRD shape),
# applied at run time with `splicegate apply -f-` onto HTTPRoutes: before
# it a route is open; after it, Allow lets a request that one of its
# expressions accepts pass and refuses the rest with 403 "authorization
# failed", Deny refuses what any of its expressions accepts, and Require
# wants all of them; a route without a policy stays open, and a client of
# it is served throughout. config_dump prints each as a traffic policy;
# `check` refuses a bad action, no expressions, and one that does not
# compile; a policy aimed at a Service is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
k8s_routes_start "$V1" open allow deny req
hcall "$u/allow/x"
check "before the policy the route is open" "$H_CODE" 200

# policy NAME ROUTE ACTION EXPR...: an AgentgatewayPolicy document.
policy() {
	local name=$1 route=$2 action=$3
	shift 3
	printf -- '---\napiVersion: agentgateway.dev/v1alpha1\nkind: AgentgatewayPolicy\nmetadata: {name: %s, namespace: e2e}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: %s}]\n  traffic:\n    authorization:\n%s      policy:\n        matchExpressions:\n' \
		"$name" "$route" "${action:+      action: $action
}"
	for e in "$@"; do
		printf "        - '%s'\n" "$e"
	done
}
{
	policy team allow "" 'request.headers["x-team"] == "blue"' 'request.headers["x-team"] == "red"'
	policy no-admin deny Deny 'request.path.startsWith("/deny/admin")'
	policy both req Require 'request.headers["x-a"] == "1"' 'request.method == "GET"'
} >"$WORK/policies.yaml"
out=$("$SG_BIN" apply -f- <"$WORK/policies.yaml" 2>&1)
check "apply -f- of the three policies" "$? $(grep -c ' created$' <<<"$out")" "0 3"

busy_client_start "$u/open/x"
hcall -H 'x-team: blue' "$u/allow/x"
check "Allow (the default): one expression holds: 200" "$H_CODE" 200
hcall -H 'x-team: red' "$u/allow/x"
check "Allow: the other expression holds: 200" "$H_CODE" 200
hcall -H 'x-team: green' "$u/allow/x"
check "Allow: none holds: 403" "$H_CODE $H_BODY" "403 authorization failed"
hcall "$u/deny/x"
check "Deny: the expression does not hold: 200" "$H_CODE" 200
hcall "$u/deny/admin/x"
check "Deny: it holds: 403" "$H_CODE $H_BODY" "403 authorization failed"
hcall -H 'x-a: 1' "$u/req/x"
check "Require: both hold: 200" "$H_CODE" 200
hcall -X POST -H 'x-a: 1' "$u/req/x"
check "Require: one does not hold: 403" "$H_CODE" 403
hcall "$u/req/x"
check "Require: the other does not hold: 403" "$H_CODE" 403
hcall "$u/open/x"
check "a route without a policy stays open" "$H_CODE" 200
busy_client_check

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name == "team" or .name.name == "both") | {key, policy}] | sort_by(.key)')
json_equal "config_dump: traffic policies with their rules" "$got" '[
  {"key": "traffic/e2e/both:rbac:e2e/req",
   "policy": {"traffic": {"phase": "route", "authorization": {"rules": {"require":
     ["request.headers[\"x-a\"] == \"1\"", "request.method == \"GET\""]}}}}},
  {"key": "traffic/e2e/team:rbac:e2e/allow",
   "policy": {"traffic": {"phase": "route", "authorization": {"rules": {"allow":
     ["request.headers[\"x-team\"] == \"blue\"", "request.headers[\"x-team\"] == \"red\""]}}}}}]'

# A bad policy applied while these run: refused, the running ones kept.
out=$(policy team allow Maybe 'true' | "$SG_BIN" apply -f- 2>&1)
check "apply of a bad action is refused" "$?" 1
hcall -H 'x-team: green' "$u/allow/x"
check "the policy in force is kept" "$H_CODE" 403
stop_gateway

agp_refuses "an unknown action" authorization \
	"{action: Maybe, policy: {matchExpressions: ['true']}}" \
	"spec.traffic.authorization.action: expected Allow, Deny or Require"
agp_refuses "no expressions" authorization "{policy: {matchExpressions: []}}" \
	"spec.traffic.authorization.policy.matchExpressions: expected 1 to 256 CEL expressions"
agp_refuses "an expression that does not compile" authorization \
	"{policy: {matchExpressions: ['request.path ==']}}" \
	"spec.traffic.authorization.policy.matchExpressions[0]"
agp_refuses "no policy" authorization "{action: Deny}" \
	'spec.traffic.authorization: missing required field "policy"'
printf 'apiVersion: agentgateway.dev/v1alpha1\nkind: AgentgatewayPolicy\nmetadata: {name: p, namespace: default}\nspec:\n  targetRefs: [{group: "", kind: Service, name: s}]\n  traffic:\n    authorization: {policy: {matchExpressions: ["true"]}}\n' >"$WORK/svc.yaml"
out=$("$SG_BIN" check -c "$WORK/svc.yaml" 2>&1)
check "check refuses authorization aimed at a Service" \
	"$? $(grep -c 'Gateway, ListenerSet, HTTPRoute or GRPCRoute (the target of a traffic policy)' <<<"$out")" "1 1"
finish
