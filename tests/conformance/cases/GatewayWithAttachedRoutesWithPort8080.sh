# gateway-with-attached-routes.go (its second test): a route attached by
# sectionName counts on that listener only. The listeners' 8080 and 80 are
# 18080 and 10080 here (same-namespace holds 8080).
GW=gateway-with-two-listeners-and-one-attached-route
{
	gw_head $GW
	printf '  - {name: http-unattached, port: 18080, protocol: HTTP, allowedRoutes: {kinds: [{kind: HTTPRoute}], namespaces: {from: All}}}\n'
	printf '  - {name: http, port: 10080, protocol: HTTP, allowedRoutes: {kinds: [{kind: HTTPRoute}], namespaces: {from: All}}}\n'
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: http-route-4-port-8080, namespace: $INFRA}
spec:
  parentRefs: [{kind: Gateway, name: $GW, namespace: $INFRA, sectionName: http}]
  rules:
  - backendRefs: [{name: infra-backend-v1, port: 8080}]
YAML
} | apply
APPLY_RC=$?
by_section() {
	local l
	applied && listeners_count $INFRA/$GW 2 || return 1
	for l in http-unattached http; do
		listener $INFRA/$GW $l Accepted True '*' HTTPRoute &&
			listener $INFRA/$GW $l ResolvedRefs True '*' || return 1
	done
	attached $INFRA/$GW http-unattached 0 && attached $INFRA/$GW http 1
}
tcase "Gateway listener should have attached route by specifying the sectionName" by_section
