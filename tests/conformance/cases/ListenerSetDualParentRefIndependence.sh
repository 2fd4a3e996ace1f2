# listenerset-dual-parentref-independence.go: a route naming both a
# Gateway and its ListenerSet is judged for each on its own: a sectionName
# that only the ListenerSet has leaves the Gateway parent NoMatchingParent
# and the route off the Gateway's listener.
GW=gateway-dual-parentref
LS=ls-dual-parentref
{
	gw_head $GW
	http_listener gw-dual-parentref-listener 9080 gw-dual.com Same
	allow_listeners Same
	ls_head $LS $INFRA $GW
	http_listener ls-dual-parentref-listener 9080 ls-dual.com Same
	prefix_route route-dual-parentref-both $INFRA "[$(gwref $GW), $(lsref $LS)]" /dualboth \
		infra-backend-v1
	prefix_route route-dual-parentref-one $INFRA \
		"[$(gwref $GW ls-dual-parentref-listener), $(lsref $LS $INFRA ls-dual-parentref-listener)]" \
		/dualone infra-backend-v2
} | apply
APPLY_RC=$?
setup() {
	applied && gw_cond $INFRA/$GW Accepted True '*' && attached_sets $INFRA/$GW 1 &&
		ls_listeners $INFRA/$LS ls-dual-parentref-listener=2
}
both() {
	applied && parent HTTPRoute $INFRA/route-dual-parentref-both $INFRA/$GW Accepted True '*' &&
		parent HTTPRoute $INFRA/route-dual-parentref-both $INFRA/$LS Accepted True '*'
}
one() {
	applied && parent HTTPRoute $INFRA/route-dual-parentref-one $INFRA/$GW Accepted False \
		NoMatchingParent &&
		parent HTTPRoute $INFRA/route-dual-parentref-one $INFRA/$LS Accepted True '*' &&
		routes_accepted ListenerSet $INFRA/$LS $INFRA/route-dual-parentref-one
}
tcase "the Gateway takes the ListenerSet, whose listener has both routes" setup
A="Both parentRefs are Accepted"
tcase "$A" both
tcase "$A/0 request to 'gw-dual.com/dualboth' should go to infra-backend-v1" \
	http 9080 gw-dual.com /dualboth 200 infra-backend-v1
tcase "$A/1 request to 'ls-dual.com/dualboth' should go to infra-backend-v1" \
	http 9080 ls-dual.com /dualboth 200 infra-backend-v1
B="One of two parentRefs is Accepted"
tcase "$B" one
tcase "$B/0 request to 'ls-dual.com/dualone' should go to infra-backend-v2" \
	http 9080 ls-dual.com /dualone 200 infra-backend-v2
tcase "$B/1 request to 'gw-dual.com/dualone' should receive one of []" \
	http 9080 gw-dual.com /dualone 404
