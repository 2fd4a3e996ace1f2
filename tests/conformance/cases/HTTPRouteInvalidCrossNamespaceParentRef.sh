# httproute-invalid-cross-namespace-parent-ref.go: a route in another
# namespace than same-namespace's listeners allow: Accepted False
# NotAllowedByListeners.
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: invalid-cross-namespace-parent-ref, namespace: gateway-conformance-web-backend}
spec:
  parentRefs: [{name: same-namespace, namespace: $INFRA}]
  rules: [{backendRefs: [{name: web-backend, port: 8080}]}]
YAML
APPLY_RC=$?
A=(HTTPRoute gateway-conformance-web-backend/invalid-cross-namespace-parent-ref $INFRA/same-namespace NotAllowedByListeners)
tcase "HTTPRoute should have an Accepted: false condition with reason NotAllowedByListeners" unattached "${A[@]}" 0
tcase "Route should not have Parents set in status" unattached "${A[@]}" 1
tcase "Gateway should have 0 Routes attached" unattached "${A[@]}" 2
