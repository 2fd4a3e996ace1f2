# tlsroute-listener-terminate-supported-kinds.go: with TLSRoute termination
# supported, a TLS listener in mode Terminate (no route on it) is Accepted
# True, has TLSRoute among its supportedKinds and 0 attached routes (port
# 9001 here, upstream 8443).
apply <<YAML
$(gw_head gateway-tlsroute-terminate-supported)
  - name: tls-terminate
    port: 9001
    protocol: TLS
    hostname: terminate.example.com
    allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}
    tls: {mode: Terminate, certificateRefs: [{name: tls-terminate-checks-certificate}]}
$(terminate_secret)
YAML
APPLY_RC=$?
G=$INFRA/gateway-tlsroute-terminate-supported
kinds() {
	applied && listeners_count $G 1 && listener $G tls-terminate Accepted True Accepted TLSRoute &&
		attached $G tls-terminate 0
}
tcase "Listener with mode Terminate must have TLSRoute in SupportedKinds" kinds
