# tcproute-parentref-port-and-section-name.go: three TCPRoutes attached to
# one listener each of a three-listener Gateway, by parentRef port, by
# sectionName and by both: each Accepted, each listener reaching its own
# route's echo.
GW=tcp-multi-listener-gateway
for n in one two three; do tcp_echo_backend tcp-echo-$n; done
route() { # NAME PARENTREF-EXTRA BACKEND
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs: [{name: %s, %s}]\n  rules: [{backendRefs: [{name: %s, port: 3000}]}]\n' \
		"$1" "$INFRA" "$GW" "$2" "$3"
}
{
	for n in one two three; do tcp_echo_svc tcp-echo-$n; done
	gw_head $GW
	for l in one:9300 two:9301 three:9302; do
		printf '  - {name: %s, protocol: TCP, port: %s, allowedRoutes: {kinds: [{kind: TCPRoute}]}}\n' "${l%:*}" "${l#*:}"
	done
	route tcp-route-by-port 'port: 9300' tcp-echo-one
	route tcp-route-by-section 'sectionName: two' tcp-echo-two
	route tcp-route-by-section-and-port 'sectionName: three, port: 9302' tcp-echo-three
} | apply
APPLY_RC=$?
by() { # ROUTE PORT BACKEND
	applied && parent TCPRoute "$INFRA/$1" "$INFRA/$GW" Accepted True Accepted &&
		tcp_echo "$2" "" false "$3"
}
tcase "TCPRoute attaches to a TCP listener by port" by tcp-route-by-port 9300 tcp-echo-one
tcase "TCPRoute attaches to a TCP listener by sectionName" by tcp-route-by-section 9301 tcp-echo-two
tcase "TCPRoute attaches to a TCP listener by sectionName and port" by tcp-route-by-section-and-port 9302 tcp-echo-three
