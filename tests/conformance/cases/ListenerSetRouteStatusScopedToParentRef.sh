# listenerset-route-status-scoped-to-parentref.go: a route's
# status.parents has an entry for each parentRef it declares and no other:
# one on the Gateway shows the Gateway only, one on its ListenerSet the
# ListenerSet only.
GW=gateway-parentref
LS=listenerset-parentref
{
	gw_head $GW
	http_listener gw-parentref-listener 9080 gw-parentref.com Same
	allow_listeners Same
	ls_head $LS $INFRA $GW
	http_listener listenerset-parentref-listener 9080 listenerset-parentref.com Same
	prefix_route route-parentref-gwonly $INFRA "[$(gwref $GW)]" /gwonly infra-backend-v1
	prefix_route route-parentref-lsonly $INFRA "[$(lsref $LS)]" /lsonly infra-backend-v2
} | apply
APPLY_RC=$?
# only_parent NS/ROUTE KIND NAME: the route's one parent is the infra KIND NAME.
only_parent() {
	local j
	j=$(res httproute "$1") || { echo "no HTTPRoute $1"; return 1; }
	jq -e --arg k "$2" --arg n "$3" --arg ns "$INFRA" '.status.parents | length == 1 and
		(.[0].parentRef | .group == "gateway.networking.k8s.io" and .kind == $k and
		.name == $n and .namespace == $ns)' <<<"$j" >/dev/null ||
		{ echo "HTTPRoute $1 parents: $(jq -c '[.status.parents[].parentRef]' <<<"$j")"; return 1; }
}
setup() {
	applied && gw_cond $INFRA/$GW Accepted True '*' && attached_sets $INFRA/$GW 1 &&
		ls_listeners $INFRA/$LS listenerset-parentref-listener=1
}
gw_only() {
	applied && parent HTTPRoute $INFRA/route-parentref-gwonly $INFRA/$GW Accepted True '*' &&
		only_parent $INFRA/route-parentref-gwonly Gateway $GW
}
ls_only() {
	applied && routes_accepted ListenerSet $INFRA/$LS $INFRA/route-parentref-lsonly &&
		only_parent $INFRA/route-parentref-lsonly ListenerSet $LS
}
tcase "the ListenerSet's listener has the one route attached" setup
tcase "Gateway-only parentRef" gw_only
tcase "ListenerSet-only parentRef" ls_only
