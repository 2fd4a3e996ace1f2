# tcproute-multiple-routes-attachment.go: two TCPRoutes on one TCP listener
# are both Accepted and both counted, but only the older one is bound: 100
# connections all reach its echo, none the newer route's.
tcp_echo_backend tcp-attach-backend-1
tcp_echo_backend tcp-attach-backend-2
GW=tcp-multi-route-attach-gateway
route() { # NAME BACKEND
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs: [{name: %s, sectionName: tcp}]\n  rules: [{backendRefs: [{name: %s, port: 3000}]}]\n' \
		"$1" "$INFRA" "$GW" "$2"
}
{
	tcp_echo_svc tcp-attach-backend-1
	tcp_echo_svc tcp-attach-backend-2
	gw_head $GW
	printf '  - {name: tcp, protocol: TCP, port: 9310, allowedRoutes: {kinds: [{kind: TCPRoute, group: gateway.networking.k8s.io}], namespaces: {from: Same}}}\n'
	route tcproute-attach-older tcp-attach-backend-1
} | apply
APPLY_RC=$?
# The suite waits for the older route, then a second, so that the newer
# one's creationTimestamp is later.
parent TCPRoute $INFRA/tcproute-attach-older $INFRA/$GW Accepted True Accepted >/dev/null
sleep 1
route tcproute-attach-newer tcp-attach-backend-2 | apply || APPLY_RC=$?
both() {
	applied && parent TCPRoute $INFRA/tcproute-attach-older $INFRA/$GW Accepted True Accepted &&
		parent TCPRoute $INFRA/tcproute-attach-newer $INFRA/$GW Accepted True Accepted
}
counted() {
	applied && listener $INFRA/$GW tcp Accepted True Accepted TCPRoute && attached $INFRA/$GW tcp 2
}
older() {
	local pods bad
	applied && tcp_echo 9310 "" false tcp-attach-backend-1 || return 1
	pods=$(timeout 120 /usr/bin/python3 "$HERE/tcp_client.py" --port 9310 --send-once 100)
	bad=$(grep -vc '^tcp-attach-backend-1$' <<<"$pods")
	[ "$(grep -c . <<<"$pods")" = 100 ] && [ "$bad" = 0 ] ||
		{ echo "of 100 connections, $bad not answered by tcp-attach-backend-1: $(sort <<<"$pods" | uniq -c | tr '\n' ' ')"; return 1; }
}
tcase "Both TCPRoutes should be Accepted by the Gateway" both
tcase "Gateway listener should report 2 attached Routes" counted
tcase "Only the oldest TCPRoute should receive traffic" older
