# gateway-invalid-tls-backend-configuration.go: a Gateway whose
# spec.tls.backend.clientCertificateRef does not resolve (no such Secret,
# another group, another kind, a Secret without tls.crt and tls.key, one
# of another namespace without a ReferenceGrant) is accepted with
# ResolvedRefs False (InvalidClientCertificateRef, RefNotPermitted).
# Each Gateway's port 80 is a port of its own here (10081...).
gw() { # NAME PORT REF
	cat <<YAML
$(gw_head $1)
  - name: http
    port: $2
    protocol: HTTP
    allowedRoutes: {namespaces: {from: Same}}
  tls:
    backend:
      clientCertificateRef: $3
YAML
}
{
	gw gateway-client-certificate-nonexistent-secret 10081 '{group: "", kind: Secret, name: nonexistent-certificate}'
	gw gateway-client-certificate-unsupported-group 10082 '{group: wrong.group.company.io, kind: Secret, name: tls-validity-checks-certificate}'
	gw gateway-client-certificate-unsupported-kind 10083 '{group: "", kind: WrongKind, name: tls-validity-checks-certificate}'
	gw gateway-client-certificate-malformed-secret 10084 '{group: "", kind: Secret, name: malformed-client-certificate}'
	gw gateway-client-certificate-missing-reference-grant 10085 '{group: "", kind: Secret, name: certificate, namespace: gateway-conformance-web-backend}'
	cat <<YAML
---
apiVersion: v1
kind: Secret
metadata: {name: malformed-client-certificate, namespace: $INFRA}
data: {}
type: Opaque
YAML
	front_secret certificate gateway-conformance-web-backend
} | apply
APPLY_RC=$?
bad() { # GATEWAY REASON
	applied && gw_cond "$INFRA/$1" ResolvedRefs False "$2" && gw_cond "$INFRA/$1" Accepted True Accepted
}
R="ClientCertificateRef in Gateway backend TLS configuration"
tcase "Nonexistent secret referenced as $R" bad gateway-client-certificate-nonexistent-secret InvalidClientCertificateRef
tcase "Unsupported group resource referenced as $R" bad gateway-client-certificate-unsupported-group InvalidClientCertificateRef
tcase "Unsupported kind resource referenced as ClientCertificateRef inGateway backend TLS configuration" \
	bad gateway-client-certificate-unsupported-kind InvalidClientCertificateRef
tcase "Malformed secret referenced as $R" bad gateway-client-certificate-malformed-secret InvalidClientCertificateRef
tcase "Secret referenced from another namespace without any ReferenceGrant as $R" \
	bad gateway-client-certificate-missing-reference-grant RefNotPermitted
