# listenerset-allowed-routes-supported-kinds.go: a ListenerSet's TLS
# listener whose allowedRoutes.kinds names HTTPRoute is ResolvedRefs False
# InvalidRouteKinds, as a Gateway's would be.
GW=gateway-with-listener-sets-test-supported-route-kinds
{
	gw_head $GW
	http_listener gateway-listener 9080 gateway-listener.com All
	allow_listeners All
	ls_head listenerset-test-allowed-routes-supported-kinds $INFRA $GW
	cat <<YAML
  - name: listener-set-listener-allowed-routes-tls-only
    port: 9443
    protocol: TLS
    hostname: listener-set-listener-allowed-routes-tls-only.com
    allowedRoutes: {namespaces: {from: All}, kinds: [{kind: HTTPRoute}]}
    tls: {mode: Passthrough}
YAML
} | apply
APPLY_RC=$?
kinds() {
	applied && gw_cond $INFRA/$GW Accepted True '*' &&
		ls_listener listenerset $INFRA/listenerset-test-allowed-routes-supported-kinds \
			listener-set-listener-allowed-routes-tls-only ResolvedRefs:False:InvalidRouteKinds
}
tcase "the TLS listener naming HTTPRoute has ResolvedRefs False InvalidRouteKinds" kinds
