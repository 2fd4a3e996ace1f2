# gateway-tls-backend-client-certificate.go: a Gateway's
# spec.tls.backend.clientCertificateRef is the certificate it presents to
# a backend its BackendTLSPolicy speaks TLS to: the TLS echo that asks
# for one (tls-backend-with-client-cert-validation, verifying it with the
# CA of tls-checks-ca-certificate) answers, and shows the certificate it
# got. The Gateway's ResolvedRefs is True; port 80 is 10080 here.
backend tls-backend-with-client-cert-validation --tls "$WORK/tls.crt" "$WORK/tls.key" \
	--client-ca "$WORK/ca.crt"
PORT[cv]=$(ready_port tls-backend-with-client-cert-validation) || {
	echo "FAIL $TEST: backend tls-backend-with-client-cert-validation did not start"
	exit 1
}
GW=gateway-tls-backend-client-certificate
{
	cat <<YAML
$(gw_head $GW)
  - name: http
    port: 10080
    protocol: HTTP
    allowedRoutes: {namespaces: {from: Same}}
  tls:
    backend:
      clientCertificateRef: {group: "", kind: Secret, name: tls-checks-client-certificate}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $GW, namespace: $INFRA}
spec:
  parentRefs: [{name: $GW, namespace: $INFRA}]
  hostnames: [abc.example.com]
  rules:
  - backendRefs: [{group: "", kind: Service, name: tls-backend-with-client-cert-validation, port: 443}]
    matches: [{path: {type: Exact, value: /}}]
---
apiVersion: v1
kind: Service
metadata: {name: tls-backend-with-client-cert-validation, namespace: $INFRA}
spec:
  clusterIP: 127.0.0.1
  ports: [{name: https, protocol: TCP, port: 443, targetPort: ${PORT[cv]}}]
YAML
	btls gateway-tls-backend-client-certificate-test tls-backend-with-client-cert-validation abc.example.com
	client_certs
} | apply
APPLY_RC=$?
presented() {
	local got want
	applied && gw_cond "$INFRA/$GW" Accepted True '*' &&
		parent HTTPRoute "$INFRA/$GW" "$INFRA/$GW" Accepted True Accepted &&
		parent HTTPRoute "$INFRA/$GW" "$INFRA/$GW" ResolvedRefs True ResolvedRefs &&
		ancestor BackendTLSPolicy "$INFRA/gateway-tls-backend-client-certificate-test" "$INFRA/$GW" \
			Accepted True '*' &&
		gw_cond "$INFRA/$GW" ResolvedRefs True ResolvedRefs &&
		http 10080 abc.example.com / 200 tls-backend-with-client-cert-validation || return 1
	want=$(tr -d '\n' <"$WORK/tc-client.crt")
	got=$(jq -r '.tls.peerCertificates[]? | gsub("\n"; "")' "$WORK/body")
	[ "$got" = "$want" ] || { echo "the backend got client certificate '${got:0:80}...', want tls-checks-client-certificate's"; return 1; }
}
tcase "HTTP request sent to Service using TLS should succeed and the configured client certificate should be presented." presented
