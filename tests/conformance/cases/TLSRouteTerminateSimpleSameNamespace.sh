# tlsroute-terminate-simple-same-namespace.go: a TLSRoute on a TLS listener
# in mode Terminate (certificate tls-terminate-checks-certificate,
# tls.example.com; port 9443 here, upstream 8443, which base.sh's HTTPS
# listeners hold): the gateway ends TLS and relays plaintext to tcp-backend's
# plain port 3000, the suite's TCP echo. The client (TLS, SNI
# tls.example.com, the CA of tls-checks-ca-certificate trusted) reads the
# echo's welcome, gets PONG, IS_TLS false and the TEST answer of
# tcp-backend (the SNI the backend saw is not checked: it saw none).
tcp_backend
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: tlsroute-terminated-test, namespace: $INFRA}
spec:
  parentRefs: [{name: gateway-tlsroute-terminate, namespace: $INFRA}]
  hostnames: [tls.example.com]
  rules: [{backendRefs: [{name: tcp-backend, port: 3000}]}]
$(gw_head gateway-tlsroute-terminate)
  - name: tlsterminate
    port: 9443
    protocol: TLS
    hostname: tls.example.com
    allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}
    tls: {mode: Terminate, certificateRefs: [{name: tls-terminate-checks-certificate}]}
$(tcp_backend_svc)
$(terminate_secret)
YAML
APPLY_RC=$?
through() {
	applied && parent TLSRoute $INFRA/tlsroute-terminated-test $INFRA/gateway-tlsroute-terminate Accepted True Accepted &&
		tcp_echo 9443 tls.example.com false tcp-backend
}
tcase "Simple TLS request matching terminated TLSRoute should reach tcp-backend with plain text" through
