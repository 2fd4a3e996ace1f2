# httproute-backend-protocol-h2c.go: a Service port with appProtocol
# kubernetes.io/h2c is spoken to in HTTP/2 with prior knowledge, a client's
# prior-knowledge request reaching it. infra-backend-v1's port 8081 (in
# the upstream base) is h2backend.py here, beside its HTTP/1 echo on 8080:
# the echo names it (infra-backend-v1-h2c), so the case sees which port.
grpc_backend infra-backend-v1-h2c
PORT[infra-backend-v1-h2c]=$(ready_port infra-backend-v1-h2c)
cat <<YAML | apply
---
apiVersion: v1
kind: Service
metadata: {name: infra-backend-v1, namespace: $INFRA}
spec:
  clusterIP: 127.0.0.1
  ports:
  - {name: first-port, port: 8080, targetPort: ${PORT[infra-backend-v1]}}
  - {name: second-port, port: 8081, appProtocol: kubernetes.io/h2c, targetPort: ${PORT[infra-backend-v1-h2c]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: backend-protocol-h2c, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - backendRefs: [{name: infra-backend-v1, port: 8081}]
YAML
APPLY_RC=$?
tcase "http2 prior knowledge request should reach backend" \
	routed $INFRA/backend-protocol-h2c h2c=1 path=/ backend=infra-backend-v1-h2c
