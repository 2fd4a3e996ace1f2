# httproute-cross-namespace.go: a route in the web backend's namespace
# attached to backend-namespaces (:8082), whose listener admits routes of
# namespaces labelled gateway-conformance: backend, reaches its backend.
WEBNS=gateway-conformance-web-backend
cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cross-namespace, namespace: $WEBNS}
spec:
  parentRefs: [{name: backend-namespaces, namespace: $INFRA}]
  rules:
  - backendRefs: [{name: web-backend, port: 8080}]
YAML
APPLY_RC=$?
reach() { route_ok $WEBNS/cross-namespace $INFRA/backend-namespaces && check port=8082 path=/ backend=web-backend; }
tcase "Simple HTTP request should reach web-backend" reach
