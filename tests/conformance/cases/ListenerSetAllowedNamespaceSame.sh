# listenerset-allowed-namespace-same.go: allowedListeners from Same takes
# the ListenerSet of the Gateway's namespace, not one of another.
{
	gw_head gateway-allows-listenerset-in-same-namespace
	http_listener gateway-listener 9080 gateway-listener.com All
	allow_listeners Same
	ls_head listenerset-in-same-namespace $INFRA gateway-allows-listenerset-in-same-namespace
	http_listener listenerset-in-same-namespace-listener 9080 \
		listenerset-in-same-namespace-listener.com All
	namespace gateway-api-listenerset-not-allowed-ns
	ls_head listenerset-in-different-namespace gateway-api-listenerset-not-allowed-ns \
		gateway-allows-listenerset-in-same-namespace
	http_listener listenerset-in-different-namespace-listener 9080 \
		listenerset-in-different-namespace-listener All
} | apply
APPLY_RC=$?
G=$INFRA/gateway-allows-listenerset-in-same-namespace
L=$INFRA/listenerset-in-same-namespace
X=gateway-api-listenerset-not-allowed-ns/listenerset-in-different-namespace
tcase "the ListenerSet in the Gateway's namespace is accepted" \
	ls_taken $G 1 $L listenerset-in-same-namespace-listener
tcase "the ListenerSet in another namespace is not allowed" ls_not_allowed $X
