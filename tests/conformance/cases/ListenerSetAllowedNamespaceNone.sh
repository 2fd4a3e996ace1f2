# listenerset-allowed-namespace-none.go: a Gateway whose allowedListeners
# says from None takes no ListenerSet: the ListenerSet is Accepted and
# Programmed False NotAllowed, the Gateway counts none.
{
	gw_head gateway-does-not-allow-listenerset
	http_listener gateway-listener 9080 gateway-listener.com All
	allow_listeners None
	ls_head listenerset-not-allowed $INFRA gateway-does-not-allow-listenerset
	http_listener listener-set-listener 9080 listener-set-listener.com All
} | apply
APPLY_RC=$?
G=$INFRA/gateway-does-not-allow-listenerset
L=$INFRA/listenerset-not-allowed
refused() { applied && gw_cond $G Accepted True '*' && attached_sets $G 0 && ls_not_allowed $L; }
tcase "the Gateway is accepted and takes no ListenerSet" refused
