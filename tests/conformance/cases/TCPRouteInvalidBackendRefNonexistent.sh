# tcproute-invalid-backendref-nonexistent.go: a TCPRoute to a Service that
# does not exist: ResolvedRefs False BackendNotFound.
apply <<YAML
$(gw_head tcp-gateway-invalid-backend)
  - {name: tcp, protocol: TCP, port: 9300, allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TCPRoute}]}}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: tcp-route-invalid-backend-ref-nonexistent, namespace: $INFRA}
spec:
  parentRefs: [{name: tcp-gateway-invalid-backend, sectionName: tcp}]
  rules: [{backendRefs: [{name: nonexistent-service, port: 8080}]}]
YAML
APPLY_RC=$?
st() { applied && parent TCPRoute $INFRA/tcp-route-invalid-backend-ref-nonexistent $INFRA/tcp-gateway-invalid-backend ResolvedRefs False BackendNotFound; }
tcase "TCPRoute with a nonexistent backend has ResolvedRefs=False and reason BackendNotFound" st
