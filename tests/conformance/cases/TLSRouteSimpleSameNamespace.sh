# tlsroute-simple-same-namespace.go: a TLSRoute on a Passthrough listener
# takes the SNI it names to its TLS backend, which holds the certificate
# (the upstream tcp-backend; here the TLS echo behind Service tcp-backend).
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: gateway-conformance-infra-test, namespace: $INFRA}
spec:
  parentRefs: [{name: gateway-tlsroute, namespace: $INFRA}]
  hostnames: [abc.example.com]
  rules: [{backendRefs: [{name: tcp-backend, port: 8443}]}]
$(gw_head gateway-tlsroute)
  - name: https
    port: 9443
    protocol: TLS
    hostname: "*.example.com"
    allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}
    tls: {mode: Passthrough}
---
apiVersion: v1
kind: Service
metadata: {name: tcp-backend, namespace: $INFRA}
spec:
  clusterIP: 127.0.0.1
  ports: [{name: tls, port: 8443, targetPort: ${PORT[tls-backend]}}]
YAML
APPLY_RC=$?
through() {
	local pod
	applied && parent TLSRoute $INFRA/gateway-conformance-infra-test $INFRA/gateway-tlsroute Accepted True Accepted || return 1
	pod=$(curl -s --max-time 10 --cacert "$WORK/ca.crt" --resolve abc.example.com:9443:127.0.0.1 \
		https://abc.example.com:9443/ | jq -r .pod)
	[ "$pod" = tls-backend ] || { echo "https://abc.example.com:9443/ answered by '$pod'"; return 1; }
}
tcase "Simple TLS request matching TLSRoute should reach infra-backend" through
