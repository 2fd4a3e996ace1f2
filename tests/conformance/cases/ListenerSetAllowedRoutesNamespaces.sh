# listenerset-allowed-routes-namespaces.go: a ListenerSet listener's
# allowedRoutes (All, Same, Selector) decides which namespaces' routes
# attach to it; Same means the ListenerSet's namespace, not the Gateway's.
GW=gateway-with-listener-sets-test-allowed-routes
LS=listenerset-test-allowed-routes-namespaces
XLS=listenerset-test-allowed-routes-cross-ns
A=gateway-api-routes-allowed-ns
N=gateway-api-routes-not-allowed-ns
X=gateway-api-ls-cross-ns
{
	gw_head $GW
	http_listener gateway-listener 9080 gateway-listener.com All
	allow_listeners All
	ls_head $LS $INFRA $GW
	http_listener listener-set-listener-allowed-routes-all 9080 \
		listener-set-listener-allowed-routes-all.com All
	http_listener listener-set-listener-allowed-routes-same 9080 \
		listener-set-listener-allowed-routes-same.com Same
	cat <<YAML
  - name: listener-set-listener-allowed-routes-selector
    port: 9080
    protocol: HTTP
    hostname: listener-set-listener-allowed-routes-selector.com
    allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {allowed: ns}}}}
YAML
	prefix_route route-in-same-namespace $INFRA "[$(lsref $LS)]" /route-in-same-namespace \
		infra-backend-v1
	namespace $A '{allowed: ns}'
	prefix_route route-in-selected-namespace $A "[$(lsref $LS)]" \
		/route-in-selected-namespace infra-backend-v2
	namespace $N
	prefix_route route-not-in-selected-namespace $N "[$(lsref $LS)]" \
		/route-not-in-selected-namespace infra-backend-v3
	namespace $X
	ls_head $XLS $X $GW
	http_listener listener-set-listener-allowed-routes-cross-ns-same 9080 \
		listener-set-listener-allowed-routes-cross-ns-same.com Same
	prefix_route route-in-listenerset-namespace $X "[$(lsref $XLS $X)]" \
		/route-in-listenerset-namespace infra-backend-v1
	prefix_route route-in-gateway-namespace $INFRA "[$(lsref $XLS $X)]" \
		/route-in-gateway-namespace infra-backend-v2
	cat <<YAML
---
kind: ReferenceGrant
apiVersion: gateway.networking.k8s.io/v1
metadata: {name: listenerset-test-allowed-routes-namespaces-reference-grant, namespace: $INFRA}
spec:
  from:
  - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: $A}
  - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: $N}
  - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: $X}
  to: [{group: "", kind: Service}]
YAML
} | apply
APPLY_RC=$?
gateway() {
	applied && gw_cond $INFRA/$GW Accepted True '*' && attached_sets $INFRA/$GW 2
}
same_ns() {
	applied && routes_accepted ListenerSet $INFRA/$LS $INFRA/route-in-same-namespace \
		$A/route-in-selected-namespace $N/route-not-in-selected-namespace &&
		ls_listeners $INFRA/$LS listener-set-listener-allowed-routes-all=3 \
			listener-set-listener-allowed-routes-same=1 \
			listener-set-listener-allowed-routes-selector=1
}
cross_ns() {
	applied && routes_accepted ListenerSet $X/$XLS $X/route-in-listenerset-namespace &&
		parent HTTPRoute $INFRA/route-in-gateway-namespace $X/$XLS Accepted False \
			NotAllowedByListeners &&
		ls_listeners $X/$XLS listener-set-listener-allowed-routes-cross-ns-same=1
}
tcase "the Gateway is accepted with 2 ListenerSets" gateway
S="Same-namespace ListenerSet"
tcase "$S" same_ns
i=0
for c in "all /route-in-same-namespace 200 infra-backend-v1" \
	"all /route-in-selected-namespace 200 infra-backend-v2" \
	"all /route-not-in-selected-namespace 200 infra-backend-v3" \
	"same /route-in-same-namespace 200 infra-backend-v1" \
	"same /route-in-selected-namespace 404" "same /route-not-in-selected-namespace 404" \
	"selector /route-in-same-namespace 404" \
	"selector /route-in-selected-namespace 200 infra-backend-v2" \
	"selector /route-not-in-selected-namespace 404"; do
	read -r l p code be <<<"$c"
	h=listener-set-listener-allowed-routes-$l.com
	if [ -n "${be:-}" ]; then
		tcase "$S/$i request to '$h$p' should go to $be" http 9080 "$h" "$p" 200 "$be"
	else
		tcase "$S/$i request to '$h$p' should receive one of []" http 9080 "$h" "$p" "$code"
	fi
	i=$((i + 1))
done
S="Cross-namespace ListenerSet"
tcase "$S" cross_ns
h=listener-set-listener-allowed-routes-cross-ns-same.com
tcase "$S/0 request to '$h/route-in-listenerset-namespace' should go to infra-backend-v1" \
	http 9080 $h /route-in-listenerset-namespace 200 infra-backend-v1
tcase "$S/1 request to '$h/route-in-gateway-namespace' should receive one of []" \
	http 9080 $h /route-in-gateway-namespace 404
