# httproute-invalid-parentref-not-matching-section-name.go: a parentRef
# sectionName no listener has: Accepted False NoMatchingParent.
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: httproute-listener-not-matching-section-name, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace, namespace: $INFRA, port: 8080, sectionName: http1}]
  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
YAML
APPLY_RC=$?
A=(HTTPRoute $INFRA/httproute-listener-not-matching-section-name $INFRA/same-namespace NoMatchingParent)
tcase "HTTPRoute with no matching sectionName in ParentRef has an Accepted Condition with status False and Reason NoMatchingParent" unattached "${A[@]}" 0
tcase "Route should not have Parents accepted in status" unattached "${A[@]}" 1
tcase "Gateway should have 0 Routes attached" unattached "${A[@]}" 2
