# gateway-with-invalid-clientcertificate-validation.go: client CA
# references that do not resolve (a ConfigMap that does not exist, a
# Service, a ConfigMap of another namespace without a ReferenceGrant)
# leave the HTTPS listeners of their ports (here 7443 -> 17443, 8443 ->
# 18443, 6443 -> 16443) with ResolvedRefs False (InvalidCACertificateRef,
# InvalidCACertificateKind, RefNotPermitted) and Accepted False
# NoValidCACertificate, not programmed; the listener of the default's
# port (443 -> 10443) is unaffected.
GW=gateway-with-invalid-client-cert-validation
https_l() { # NAME PORT HOSTNAME
	cat <<YAML
  - name: $1
    port: $2
    hostname: ${3:-'""'}
    protocol: HTTPS
    allowedRoutes: {namespaces: {from: Same}}
    tls: {certificateRefs: [{group: "", kind: Secret, name: tls-validity-checks-certificate, namespace: $INFRA}]}
YAML
}
per_port() { # PORT REF
	printf '      - port: %s\n        tls: {validation: {caCertificateRefs: [%s]}}\n' "$1" "$2"
}
{
	gw_head $GW
	https_l https 10443
	https_l https-unresolved 17443 first-example.org
	https_l https-invalid-kind 18443 second-example.org
	https_l https-grant-missing 16443 fourth-example.org
	cat <<YAML
  tls:
    frontend:
      default:
        validation: {caCertificateRefs: [{kind: ConfigMap, group: "", name: tls-validity-checks-ca-certificate}]}
      perPort:
YAML
	per_port 17443 '{kind: ConfigMap, group: "", name: non-exisitng-cm}'
	per_port 18443 '{kind: Service, group: "", name: infra-backend-v2}'
	per_port 16443 '{kind: ConfigMap, group: "", name: web-backend-cm, namespace: gateway-conformance-web-backend}'
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: misconfigured-client-certificate-validation-https-test, namespace: $INFRA}
spec:
  parentRefs: [{name: client-validation-invalid}]
  hostnames: [example.org]
  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
YAML
	client_certs
} | apply
APPLY_RC=$?
conds() { # LISTENER TYPE:STATUS:REASON...
	applied && ls_listener gateway "$INFRA/$GW" "$@"
}
V="Validate status for invalid client certificate configuration"
tcase "$V/default valid configuration" conds https "${OK_LISTENER[@]}"
tcase "$V/unresolved reference" conds https-unresolved ResolvedRefs:False:InvalidCACertificateRef \
	Accepted:False:NoValidCACertificate 'Programmed:False:*'
tcase "$V/invalid kind" conds https-invalid-kind ResolvedRefs:False:InvalidCACertificateKind \
	Accepted:False:NoValidCACertificate 'Programmed:False:*'
tcase "$V/reference grant missing" conds https-grant-missing ResolvedRefs:False:RefNotPermitted \
	Accepted:False:NoValidCACertificate 'Programmed:False:*'
