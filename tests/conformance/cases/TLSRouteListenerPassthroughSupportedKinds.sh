# tlsroute-listener-passthrough-supported-kinds.go: a TLS Passthrough
# listener whose allowedRoutes.kinds names TCPRoute and TLSRoute:
# ResolvedRefs False InvalidRouteKinds, TLSRoute in supportedKinds.
apply <<YAML
$(gw_head gateway-tlsroute-passthrough-supported-kind)
  - name: tls-passthrough
    port: 9443
    protocol: TLS
    allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TCPRoute}, {kind: TLSRoute}]}
    tls: {mode: Passthrough}
YAML
APPLY_RC=$?
kinds() {
	applied && listeners_count $INFRA/gateway-tlsroute-passthrough-supported-kind 1 &&
		listener $INFRA/gateway-tlsroute-passthrough-supported-kind tls-passthrough ResolvedRefs False \
			InvalidRouteKinds TLSRoute
}
tcase "TLS listener should have a false ResolvedRefs condition with reason InvalidRouteKinds for TCPRoute, and TLSRoute must be put in the supportedKinds" kinds
