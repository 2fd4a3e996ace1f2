# gateway-with-attached-routes.go: a listener's attachedRoutes counts the
# routes attached to it: 1, then 2 (a third route whose hostname the
# listener's does not admit is Accepted False NoMatchingListenerHostname
# and not counted), and 1 on a listener whose certificate does not
# resolve (not programmed) with a route whose backend does not either.
# Ports 80, 80 and 443 upstream (a Gateway an address); 10080, 10081 and
# 10443 here.
sel='{namespaces: {from: Selector, selector: {matchLabels: {kubernetes.io/metadata.name: '$INFRA'}}}, kinds: [{kind: HTTPRoute}]}'
rt() { # NAME GATEWAY [SECTION] [BACKEND] [HOSTNAME]
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n' "$1" "$INFRA"
	[ -n "${5:-}" ] && printf '  hostnames: ["%s"]\n' "$5"
	printf '  parentRefs: [{kind: Gateway, name: %s, namespace: %s%s}]\n  rules:\n  - backendRefs: [{name: %s, port: 8080}]\n' \
		"$2" "$INFRA" "${3:+, sectionName: $3}" "${4:-infra-backend-v1}"
}
ONE=gateway-with-one-attached-route
TWO=gateway-with-two-attached-routes
BAD=unresolved-gateway-with-one-attached-unresolved-route
{
	gw_head $ONE
	printf '  - {name: http, port: 10080, protocol: HTTP, allowedRoutes: %s}\n' "$sel"
	rt http-route-1 $ONE
	gw_head $TWO
	printf '  - {name: http, port: 10081, protocol: HTTP, hostname: foo.example.com, allowedRoutes: %s}\n' "$sel"
	rt http-route-2 $TWO
	rt http-route-3 $TWO
	rt http-route-not-accepted $TWO '' '' not-accepted.test.com
	gw_head $BAD
	printf '  - name: tls\n    port: 10443\n    protocol: HTTPS\n    allowedRoutes: %s\n' "$sel"
	printf '    tls: {mode: Terminate, certificateRefs: [{group: "", kind: Secret, name: does-not-exist}]}\n'
	rt http-route-4 $BAD tls does-not-exist
} | apply
APPLY_RC=$?
one() {
	applied && listeners_count $INFRA/$ONE 1 &&
		listener $INFRA/$ONE http Accepted True '*' HTTPRoute &&
		listener $INFRA/$ONE http ResolvedRefs True '*' && attached $INFRA/$ONE http 1
}
two() {
	applied && listeners_count $INFRA/$TWO 1 &&
		listener $INFRA/$TWO http Accepted True '*' HTTPRoute &&
		listener $INFRA/$TWO http ResolvedRefs True '*' && attached $INFRA/$TWO http 2 &&
		parent HTTPRoute $INFRA/http-route-not-accepted $INFRA/$TWO Accepted False NoMatchingListenerHostname
}
unresolved() {
	applied && listeners_count $INFRA/$BAD 1 &&
		listener $INFRA/$BAD tls Programmed False '*' HTTPRoute &&
		listener $INFRA/$BAD tls ResolvedRefs False '*' && attached $INFRA/$BAD tls 1 &&
		parent HTTPRoute $INFRA/http-route-4 $INFRA/$BAD ResolvedRefs False '*'
}
tcase "Gateway listener should have one valid http routes attached" one
tcase "Gateway listener should have two valid http routes attached" two
tcase "Gateway listener should have AttachedRoutes set even when Gateway has unresolved refs" unresolved
