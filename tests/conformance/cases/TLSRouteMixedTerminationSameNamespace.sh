# tlsroute-mixed-termination-same-namespace.go: one Gateway, two TLS
# listeners on the same port 8883: tls-terminate (tls.example.com, mode
# Terminate, tls-terminate-checks-certificate) and tls-passthrough
# (abc.example.com, mode Passthrough), a TLSRoute on each, both to
# tcp-backend (the suite's TCP echo): the terminated one to its plain port
# 3000, the passed-through one to its TLS port 8443. Before the subtests
# (checked in each here): both routes Accepted, exactly the two listeners,
# each Accepted True with TLSRoute among its supportedKinds and 1 route
# attached. Then, the CA of tls-checks-ca-certificate trusted: SNI
# tls.example.com gets IS_TLS false from tcp-backend (the gateway ended
# TLS), SNI abc.example.com gets IS_TLS true from tcp-backend, which saw
# SNI abc.example.com (the client's own handshake went through).
tcp_backend
apply <<YAML
$(gw_head gateway-tlsroute-mixed-termination)
  - name: tls-terminate
    port: 8883
    protocol: TLS
    hostname: tls.example.com
    allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}
    tls: {mode: Terminate, certificateRefs: [{name: tls-terminate-checks-certificate}]}
  - name: tls-passthrough
    port: 8883
    protocol: TLS
    hostname: abc.example.com
    allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}
    tls: {mode: Passthrough}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: gateway-conformance-mixed-passthroughroute, namespace: $INFRA}
spec:
  parentRefs: [{name: gateway-tlsroute-mixed-termination, namespace: $INFRA}]
  hostnames: [abc.example.com]
  rules: [{backendRefs: [{name: tcp-backend, port: 8443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: gateway-conformance-mixed-terminateroute, namespace: $INFRA}
spec:
  parentRefs: [{name: gateway-tlsroute-mixed-termination, namespace: $INFRA}]
  hostnames: [tls.example.com]
  rules: [{backendRefs: [{name: tcp-backend, port: 3000}]}]
$(tcp_backend_svc)
$(terminate_secret)
YAML
APPLY_RC=$?
G=$INFRA/gateway-tlsroute-mixed-termination
status() {
	applied &&
		parent TLSRoute $INFRA/gateway-conformance-mixed-passthroughroute $G Accepted True Accepted &&
		parent TLSRoute $INFRA/gateway-conformance-mixed-terminateroute $G Accepted True Accepted &&
		listeners_count $G 2 &&
		listener $G tls-terminate Accepted True Accepted TLSRoute && attached $G tls-terminate 1 &&
		listener $G tls-passthrough Accepted True Accepted TLSRoute && attached $G tls-passthrough 1
}
terminated() { status && tcp_echo 8883 tls.example.com false tcp-backend; }
passed() { status && tcp_echo 8883 abc.example.com true tcp-backend abc.example.com; }
tcase "Simple TLS request matching terminated TLSRoute should reach tcp-backend unencrypted" terminated
tcase "Simple TLS request matching TLSRoute Passthrough should reach infra-backend" passed
