# gateway-invalid-tls-configuration.go: an HTTPS listener whose
# certificateRef does not resolve (no such Secret, another group, another
# kind, a Secret that is not PEM) has ResolvedRefs False
# InvalidCertificateRef, no attached route, HTTPRoute among its kinds.
gw() { # NAME PORT REF
	cat <<YAML
$(gw_head $1)
  - name: https
    port: $2
    protocol: HTTPS
    allowedRoutes: {namespaces: {from: All}}
    tls: {certificateRefs: [$3]}
YAML
}
{
	gw gateway-certificate-nonexistent-secret 9001 '{group: "", kind: Secret, name: nonexistent-certificate}'
	gw gateway-certificate-unsupported-group 9002 '{group: wrong.group.company.io, kind: Secret, name: tls-validity-checks-certificate}'
	gw gateway-certificate-unsupported-kind 9003 '{group: "", kind: WrongKind, name: tls-validity-checks-certificate}'
	gw gateway-certificate-malformed-secret 9004 '{group: "", kind: Secret, name: malformed-certificate}'
	cat <<YAML
---
apiVersion: v1
kind: Secret
metadata: {name: malformed-certificate, namespace: $INFRA}
type: kubernetes.io/tls
data: {tls.crt: SGVsbG8gd29ybGQK, tls.key: SGVsbG8gd29ybGQK}
YAML
} | apply
APPLY_RC=$?
bad_ref() {
	applied && listeners_count "$INFRA/$1" 1 &&
		listener "$INFRA/$1" https ResolvedRefs False InvalidCertificateRef HTTPRoute &&
		[ "$(res gateway "$INFRA/$1" | jq '.status.listeners[0].attachedRoutes')" = 0 ]
}
tcase "Nonexistent secret referenced as CertificateRef in a Gateway listener" bad_ref gateway-certificate-nonexistent-secret
tcase "Unsupported group resource referenced as CertificateRef in a Gateway listener" bad_ref gateway-certificate-unsupported-group
tcase "Unsupported kind resource referenced as CertificateRef in a Gateway listener" bad_ref gateway-certificate-unsupported-kind
tcase "Malformed secret referenced as CertificateRef in a Gateway listener" bad_ref gateway-certificate-malformed-secret
