# httproute-listener-port-matching.go: routes attached by parentRef port
# (and one by port and sectionName) to a Gateway whose listeners on three
# ports name foo.com or bar.com: a request is routed by the listener of
# the port it came to. The ports 80, 8080 and 8090 are 10080, 18080 and
# 18090 here (same-namespace holds 8080); the Host header keeps the
# suite's port, which hostname matching ignores.
GW=httproute-listener-port-matching
l() { printf '  - {name: listener-%s, port: %s, protocol: HTTP, hostname: %s, allowedRoutes: {namespaces: {from: Same}}}\n' "$@"; }
r() { # NAME PORT BACKEND [SECTION]
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs: [{name: %s, namespace: %s, port: %s%s}]\n  rules:\n  - backendRefs: [{name: %s, port: 8080}]\n' \
		"$1" "$INFRA" "$GW" "$INFRA" "$2" "${4:+, sectionName: $4}" "$3"
}
{
	gw_head $GW
	l 1 10080 foo.com
	l 2 18080 foo.com
	l 3 18080 bar.com
	l 4 18090 foo.com
	l 5 18090 bar.com
	r backend-v1 10080 infra-backend-v1
	r backend-v2 18080 infra-backend-v2
	r backend-v3 18090 infra-backend-v3 listener-4
} | apply
APPLY_RC=$?
R=$INFRA/backend-v1,$INFRA/backend-v2,$INFRA/backend-v3@$INFRA/$GW
mcase 0 $R / infra-backend-v1 port=10080 host=foo.com
mcase 1 $R / infra-backend-v2 port=18080 host=foo.com:8080
mcase 2 $R / infra-backend-v2 port=18080 host=bar.com:8080
mcase 3 $R / infra-backend-v3 port=18090 host=foo.com:8090
mcase 4 $R / 404 port=18090 host=bar.com:8090
