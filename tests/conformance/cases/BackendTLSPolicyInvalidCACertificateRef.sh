# backendtlspolicy-invalid-ca-certificate-ref.go: a caCertificateRef to a
# ConfigMap that does not exist, or has no ca.crt, is Accepted False
# NoValidCACertificate and ResolvedRefs False InvalidCACertificateRef, and
# the Service's requests get a 5xx.
{
	route backendtlspolicy-invalid-ca-certificate-ref same-namespace abc.example.com
	route_rule /backendtlspolicy-nonexistent-ca-certificate-ref backendtlspolicy-nonexistent-ca-certificate-ref-test
	route_rule /backendtlspolicy-malformed-ca-certificate-ref backendtlspolicy-malformed-ca-certificate-ref-test
	tls_svc backendtlspolicy-nonexistent-ca-certificate-ref-test https
	tls_svc backendtlspolicy-malformed-ca-certificate-ref-test https
	btls nonexistent-ca-certificate-ref backendtlspolicy-nonexistent-ca-certificate-ref-test abc.example.com \
		'    caCertificateRefs: [{group: "", kind: ConfigMap, name: nonexistent-ca-certificate}]'
	btls malformed-ca-certificate-ref backendtlspolicy-malformed-ca-certificate-ref-test abc.example.com \
		'    caCertificateRefs: [{group: "", kind: ConfigMap, name: malformed-ca-certificate}]'
	printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: malformed-ca-certificate, namespace: %s}\ndata: {}\n' "$INFRA"
} | apply
APPLY_RC=$?
G=$INFRA/same-namespace
acc() { applied && ancestor BackendTLSPolicy "$INFRA/$1" $G Accepted False NoValidCACertificate; }
ref() { applied && ancestor BackendTLSPolicy "$INFRA/$1" $G ResolvedRefs False InvalidCACertificateRef; }
req() { applied && http 8080 abc.example.com "/backendtlspolicy-$1" 500,502,503; }
for p in nonexistent-ca-certificate-ref malformed-ca-certificate-ref; do
	tcase "BackendTLSPolicy_$p/BackendTLSPolicy with a single invalid CACertificateRef has a Accepted Condition with status False and Reason NoValidCACertificate" acc $p
	tcase "BackendTLSPolicy_$p/BackendTLSPolicy with a single invalid CACertificateRef has a ResolvedRefs Condition with status False and Reason InvalidCACertificateRef" ref $p
	tcase "BackendTLSPolicy_$p/HTTP Request to backend targeted by an invalid BackendTLSPolicy receive a 5xx" req $p
done
