# GRPCRoute backends are spoken to in HTTP/2 whatever their Service port's appProtocol says (gRPC is HTTP/2): a Service port with no appProtocol gets h2c in clear text (h2backend sees an HTTP/2 preface, no HTTP/1 connection), and one with a BackendTLSPolicy gets TLS with ALPN h2 (h2backend --tls); both calls answer grpc-status 0 from the right backend, while an HTTPRoute to the same plain Service still sends HTTP/1.1.
. "$(dirname "$0")/lib.sh"

# A CA and a certificate for grpc.test that it signs.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=CA" \
	-keyout "$WORK/ca.key" -out "$WORK/ca.crt" >/dev/null 2>&1 || fail "CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=grpc.test \
	-keyout "$WORK/b.key" -out "$WORK/b.csr" >/dev/null 2>&1 &&
	openssl x509 -req -in "$WORK/b.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
		-CAcreateserial -days 2 -extfile <(printf 'subjectAltName=DNS:grpc.test') \
		-out "$WORK/b.crt" >/dev/null 2>&1 || fail "backend certificate"

start_h2backend plain || { fail "h2backend plain did not start"; finish; }
P=$H2B_PORT
start_h2backend tls --tls "$WORK/b.crt" "$WORK/b.key" || { fail "h2backend tls did not start"; finish; }
T=$H2B_PORT

# Services with no appProtocol.
service() {
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: $1, namespace: e2e}
spec:
  clusterIP: 127.0.0.1
  ports: [{name: grpc, port: $2, targetPort: $2}]
YAML
}
mkdir -p "$WORK/cfg"
{
	cat <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: e2e}
spec:
  gatewayClassName: agentgateway
  listeners:
  - {name: http, port: 8080, protocol: HTTP}
YAML
	service plain "$P"
	service tls "$T"
	cat <<YAML
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ca, namespace: e2e}
data:
  ca.crt: |
$(sed 's/^/    /' "$WORK/ca.crt")
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: tls, namespace: e2e}
spec:
  targetRefs: [{group: "", kind: Service, name: tls}]
  validation:
    caCertificateRefs: [{group: "", kind: ConfigMap, name: ca}]
    hostname: grpc.test
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: echo, namespace: e2e}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{method: {service: plain.Echo}}]
    backendRefs: [{name: plain, port: $P}]
  - matches: [{method: {service: tls.Echo}}]
    backendRefs: [{name: tls, port: $T}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: e2e}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /stats}}]
    backendRefs: [{name: plain, port: $P}]
YAML
} >"$WORK/cfg/gateway.yaml"
start_gateway -c "$WORK/cfg" || finish

# call PATH: one gRPC call; prints "<grpc-status> <x-backend-name>".
call() {
	timeout 30 /usr/bin/python3 "$E2E_DIR/grpc_client.py" --port 8080 --path "$1" hi |
		jq -r '"\(.grpc_status) \((.headers // []) | map(select(.[0] == "x-backend-name"))[0][1] // "-")"' 2>/dev/null
}
check "GRPCRoute, Service port without appProtocol: h2c, grpc-status 0" \
	"$(call /plain.Echo/Echo)" "0 plain"
check "GRPCRoute, Service with a BackendTLSPolicy and no appProtocol: TLS with ALPN h2" \
	"$(call /tls.Echo/Echo)" "0 tls"
check "the plain backend answered no HTTP/1 request with an error (505 for gRPC in HTTP/1)" "$(h2stats "$P" http1_connections)" 0
grep -q ": HTTP/2 preface$" "$WORK/h2backend-tls.log" &&
	pass "the TLS backend saw the HTTP/2 preface inside TLS" ||
	fail "the TLS backend's log: $(tail -3 "$WORK/h2backend-tls.log")"
hcall http://127.0.0.1:8080/stats
expect "an HTTPRoute to the same Service still speaks HTTP/1.1" 200 "*"
grep -q "no HTTP/2 preface (HTTP/1: 'GET /stats HTTP/1.1')" "$WORK/h2backend-plain.log" &&
	pass "... which the backend logs as an HTTP/1 request" ||
	fail "the plain backend's log: $(tail -3 "$WORK/h2backend-plain.log")"
h2backend_clean plain "$P"
stop_gateway
finish
