# listenerset-gateway-parent-section-name-not-found.go: a Gateway
# parentRef cannot name a listener of the Gateway's ListenerSet.
GW=gateway-section-name
LS=listenerset-section-name
{
	gw_head $GW
	http_listener gw-listener 9080 gw-section.com Same
	allow_listeners Same
	ls_head $LS $INFRA $GW
	http_listener ls-only-listener 9080 ls-section-name.com Same
	prefix_route route-via-listenerset $INFRA "[$(lsref $LS $INFRA ls-only-listener)]" \
		/goodsection infra-backend-v1
	prefix_route route-via-gateway $INFRA "[$(gwref $GW ls-only-listener)]" /badsection \
		infra-backend-v2
} | apply
APPLY_RC=$?
status() {
	applied && gw_cond $INFRA/$GW Accepted True '*' && attached_sets $INFRA/$GW 1 &&
		routes_accepted ListenerSet $INFRA/$LS $INFRA/route-via-listenerset &&
		parent HTTPRoute $INFRA/route-via-gateway $INFRA/$GW Accepted False NoMatchingParent
}
tcase "the ListenerSet's sectionName is found through the ListenerSet only" status
tcase "a request through the ListenerSet's listener reaches infra-backend-v1" \
	http 9080 ls-section-name.com /goodsection 200 infra-backend-v1
tcase "a request to the Gateway's listener for the other route gets 404" \
	http 9080 gw-section.com /badsection 404
