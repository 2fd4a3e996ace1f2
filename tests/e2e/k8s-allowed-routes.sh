# allowedRoutes on Gateway listeners: namespaces.from Same (the default) takes routes of the Gateway's namespace only, All takes every namespace, Selector takes the namespaces whose Namespace labels match (and follows label changes without a restart); allowedRoutes.kinds limits the route kinds, and a kind the listener cannot serve shows ResolvedRefs False/InvalidRouteKinds. A refused parent leaves the route unattached (404 there, Accepted False/NotAllowedByListeners in `splicegate get`) while its other parents carry traffic.
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
P_ALL=$(free_port)
P_SEL=$(free_port)
P_KIND=$(free_port)
svc() {
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: $1}
spec: {clusterIP: 127.0.0.1, ports: [{name: http, port: $B}]}
YAML
}
{
	cat <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: splicegate
  listeners:
  - {name: same, port: 8080, protocol: HTTP}
  - {name: all, port: $P_ALL, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - name: sel
    port: $P_SEL
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Selector
        selector: {matchLabels: {expose: "yes"}}
  - name: kind
    port: $P_KIND
    protocol: HTTP
    allowedRoutes: {namespaces: {from: All}, kinds: [{kind: TCPRoute}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: web}
spec:
  parentRefs:
  - {name: gw, namespace: infra, sectionName: same}
  - {name: gw, namespace: infra, sectionName: all}
  - {name: gw, namespace: infra, sectionName: sel}
  - {name: gw, namespace: infra, sectionName: kind}
  rules:
  - matches: [{path: {type: PathPrefix, value: /web}}]
    backendRefs: [{name: echo, port: $B}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r2, namespace: infra}
spec:
  parentRefs: [{name: gw, sectionName: same}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /infra}}]
    backendRefs: [{name: echo, port: $B}]
YAML
	svc web
	svc infra
} >"$WORK/gw.yaml"

# accepted: "section status reason" of each parent of web/r.
accepted() {
	"$SG_BIN" get httproute r -n web -o json | jq -r '[.status.parents[] |
		.parentRef.sectionName + " " + (.conditions[] | select(.type == "Accepted") |
		"\(.status) \(.reason)")] | join(", ")'
}
code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1$2"
}
ns_web() {
	cat <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {expose: "$1"}}
YAML
}

start_engine copy -p 8080 -p "$P_ALL" -p "$P_SEL" -p "$P_KIND" -c "$WORK/gw.yaml" ||
	{ fail "gateway did not start"; finish; }
check "Same: a route of the Gateway's namespace is served" "$(code 8080 /infra)" 200
hcall http://127.0.0.1:8080/web
expect "Same: a route of another namespace is not attached" 404 "route not found"
check "All: the route of another namespace is served" "$(code "$P_ALL" /web)" 200
check "Selector without a matching Namespace: not attached" "$(code "$P_SEL" /web)" 404
check "kinds [TCPRoute] on an HTTP listener: the HTTPRoute is not attached" \
	"$(code "$P_KIND" /web)" 404
check "get: each parent's Accepted condition" "$(accepted)" \
	"same False NotAllowedByListeners, all True Accepted, sel False NotAllowedByListeners, kind False NotAllowedByListeners"
check "get gateway: listener kind ResolvedRefs False InvalidRouteKinds, no supported kinds" \
	"$("$SG_BIN" get gateway gw -n infra -o json | jq -c '.status.listeners[] | select(.name == "kind") |
		[.supportedKinds, (.conditions[] | select(.type == "ResolvedRefs") | .status, .reason)]')" \
	'[[],"False","InvalidRouteKinds"]'
check "get gateway: attachedRoutes per listener" \
	"$("$SG_BIN" get gateway gw -n infra -o json | jq -c '[.status.listeners[] | .attachedRoutes]')" \
	'[1,1,0,0]'

ns_web yes | "$SG_BIN" apply -f- >/dev/null
check "Selector: once Namespace web has the label, the route is served" \
	"$(code "$P_SEL" /web)" 200
check "get: sel parent now Accepted" "$(accepted)" \
	"same False NotAllowedByListeners, all True Accepted, sel True Accepted, kind False NotAllowedByListeners"
ns_web no | "$SG_BIN" apply -f- >/dev/null
check "Selector: label changed, the route is detached again" "$(code "$P_SEL" /web)" 404
check "Same still refuses web after all that" "$(code 8080 /web)" 404
stop_gateway
san_check
finish
