# listenerset-allowed-namespace-selector.go: allowedListeners from
# Selector takes the ListenerSets of the namespaces its selector matches.
S=gateway-api-listenerset-selector-allowed-ns
N=gateway-api-listenerset-selector-not-allowed-ns
{
	gw_head gateway-allows-listenerset-in-selected-namespace
	http_listener gateway-listener 9080 gateway-listener.com All
	echo '  allowedListeners: {namespaces: {from: Selector, selector: {matchLabels: {allowed: ns}}}}'
	namespace $S '{allowed: ns}'
	ls_head listenerset-in-selected-namespace $S gateway-allows-listenerset-in-selected-namespace
	http_listener listenerset-in-selected-namespace-listener 9080 \
		listenerset-in-selected-namespace-listener.com All
	namespace $N
	ls_head listenerset-not-in-selected-namespace $N \
		gateway-allows-listenerset-in-selected-namespace
	http_listener listenerset-not-in-selected-namespace-listener 9080 \
		listenerset-not-in-selected-namespace-listener.com All
} | apply
APPLY_RC=$?
G=$INFRA/gateway-allows-listenerset-in-selected-namespace
L=$S/listenerset-in-selected-namespace
X=$N/listenerset-not-in-selected-namespace
tcase "the ListenerSet in a selected namespace is accepted" \
	ls_taken $G 1 $L listenerset-in-selected-namespace-listener
tcase "the ListenerSet in a namespace not selected is not allowed" ls_not_allowed $X
