# tlsroute-hostname-intersection.go: Passthrough listeners with an exact
# hostname, *.example.com, *.com and none, each with TLSRoutes whose
# hostnames are exact or wildcards: a connection's SNI goes to the route
# whose hostnames, intersected with the listener's, match it most
# specifically, and one outside every intersection is refused. The four
# Gateways listen on 443 upstream (each its own address); 9443-9446 here.
backend tls-backend-2 --tls "$WORK/tls.crt" "$WORK/tls.key"
PORT[tls-backend-2]=$(ready_port tls-backend-2)
gw() { # NAME LISTENER PORT [HOSTNAME]
	gw_head "$1"
	printf '  - {name: %s, protocol: TLS, port: %s%s, allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}, tls: {mode: Passthrough}}\n' \
		"$2" "$3" "${4:+, hostname: \"$4\"}"
}
rt() { # NAME GATEWAY HOSTNAME BACKEND
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: TLSRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs: [{name: %s, namespace: %s}]\n  hostnames: ["%s"]\n  rules: [{backendRefs: [{name: %s, port: 443}]}]\n' \
		"$1" "$INFRA" "$2" "$INFRA" "$3" "$4"
}
svc() { # NAME
	printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec: {clusterIP: 127.0.0.1, ports: [{name: tls, port: 443, targetPort: %s}]}\n' \
		"$1" "$INFRA" "${PORT[$1]}"
}
X1=gw-tlsroute-exact-hostname-x-1 X2=gw-tlsroute-more-specific-wc-hostname-x-2
X3=gw-tlsroute-less-specific-wc-hostname-x-3 X4=gw-tlsroute-empty-hostname-x-4
{
	svc tls-backend
	svc tls-backend-2
	gw $X1 listener-exact-hostname 9443 abc.example.com
	gw $X2 listener-more-specific-wc-hostname 9444 '*.example.com'
	gw $X3 listener-less-specific-wc-hostname 9445 '*.com'
	gw $X4 listener-empty-hostname 9446
	rt tlsroute-more-specific-wc-hostname-x-1 $X1 '*.example.com' tls-backend
	rt tlsroute-exact-hostname-x-2 $X2 abc.example.com tls-backend
	rt tlsroute-less-specific-wc-hostname-x-2 $X2 '*.com' tls-backend-2
	rt tlsroute-exact-hostname-x-3 $X3 abc.example.com tls-backend
	rt tlsroute-more-specific-wc-hostname-x-3 $X3 '*.example.com' tls-backend-2
	rt tlsroute-exact-hostname-x-4 $X4 abc.example.com tls-backend
	rt tlsroute-less-specific-wc-hostname-x-4 $X4 '*.com' tls-backend-2
} | apply
APPLY_RC=$?
# through ROUTES GW PORT SNI BACKEND: the routes accepted and resolved, and
# an HTTPS request for SNI answered by BACKEND's echo.
through() {
	local r pod
	applied || return 1
	for r in ${1//,/ }; do
		parent TLSRoute "$INFRA/$r" "$INFRA/$2" Accepted True '*' &&
			parent TLSRoute "$INFRA/$r" "$INFRA/$2" ResolvedRefs True '*' || return 1
	done
	pod=$(curl -s --max-time 10 --cacert "$WORK/ca.crt" --resolve "$4:$3:127.0.0.1" \
		"https://$4:$3/" | jq -r .pod)
	[ "$pod" = "$5" ] || { echo "https://$4:$3/ answered by '$pod', want $5"; return 1; }
}
S1="TLSRoutes intersect with exact listener hostname"
tcase "$S1/TLS request matching exact hostnames intersection should reach backend" \
	through tlsroute-more-specific-wc-hostname-x-1 $X1 9443 abc.example.com tls-backend
tcase "$S1/TLS request not matching hostnames intersection should not reach backend" \
	tls_rejected 9443 non.matching.com
sub() { # SUBTEST ROUTES GW PORT [REFUSED-HOW]
	tcase "$1/TLS request matching exact hostnames intersection should reach backend" \
		through "$2" "$3" "$4" abc.example.com tls-backend
	tcase "$1/TLS request matching wildcard hostnames intersection should reach backend 2" \
		through "$2" "$3" "$4" other.example.com tls-backend-2
	tcase "$1/TLS request not matching hostnames intersection should not reach backend" \
		"${5:-tls_rejected}" "$4" non.matching.com
}
sub "TLSRoutes intersect with more specific wildcard listener hostname" \
	tlsroute-exact-hostname-x-2,tlsroute-less-specific-wc-hostname-x-2 $X2 9444
sub "TLSRoutes intersect with less specific wildcard listener hostname" \
	tlsroute-exact-hostname-x-3,tlsroute-more-specific-wc-hostname-x-3 $X3 9445
# The empty hostname leaves the routes' own: *.com, a suffix match (as
# *.example.com matches foo.bar.example.com), covers non.matching.com,
# which goes through to tls-backend-2, whose certificate does not name it.
# The suite's client verifies the name and is refused there; so is
# tls_unverified, where the others' SNI meets no handshake at all.
sub "TLSRoutes intersect with empty listener hostname" \
	tlsroute-exact-hostname-x-4,tlsroute-less-specific-wc-hostname-x-4 $X4 9446 tls_unverified
