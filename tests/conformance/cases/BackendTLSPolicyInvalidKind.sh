# backendtlspolicy-invalid-kind.go: a caCertificateRef of another kind is
# Accepted False NoValidCACertificate and ResolvedRefs False InvalidKind,
# and the Service's requests get a 5xx.
{
	route backendtlspolicy-invalid-kind-test same-namespace abc.example.com
	route_rule /backendtlspolicy-invalid-kind backendtlspolicy-invalid-kind-test
	tls_svc backendtlspolicy-invalid-kind-test https
	btls invalid-kind backendtlspolicy-invalid-kind-test abc.example.com \
		'    caCertificateRefs: [{group: invalid.io, kind: InvalidKind, name: invalid-kind}]'
} | apply
APPLY_RC=$?
G=$INFRA/same-namespace
acc() { applied && ancestor BackendTLSPolicy $INFRA/invalid-kind $G Accepted False NoValidCACertificate; }
ref() { applied && ancestor BackendTLSPolicy $INFRA/invalid-kind $G ResolvedRefs False InvalidKind; }
req() { applied && http 8080 abc.example.com /backendtlspolicy-invalid-kind 500,502,503; }
tcase "BackendTLSPolicy with a single invalid CACertificateRef has a Accepted Condition with status False and Reason NoValidCACertificate" acc
tcase "BackendTLSPolicy with a single invalid CACertificateRef has a ResolvedRefs Condition with status False and Reason InvalidKind" ref
tcase "HTTP Request to backend targeted by an invalid BackendTLSPolicy receive a 5xx" req
