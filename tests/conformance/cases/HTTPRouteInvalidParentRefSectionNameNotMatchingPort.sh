# httproute-invalid-parentref-section-name-not-matching-port.go: a parentRef
# whose sectionName names a listener on another port than its port:
# Accepted False NoMatchingParent.
apply <<YAML
$(gw_head gateway-with-one-not-matching-port-and-section-name-route)
  - {name: http, port: 9001, protocol: HTTP, allowedRoutes: {kinds: [{kind: HTTPRoute}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: httproute-listener-section-name-not-matching-port, namespace: $INFRA}
spec:
  parentRefs:
  - {name: gateway-with-one-not-matching-port-and-section-name-route, namespace: $INFRA, sectionName: http, port: 9002}
  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
YAML
APPLY_RC=$?
A=(HTTPRoute $INFRA/httproute-listener-section-name-not-matching-port
	$INFRA/gateway-with-one-not-matching-port-and-section-name-route NoMatchingParent)
tcase "HTTPRoute with sectionName does not match Port in ParentRef has an Accepted Condition with status False and Reason NoMatchingParent" unattached "${A[@]}" 0
tcase "Route should not have Parents accepted in status" unattached "${A[@]}" 1
tcase "Gateway should have 0 Routes attached" unattached "${A[@]}" 2
