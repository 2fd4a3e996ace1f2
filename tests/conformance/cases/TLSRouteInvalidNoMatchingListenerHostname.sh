# tlsroute-invalid-no-matching-listener-hostname.go: TLSRoutes whose
# hostnames meet no listener hostname (exact and wildcard):
# NoMatchingListenerHostname, none attaches.
{
	gw_head gateway-tls-exact-hostname
	echo "  - {name: tls, port: 9443, protocol: TLS, hostname: www.example.com, allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}, tls: {mode: Passthrough}}"
	gw_head gateway-tls-wildcard-hostname
	echo "  - {name: tls, port: 9444, protocol: TLS, hostname: '*.example.com', allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}, tls: {mode: Passthrough}}"
	tls_route tlsroute-hostname-mismatch-1 gateway-tls-exact-hostname '[www.nomatch.com, "*.nomatch.com"]'
	tls_route tlsroute-hostname-mismatch-2 gateway-tls-wildcard-hostname '[www.different.com, "*.different.com"]'
} | apply
APPLY_RC=$?
A=(TLSRoute $INFRA/tlsroute-hostname-mismatch-1 $INFRA/gateway-tls-exact-hostname NoMatchingListenerHostname)
B=(TLSRoute $INFRA/tlsroute-hostname-mismatch-2 $INFRA/gateway-tls-wildcard-hostname NoMatchingListenerHostname)
tcase "TLSRoute 1 has Accepted=False for exact hostname Gateway" unattached "${A[@]}" 0
tcase "TLSRoute 2 has Accepted=False for wildcard hostname Gateway" unattached "${B[@]}" 0
tcase "TLSRoute 1 must have no accepted parents" unattached "${A[@]}" 1
tcase "TLSRoute 2 must have no accepted parents" unattached "${B[@]}" 1
tcase "Exact hostname Gateway must have 0 Routes attached" unattached "${A[@]}" 2
tcase "Wildcard hostname Gateway must have 0 Routes attached" unattached "${B[@]}" 2
