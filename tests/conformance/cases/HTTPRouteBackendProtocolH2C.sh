# httproute-backend-protocol-h2c.go: a Service port with appProtocol
# kubernetes.io/h2c is spoken to in HTTP/2 with prior knowledge, a client's
# prior-knowledge request reaching it. infra-backend-v1's port 8081 (in
# the upstream base) is h2backend.py here, beside its HTTP/1 echo on 8080:
# the echo names it (infra-backend-v1-h2c), so the case sees which port.
grpc_backend infra-backend-v1-h2c
PORT[infra-backend-v1-h2c]=$(ready_port infra-backend-v1-h2c)
app_protocol_route backend-protocol-h2c second-port 8081 kubernetes.io/h2c "${PORT[infra-backend-v1-h2c]}" | apply
APPLY_RC=$?
tcase "http2 prior knowledge request should reach backend" \
	routed $INFRA/backend-protocol-h2c h2c=1 path=/ backend=infra-backend-v1-h2c
