# listenerset-protocol-conflict.go: a ListenerSet listener on a port of
# another protocol (TCP where the Gateway's listeners are HTTP) is
# Conflicted ProtocolConflict, neither accepted nor programmed; a
# ListenerSet left with no valid listener is ListenersNotValid, one with
# another is not.
tcp_listener() { printf '  - {name: %s, port: 9080, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}\n' "$1"; }
GW=gateway-with-listenerset-protocol-conflict
C1=protocol-conflict-with-gateway-listener
C2=protocol-conflict-with-listener-set-listener
{
	gw_head $GW
	http_listener gateway-listener 9080 gateway-listener.com All
	http_listener $C1 9080 $C1.com All
	allow_listeners Same
	ls_head listenerset-with-protocol-conflict-with-gateway-1 $INFRA $GW
	http_listener listener-set-1-listener 9080 listener-set-1-listener.com All
	tcp_listener $C1
	http_listener $C2 9080 $C2.com All
	ls_head listenerset-with-protocol-conflict-with-gateway-2 $INFRA $GW
	tcp_listener $C1
	ls_head listenerset-with-protocol-conflict-with-listener-set-1 $INFRA $GW
	http_listener listener-set-2-listener 9080 listener-set-2-listener.com All
	tcp_listener $C2
	ls_head listenerset-with-protocol-conflict-with-listener-set-2 $INFRA $GW
	tcp_listener $C2
} | apply
APPLY_RC=$?
conflict_cases protocol ProtocolConflict $GW $C1 $C2
