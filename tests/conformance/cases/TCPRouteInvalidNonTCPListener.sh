# tcproute-invalid-non-tcp-listener.go: a TCPRoute on an HTTP listener:
# Accepted False NotAllowedByListeners, nothing attached.
apply <<YAML
$(gw_head tcp-mixed-protocol-gateway)
  - {name: only-allow-http-routes, protocol: HTTP, port: 9301, allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: HTTPRoute}]}}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: tcp-route, namespace: $INFRA}
spec:
  parentRefs: [{name: tcp-mixed-protocol-gateway, sectionName: only-allow-http-routes}]
  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
YAML
APPLY_RC=$?
A=(TCPRoute $INFRA/tcp-route $INFRA/tcp-mixed-protocol-gateway NotAllowedByListeners)
tcase "TCPRoute targeting a listener that has no protocol type TCP must have Accepted=False with reason NotAllowedByListeners" unattached "${A[@]}" 0
tcase "Gateway should have 0 Routes attached" unattached "${A[@]}" 2
