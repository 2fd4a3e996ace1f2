# httproute-multiple-gateways.go: a route attached to two Gateways serves
# on both, beside each Gateway's own route.
rt() { # NAME PARENTS PREFIX BACKEND
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs: [%s]\n  rules:\n  - matches: [{path: {type: PathPrefix, value: %s}}]\n    backendRefs: [{name: %s, port: 8080}]\n' \
		"$1" "$INFRA" "$2" "$3" "$4"
}
{
	rt multiple-gateways-shared-route '{name: same-namespace}, {name: all-namespaces}' /shared infra-backend-v1
	rt same-namespace-dedicated-route '{name: same-namespace}' / infra-backend-v2
	rt all-namespaces-dedicated-route '{name: all-namespaces}' / infra-backend-v3
} | apply
APPLY_RC=$?
S=$INFRA/multiple-gateways-shared-route
gw() { # SUBTEST GATEWAY PORT DEDICATED-BACKEND
	local R=$S,$INFRA/$2-dedicated-route@$INFRA/$2
	tcase "$1/shared route is accessible and routed to infra-backend-v1" \
		routes_check "$R" port="$3" path=/shared backend=infra-backend-v1
	tcase "$1/dedicated route is accessible and routed to $4" \
		routes_check "$R" port="$3" path=/ backend="$4"
}
gw "Gateway same-namespace" same-namespace 8080 infra-backend-v2
gw "Gateway all-namespaces" all-namespaces 8081 infra-backend-v3
