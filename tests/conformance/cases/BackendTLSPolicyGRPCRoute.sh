# backendtlspolicy-grpcroute.go: a BackendTLSPolicy on the Service of a
# GRPCRoute: the gateway speaks gRPC over TLS (ALPN h2) to it; a policy
# hostname or CA that does not fit the backend's certificate fails the
# call. The backend here: h2backend --tls with the TLS echo's certificate.
grpc_backend grpc-infra-backend-v1 grpc-tls --tls "$WORK/tls.crt" "$WORK/tls.key"
PORT[grpc-tls]=$(ready_port grpc-tls)
S=gateway_api_conformance.echo_basic.grpcecho.GrpcEcho
gsvc() {
	printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec:\n  clusterIP: 127.0.0.1\n  ports: [{name: btls, port: 443, targetPort: %s}]\n' \
		"$1" "$INFRA" "${PORT[grpc-tls]}"
}
{
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: backendtlspolicy-grpcroute, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  hostnames: [abc.example.com]
  rules:
  - matches: [{method: {service: $S, method: Echo}}]
    backendRefs: [{name: backendtlspolicy-grpc-test, port: 443}]
  - matches: [{method: {service: $S, method: EchoTwo}}]
    backendRefs: [{name: backendtlspolicy-grpc-host-mismatch-test, port: 443}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: backendtlspolicy-grpcroute-cert-mismatch, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  hostnames: [cert-mismatch.example.com]
  rules:
  - matches: [{method: {service: $S, method: Echo}}]
    backendRefs: [{name: backendtlspolicy-grpc-cert-mismatch-test, port: 443}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: mismatch-ca-certificate, namespace: $INFRA}
data:
  ca.crt: |
$(indent '    ' "$WORK/ca2.crt")
YAML
	gsvc backendtlspolicy-grpc-test
	gsvc backendtlspolicy-grpc-host-mismatch-test
	gsvc backendtlspolicy-grpc-cert-mismatch-test
	btls grpc-normative-test backendtlspolicy-grpc-test:btls abc.example.com
	btls grpc-host-mismatch backendtlspolicy-grpc-host-mismatch-test:btls mismatch.example.com
	btls grpc-cert-mismatch backendtlspolicy-grpc-cert-mismatch-test:btls abc.example.com \
		'    caCertificateRefs: [{group: "", kind: ConfigMap, name: mismatch-ca-certificate}]'
} | apply
APPLY_RC=$?
G=$INFRA/same-namespace
good() {
	ancestor BackendTLSPolicy "$INFRA/$1" $G Accepted True Accepted &&
		ancestor BackendTLSPolicy "$INFRA/$1" $G ResolvedRefs True ResolvedRefs
}
# fails AUTHORITY /svc/Method: the call does not end with grpc-status 0.
fails() {
	local r
	r=$(timeout 20 /usr/bin/python3 "$REPO/tests/e2e/grpc_client.py" --port 8080 --authority "$1" \
		--path "$2" hi | jq -r .grpc_status)
	[ "$r" != 0 ] || { echo "call $2 to $1 succeeded"; return 1; }
}
valid() { applied && good grpc-normative-test && grpc 8080 abc.example.com "/$S/Echo" grpc-infra-backend-v1; }
host() { applied && good grpc-host-mismatch && fails abc.example.com "/$S/EchoTwo"; }
cert() {
	applied && parent GRPCRoute $INFRA/backendtlspolicy-grpcroute-cert-mismatch $G Accepted True Accepted &&
		good grpc-cert-mismatch && fails cert-mismatch.example.com "/$S/Echo"
}
tcase "gRPC request sent to Service with valid BackendTLSPolicy should succeed" valid
tcase "gRPC request sent to Service targeted by BackendTLSPolicy with mismatched hostname should fail" host
tcase "gRPC request sent to Service targeted by BackendTLSPolicy with mismatched cert should fail" cert
