# tlsroute-listener-terminate-not-supported.go: TLSRoute termination is not
# a supported feature here, so a TLS listener in mode Terminate has Accepted
# False UnsupportedValue.
apply <<YAML
$(gw_head gateway-tlsroute-terminate-unsupported)
  - name: tls-terminate
    port: 9001
    protocol: TLS
    hostname: terminate.example.com
    allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}
    tls: {mode: Terminate, certificateRefs: [{name: tls-terminate-checks-certificate}]}
YAML
APPLY_RC=$?
term() {
	applied && listeners_count $INFRA/gateway-tlsroute-terminate-unsupported 1 &&
		listener $INFRA/gateway-tlsroute-terminate-unsupported tls-terminate Accepted False UnsupportedValue
}
tcase "Listener with unsupported mode Terminate must have Accepted=False with Reason=UnsupportedValue" term
