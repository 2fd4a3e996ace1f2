# gateway-invalid-route-kind.go: allowedRoutes.kinds naming a kind the
# listener cannot take is ResolvedRefs False InvalidRouteKinds; the kinds
# it can take stay in supportedKinds.
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gateway-only-invalid-route-kind, namespace: $INFRA}
spec:
  gatewayClassName: splicegate
  listeners:
  - {name: http, port: 9001, protocol: HTTP, allowedRoutes: {namespaces: {from: All}, kinds: [{kind: InvalidRoute}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gateway-supported-and-invalid-route-kind, namespace: $INFRA}
spec:
  gatewayClassName: splicegate
  listeners:
  - name: http
    port: 9002
    protocol: HTTP
    allowedRoutes: {namespaces: {from: All}, kinds: [{kind: InvalidRoute}, {kind: HTTPRoute}]}
YAML
APPLY_RC=$?
only_invalid() {
	applied && listeners_count $INFRA/gateway-only-invalid-route-kind 1 &&
		listener $INFRA/gateway-only-invalid-route-kind http ResolvedRefs False InvalidRouteKinds ""
}
with_http() {
	applied && listeners_count $INFRA/gateway-supported-and-invalid-route-kind 1 &&
		listener $INFRA/gateway-supported-and-invalid-route-kind http ResolvedRefs False \
			InvalidRouteKinds HTTPRoute
}
tcase "Gateway listener should have a false ResolvedRefs condition with reason InvalidRouteKinds and no supportedKinds" only_invalid
tcase "Gateway listener should have a false ResolvedRefs condition with reason InvalidRouteKinds and HTTPRoute must be put in the supportedKinds" with_http
