# httproute-simple-same-namespace.go: a route with one rule and no match
# takes every request to its backend.
cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: gateway-conformance-infra-test, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - backendRefs: [{name: infra-backend-v1, port: 8080}]
YAML
APPLY_RC=$?
tcase "Simple HTTP request should reach infra-backend" \
	routed $INFRA/gateway-conformance-infra-test path=/ backend=infra-backend-v1
