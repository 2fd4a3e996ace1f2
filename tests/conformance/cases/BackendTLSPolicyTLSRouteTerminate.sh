# backendtlspolicy-tlsroute-terminate.go: a TLSRoute on a TLS listener in
# mode Terminate (tls.example.com, tls-terminate-checks-certificate; port
# 9443 here, upstream 8443) to Service btls-terminate-tls-backend:8443, the
# TLS port of the suite's TCP echo (tcp-backend), which a BackendTLSPolicy
# (the CA ConfigMap, hostname abc.example.com) targets: the policy is
# Accepted and ResolvedRefs under the Gateway, and the gateway re-encrypts:
# the client (SNI tls.example.com) gets IS_TLS true from tcp-backend, which
# saw SNI abc.example.com (the policy's hostname, not the client's).
tcp_backend
{
	gw_head gateway-btls-tlsroute-terminate
	cat <<YAML
  - name: tls-terminate
    port: 9443
    protocol: TLS
    hostname: tls.example.com
    allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}
    tls: {mode: Terminate, certificateRefs: [{name: tls-terminate-checks-certificate}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: backendtlspolicy-tlsroute-terminate, namespace: $INFRA}
spec:
  parentRefs: [{name: gateway-btls-tlsroute-terminate, namespace: $INFRA}]
  hostnames: [tls.example.com]
  rules: [{backendRefs: [{name: btls-terminate-tls-backend, port: 8443}]}]
---
apiVersion: v1
kind: Service
metadata: {name: btls-terminate-tls-backend, namespace: $INFRA}
spec:
  clusterIP: 127.0.0.1
  ports: [{name: btls, port: 8443, targetPort: ${PORT[tcp-backend-tls]}}]
YAML
	btls btls-tlsroute-terminate-test btls-terminate-tls-backend:btls abc.example.com
	terminate_secret
} | apply
APPLY_RC=$?
G=$INFRA/gateway-btls-tlsroute-terminate
P=$INFRA/btls-tlsroute-terminate-test
reencrypt() {
	applied && parent TLSRoute $INFRA/backendtlspolicy-tlsroute-terminate $G Accepted True Accepted &&
		ancestor BackendTLSPolicy $P $G Accepted True Accepted &&
		ancestor BackendTLSPolicy $P $G ResolvedRefs True ResolvedRefs &&
		tcp_echo 9443 tls.example.com true tcp-backend abc.example.com
}
tcase "TLS request matching terminated TLSRoute with BackendTLSPolicy should reach backend with re-encrypted TLS" reencrypt
