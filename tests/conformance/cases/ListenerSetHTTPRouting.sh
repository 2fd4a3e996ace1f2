# listenerset-http-routing.go: routes attach to the Gateway's listeners or
# to a ListenerSet's (all of them, or the one a sectionName names), and
# requests reach a route only through the listeners it is attached to.
GW=gateway-with-listener-sets-http-routing
L1=listener-set-http-routing-1
L2=listener-set-http-routing-2
{
	gw_head $GW
	http_listener gateway-listener-1 9080 gateway-listener-1.com All
	http_listener gateway-listener-2 9080 gateway-listener-2.com All
	allow_listeners All
	for l in $L1 $L2; do
		ls_head $l $INFRA $GW
		http_listener $l-listener-1 9080 $l-listener-1.com All
		http_listener $l-listener-2 9080 $l-listener-2.com All
	done
	prefix_route attaches-to-all-listeners $INFRA "[$(gwref $GW), $(lsref $L1), $(lsref $L2)]" \
		/route infra-backend-v1
	prefix_route gateway-route $INFRA "[$(gwref $GW)]" /gateway-route infra-backend-v2
	prefix_route gateway-section-route $INFRA "[$(gwref $GW gateway-listener-1)]" \
		/gateway-section-route infra-backend-v3
	prefix_route $L1-route $INFRA "[$(lsref $L1)]" /$L1-route infra-backend-v2
	prefix_route $L1-section-route $INFRA "[$(lsref $L1 $INFRA $L1-listener-1)]" \
		/$L1-section-route infra-backend-v3
	prefix_route $L2-route $INFRA "[$(lsref $L2)]" /$L2-route infra-backend-v2
} | apply
APPLY_RC=$?
status() {
	local i=$INFRA
	applied && routes_accepted Gateway $i/$GW $i/attaches-to-all-listeners $i/gateway-route \
		$i/gateway-section-route && attached_sets $i/$GW 2 &&
		routes_accepted ListenerSet $i/$L1 $i/attaches-to-all-listeners $i/$L1-route \
			$i/$L1-section-route &&
		ls_listeners $i/$L1 $L1-listener-1=3 $L1-listener-2=2 &&
		routes_accepted ListenerSet $i/$L2 $i/attaches-to-all-listeners $i/$L2-route &&
		ls_listeners $i/$L2 $L2-listener-1=2 $L2-listener-2=2
}
tcase "the routes are accepted by the Gateway and the ListenerSets" status
# The upstream table: each path through each of the six listeners, the
# backend that answers or "-" for 404.
HOSTS=(gateway-listener-1 gateway-listener-2 "$L1-listener-1" "$L1-listener-2" "$L2-listener-1"
	"$L2-listener-2")
i=0
for c in "/route v1 v1 v1 v1 v1 v1" "/gateway-route v2 v2 - - - -" \
	"/gateway-section-route v3 - - - - -" "/$L1-route - - v2 v2 - -" \
	"/$L1-section-route - - v3 - - -" "/$L2-route - - - - v2 v2"; do
	read -r p want <<<"$c"
	k=0
	for be in $want; do
		h=${HOSTS[$k]}.com
		if [ "$be" = - ]; then
			tcase "$i request to '$h$p' should receive one of []" http 9080 "$h" "$p" 404
		else
			tcase "$i request to '$h$p' should go to infra-backend-$be" \
				http 9080 "$h" "$p" 200 "infra-backend-$be"
		fi
		i=$((i + 1))
		k=$((k + 1))
	done
done
