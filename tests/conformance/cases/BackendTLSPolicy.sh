# backendtlspolicy.go: a BackendTLSPolicy (CA in a ConfigMap, hostname)
# makes the gateway speak TLS to the Service (also behind an HTTPS
# listener: re-encrypt); a hostname or CA that does not fit the backend's
# certificate fails the request, with the policy still accepted; a
# ConfigMap changed, emptied and restored is followed.
{
	route backendtlspolicy same-namespace abc.example.com
	route_rule /backendtlspolicy backendtlspolicy-test
	route_rule /backendtlspolicy-host-mismatch backendtlspolicy-host-mismatch-test
	route_rule /backendtlspolicy-cert-mismatch backendtlspolicy-cert-mismatch-test
	route_rule /backendtlspolicy-reconcile-test backendtlspolicy-reconcile-test
	route backendtlspolicy-reencrypt same-namespace-with-https-listener https-listener.org
	route_rule /backendtlspolicy backendtlspolicy-test
	for s in test host-mismatch-test cert-mismatch-test reconcile-test; do
		tls_svc "backendtlspolicy-$s"
	done
	btls normative-test backendtlspolicy-test:btls abc.example.com
	btls host-mismatch backendtlspolicy-host-mismatch-test:btls mismatch.example.com
	btls cert-mismatch backendtlspolicy-cert-mismatch-test:btls abc.example.com \
		'    caCertificateRefs: [{group: "", kind: ConfigMap, name: mismatch-ca-certificate}]'
	btls reconcile-test backendtlspolicy-reconcile-test:btls abc.example.com
	cat <<YAML
---
apiVersion: v1
kind: ConfigMap
metadata: {name: mismatch-ca-certificate, namespace: $INFRA}
data:
  ca.crt: |
$(indent '    ' "$WORK/ca2.crt")
YAML
} | apply
APPLY_RC=$?
G=$INFRA/same-namespace
good() { # POLICY [GATEWAY]
	ancestor BackendTLSPolicy "$INFRA/$1" "${2:-$G}" Accepted True Accepted &&
		ancestor BackendTLSPolicy "$INFRA/$1" "${2:-$G}" ResolvedRefs True ResolvedRefs
}
reencrypt() {
	applied && parent HTTPRoute $INFRA/backendtlspolicy-reencrypt \
		$INFRA/same-namespace-with-https-listener ResolvedRefs True ResolvedRefs &&
		good normative-test $G && good normative-test $INFRA/same-namespace-with-https-listener &&
		https 8443 https-listener.org /backendtlspolicy 200 tls-backend
}
valid() {
	applied && parent HTTPRoute $INFRA/backendtlspolicy $G ResolvedRefs True ResolvedRefs &&
		good normative-test && http 8080 abc.example.com /backendtlspolicy 200 tls-backend
}
host_mismatch() {
	applied && good host-mismatch && http_fails 8080 abc.example.org /backendtlspolicy-host-mismatch &&
		http_fails 8080 abc.example.com /backendtlspolicy-host-mismatch
}
cert_mismatch() { applied && good cert-mismatch && http_fails 8080 abc.example.com /backendtlspolicy-cert-mismatch; }
# The policy moved to a ConfigMap of its own: missing, then there, then
# emptied, then restored.
cm() { # CA-FILE ("" = empty)
	cat <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: tls-checks-ca-certificate-reconcile-test, namespace: $INFRA}
data:
  ca.crt: |
$([ -n "$1" ] && indent '    ' "$1" || echo '    ""')
YAML
}
bad_ca() {
	ancestor BackendTLSPolicy $INFRA/reconcile-test $G Accepted False NoValidCACertificate &&
		ancestor BackendTLSPolicy $INFRA/reconcile-test $G ResolvedRefs False InvalidCACertificateRef
}
reconcile() {
	applied && good reconcile-test || return 1
	btls reconcile-test backendtlspolicy-reconcile-test:btls abc.example.com \
		'    caCertificateRefs: [{group: "", kind: ConfigMap, name: tls-checks-ca-certificate-reconcile-test}]' |
		apply || { echo "apply of the moved policy refused: $(cat "$WORK/apply.out")"; return 1; }
	bad_ca || return 1
	cm "$WORK/ca.crt" | apply && good reconcile-test || return 1
	cm "" | apply && bad_ca || return 1
	cm "$WORK/ca.crt" | apply && good reconcile-test &&
		http 8080 abc.example.com /backendtlspolicy-reconcile-test 200 tls-backend
}
tcase "Re-encrypt HTTPS request sent to Service with valid BackendTLSPolicy should succeed" reencrypt
tcase "HTTP request sent to Service with valid BackendTLSPolicy should succeed" valid
tcase "HTTP request sent to Service targeted by BackendTLSPolicy with mismatched hostname should return an HTTP error" host_mismatch
tcase "HTTP request send to Service targeted by BackendTLSPolicy with mismatched cert should return HTTP error" cert_mismatch
tcase "Changing the content of a ConfigMap used by BackendTLSPolicy as CA certificate should be reconciled by the controller" reconcile
