# backendtlspolicy-san.go: subjectAltNames of type Hostname and URI (a
# SPIFFE ID), one or several: a request succeeds when the backend's
# certificate carries one of them, fails when it carries none.
{
	route backendtlspolicy-san-test same-namespace abc.example.com
	for t in san-dns san-dns-mismatch san-uri san-uri-mismatch multiple-sans multiple-mismatch-sans; do
		route_rule "/backendtlspolicy-$t" "backendtlspolicy-$t-test"
	done
	for t in san-dns san-dns-mismatch san-uri san-uri-mismatch multiple-sans multiple-mismatch-sans; do
		tls_svc "backendtlspolicy-$t-test" btls 443 HTTPS
	done
	sans() { # NAME SANS...
		local n=$1
		shift
		btls "$n" "backendtlspolicy-$n-test:btls" abc.example.com
		echo "    subjectAltNames:"
		for s in "$@"; do
			case $s in
			*://*) echo "    - {type: URI, uri: \"$s\"}" ;;
			*) echo "    - {type: Hostname, hostname: \"$s\"}" ;;
			esac
		done
	}
	sans san-dns abc.example.com
	sans san-dns-mismatch dce.example.com
	sans san-uri spiffe://abc.example.com/test-identity
	sans san-uri-mismatch spiffe://def.example.com/test-identity
	sans multiple-sans spiffe://abc.example.com/test-identity abc.example.com
	sans multiple-mismatch-sans spiffe://def.example.com/test-identity def.example.com
} | apply
APPLY_RC=$?
G=$INFRA/same-namespace
ok() { # POLICY
	applied && parent HTTPRoute $INFRA/backendtlspolicy-san-test $G ResolvedRefs True ResolvedRefs &&
		ancestor BackendTLSPolicy "$INFRA/$1" $G Accepted True Accepted &&
		http 8080 abc.example.com "/backendtlspolicy-$1" 200 tls-backend
}
fails() {
	applied && ancestor BackendTLSPolicy "$INFRA/$1" $G Accepted True Accepted &&
		http_fails 8080 abc.example.com "/backendtlspolicy-$1"
}
tcase "HTTP request sent to Service with valid BackendTLSPolicy containing dns SAN should succeed" ok san-dns
tcase "HTTP request sent to Service targeted by BackendTLSPolicy with mismatched dns SAN should return an HTTP error" fails san-dns-mismatch
tcase "HTTP request sent to Service with valid BackendTLSPolicy containing uri SAN should succeed" ok san-uri
tcase "HTTP request sent to Service targeted by BackendTLSPolicy with mismatched uri SAN should return an HTTP error" fails san-uri-mismatch
tcase "HTTP request sent to Service with valid BackendTLSPolicy containing multi SAN should succeed" ok multiple-sans
tcase "HTTP request sent to Service targeted by BackendTLSPolicy with mismatched multi SAN should return an HTTP error" fails multiple-mismatch-sans
