# listenerset-hostname-conflict.go: a ListenerSet listener with the port
# and hostname of one before it in precedence (the Gateway's, then the
# ListenerSets' by age, then by namespace/name) is Conflicted
# HostnameConflict, neither accepted nor programmed; a ListenerSet left
# with no valid listener is ListenersNotValid, one with another is not.
GW=gateway-with-listenerset-hostname-conflict
C1=hostname-conflict-with-gateway-listener
C2=hostname-conflict-with-listener-set-listener
{
	gw_head $GW
	http_listener gateway-listener 9080 gateway-listener.com All
	http_listener $C1 9080 $C1.com All
	allow_listeners Same
	ls_head listenerset-with-hostname-conflict-with-gateway-1 $INFRA $GW
	http_listener listener-set-1-listener 9080 listener-set-1-listener.com All
	http_listener $C1 9080 $C1.com All
	http_listener $C2 9080 $C2.com All
	ls_head listenerset-with-hostname-conflict-with-gateway-2 $INFRA $GW
	http_listener $C1 9080 $C1.com All
	ls_head listenerset-with-hostname-conflict-with-listener-set-1 $INFRA $GW
	http_listener listener-set-2-listener 9080 listener-set-2-listener.com All
	http_listener $C2 9080 $C2.com All
	ls_head listenerset-with-hostname-conflict-with-listener-set-2 $INFRA $GW
	http_listener $C2 9080 $C2.com All
} | apply
APPLY_RC=$?
conflict_cases hostname HostnameConflict $GW $C1 $C2
