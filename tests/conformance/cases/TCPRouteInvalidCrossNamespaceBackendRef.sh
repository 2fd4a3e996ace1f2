# tcproute-invalid-cross-namespace-backend-ref.go: a TCPRoute to a Service
# in another namespace without a ReferenceGrant: ResolvedRefs False
# RefNotPermitted.
apply <<YAML
$(gw_head tcp-invalid-cross-namespace-backend-ref-gateway)
  - {name: tcp, protocol: TCP, port: 9321, allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TCPRoute}]}}
---
apiVersion: v1
kind: Service
metadata: {name: tcp-invalid-xns-backend, namespace: gateway-conformance-web-backend}
spec: {clusterIP: 127.0.0.1, ports: [{name: tcp, port: 3000, targetPort: ${PORT[web-backend]}}]}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: tcp-invalid-cross-namespace-backend-ref, namespace: $INFRA}
spec:
  parentRefs: [{name: tcp-invalid-cross-namespace-backend-ref-gateway, sectionName: tcp}]
  rules: [{backendRefs: [{name: tcp-invalid-xns-backend, namespace: gateway-conformance-web-backend, port: 3000}]}]
YAML
APPLY_RC=$?
st() { applied && parent TCPRoute $INFRA/tcp-invalid-cross-namespace-backend-ref $INFRA/tcp-invalid-cross-namespace-backend-ref-gateway ResolvedRefs False RefNotPermitted; }
tcase "TCPRoute with a cross-namespace backendRef and no ReferenceGrant has ResolvedRefs=False with reason RefNotPermitted" st
