# tlsroute-invalid-no-matching-listener.go: a TLSRoute on an HTTP or HTTPS
# listener is NotAllowedByListeners, one naming a sectionName the Gateway
# does not have NoMatchingParent; none attaches.
{
	gw_head gateway-tlsroute-tls-passthrough-only
	echo "  - {name: tls-passthrough, protocol: TLS, port: 9443, tls: {mode: Passthrough}}"
	gw_head gateway-tlsroute-http-only
	echo "  - {name: http, port: 9001, protocol: HTTP}"
	gw_head gateway-tlsroute-https-only
	echo "  - {name: https, port: 9444, protocol: HTTPS, tls: {mode: Terminate, certificateRefs: [{name: tls-validity-checks-certificate, namespace: $INFRA}]}}"
	tls_route tlsroute-not-allowed-protocol-http gateway-tlsroute-http-only '[tls.example.com]'
	tls_route tlsroute-not-allowed-protocol-https gateway-tlsroute-https-only '[tls.example.com]'
	tls_route tlsroute-no-matching-section-name gateway-tlsroute-tls-passthrough-only:nonexistent-listener '[tls.example.com]'
} | apply
APPLY_RC=$?
H=(TLSRoute $INFRA/tlsroute-not-allowed-protocol-http $INFRA/gateway-tlsroute-http-only NotAllowedByListeners)
S=(TLSRoute $INFRA/tlsroute-not-allowed-protocol-https $INFRA/gateway-tlsroute-https-only NotAllowedByListeners)
N=(TLSRoute $INFRA/tlsroute-no-matching-section-name $INFRA/gateway-tlsroute-tls-passthrough-only NoMatchingParent)
tcase "TLSRoute rejected when listener protocol is HTTP" unattached "${H[@]}" 0
tcase "TLSRoute rejected when listener protocol is HTTPS" unattached "${S[@]}" 0
tcase "TLSRoute rejected when sectionName not found" unattached "${N[@]}" 0
tcase "TLSRoute (HTTP listener) should not have Parents accepted" unattached "${H[@]}" 1
tcase "TLSRoute (HTTPS listener) should not have Parents accepted" unattached "${S[@]}" 1
tcase "TLSRoute (wrong sectionName) should not have Parents accepted" unattached "${N[@]}" 1
tcase "Gateway HTTP-only should have 0 Routes attached" unattached "${H[@]}" 2
tcase "Gateway HTTPS-only should have 0 Routes attached" unattached "${S[@]}" 2
