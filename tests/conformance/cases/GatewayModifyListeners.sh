# gateway-modify-listeners.go: a listener added to a Gateway (a patch of
# its spec) shows in its status with its routes attached, and one removed
# is gone from it; each change is a new generation, and the conditions
# follow it. Ports: gateway-add-listener's 443 and 80 are 10443 and
# 10080 here, gateway-remove-listener's 11443 and 11080.
add_gw() { # HTTP-LISTENER ("" = none)
	cat <<YAML
$(gw_head gateway-add-listener)
  - name: https
    port: 10443
    protocol: HTTPS
    hostname: secure.test.com
    allowedRoutes: {namespaces: {from: All}}
    tls: {certificateRefs: [{group: "", kind: Secret, name: tls-validity-checks-certificate, namespace: $INFRA}]}
$1
YAML
}
remove_gw() { # HTTPS-LISTENER ("" = none)
	cat <<YAML
$(gw_head gateway-remove-listener)
$1
  - name: http
    port: 11080
    protocol: HTTP
    allowedRoutes: {namespaces: {from: All}}
YAML
}
route_to() { # NAME GATEWAY
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $1, namespace: $INFRA}
spec:
  parentRefs: [{kind: Gateway, name: $2, namespace: $INFRA}]
  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
YAML
}
HTTPS_R='  - name: https
    port: 11443
    protocol: HTTPS
    hostname: secure.test.com
    allowedRoutes: {namespaces: {from: All}}
    tls: {certificateRefs: [{group: "", kind: Secret, name: tls-validity-checks-certificate, namespace: '$INFRA'}]}'
HTTP_A='  - name: http
    port: 10080
    protocol: HTTP
    hostname: data.test.com
    allowedRoutes: {namespaces: {from: All}}'
{
	add_gw ""
	route_to http-route-1 gateway-add-listener
	remove_gw "$HTTPS_R"
	route_to http-route-2 gateway-remove-listener
} | apply
APPLY_RC=$?
generation() { res gateway "$INFRA/$1" | jq '.metadata.generation'; }
# changed GATEWAY YAML NAME=ROUTES...: the Gateway's conditions are at its
# generation, the change applied, then its listeners are NAME=ROUTES and
# its generation moved.
changed() {
	local g0 g1
	applied && gw_cond "$INFRA/$1" Accepted True '*' || return 1
	g0=$(generation "$1")
	apply <<<"$2" || { echo "apply of the change refused: $(head -c 300 "$WORK/apply.out")"; return 1; }
	owner_listeners gateway "$INFRA/$1" "${@:3}" && gw_cond "$INFRA/$1" Accepted True '*' || return 1
	g1=$(generation "$1")
	[ "$g1" != "$g0" ] || { echo "generation $g0 did not change"; return 1; }
}
tcase "should be able to add a listener that then becomes available for routing traffic" \
	changed gateway-add-listener "$(add_gw "$HTTP_A")" https=1 http=1
tcase "should be able to remove listeners, which would then stop routing the relevant traffic" \
	changed gateway-remove-listener "$(remove_gw "")" http=1
