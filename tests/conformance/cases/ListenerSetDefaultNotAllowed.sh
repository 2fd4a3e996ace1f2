# listenerset-default-not-allowed.go: a Gateway without allowedListeners
# takes no ListenerSet (the default is from None).
{
	gw_head gateway-default-does-not-allow-listenerset
	http_listener gateway-listener 9080 gateway-listener.com All
	ls_head listenerset-default-not-allowed $INFRA gateway-default-does-not-allow-listenerset
	http_listener listenerset-default-not-allowed-listener 9080 \
		listenerset-default-not-allowed-listener.com All
} | apply
APPLY_RC=$?
G=$INFRA/gateway-default-does-not-allow-listenerset
L=$INFRA/listenerset-default-not-allowed
refused() { applied && gw_cond $G Accepted True '*' && attached_sets $G 0 && ls_not_allowed $L; }
tcase "the Gateway is accepted and takes no ListenerSet" refused
