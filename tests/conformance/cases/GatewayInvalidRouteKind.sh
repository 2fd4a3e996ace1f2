# gateway-invalid-route-kind.go: allowedRoutes.kinds naming a kind the
# listener cannot take is ResolvedRefs False InvalidRouteKinds; the kinds
# it can take stay in supportedKinds.
apply <<YAML
$(gw_head gateway-only-invalid-route-kind)
  - {name: http, port: 9001, protocol: HTTP, allowedRoutes: {namespaces: {from: All}, kinds: [{kind: InvalidRoute}]}}
$(gw_head gateway-supported-and-invalid-route-kind)
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
