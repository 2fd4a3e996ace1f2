# httproute-invalid-parentref-not-matching-listener-port.go: a parentRef
# port no listener of the Gateway has (here 8090; same-namespace is on
# 8080): Accepted False NoMatchingParent, nothing attached.
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: httproute-listener-not-matching-route-port, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace, namespace: $INFRA, port: 8090}]
  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
YAML
APPLY_RC=$?
A=(HTTPRoute $INFRA/httproute-listener-not-matching-route-port $INFRA/same-namespace NoMatchingParent)
tcase "HTTPRoute with no matching port in ParentRef has an Accepted Condition with status False and Reason NoMatchingParent" unattached "${A[@]}" 0
tcase "Route should not have Parents accepted in status" unattached "${A[@]}" 1
tcase "Gateway should have 0 Routes attached" unattached "${A[@]}" 2
