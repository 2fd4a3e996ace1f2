# gateway-invalid-default-frontend-client-certificate-validation.go: a
# default client validation whose CA does not exist leaves the HTTPS
# listener (443, here 10443) with ResolvedRefs False
# InvalidCACertificateRef and Accepted False NoValidCACertificate, and a
# client's request there fails; the HTTP listener (80, here 10080),
# whose port has a perPort entry, is untouched and serves.
GW=invalid-default-client-validation-config
{
	cat <<YAML
$(gw_head $GW)
  - name: https
    port: 10443
    protocol: HTTPS
    allowedRoutes: {namespaces: {from: Same}}
    tls: {certificateRefs: [{group: "", kind: Secret, name: tls-validity-checks-certificate, namespace: $INFRA}]}
  - name: http
    port: 10080
    protocol: HTTP
    allowedRoutes: {namespaces: {from: Same}}
  tls:
    frontend:
      default:
        validation: {caCertificateRefs: [{kind: ConfigMap, group: "", name: does-not-exist}]}
      perPort:
      - port: 10080
        tls: {validation: {caCertificateRefs: [{kind: ConfigMap, group: "", name: tls-validity-checks-per-port-ca-certificate}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $GW, namespace: $INFRA}
spec:
  parentRefs: [{name: $GW}]
  hostnames: [example.org]
  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
YAML
	client_certs
} | apply
APPLY_RC=$?
http_ok() {
	applied && ls_listener gateway "$INFRA/$GW" http "${OK_LISTENER[@]}" &&
		http 10080 example.org / 200 infra-backend-v1
}
https_bad() {
	applied && ls_listener gateway "$INFRA/$GW" https ResolvedRefs:False:InvalidCACertificateRef \
		Accepted:False:NoValidCACertificate 'Programmed:False:*' &&
		mtls_fails 10443 example.org ""
}
tcase "Validate tls configuration does not impact HTTP listener" http_ok
tcase "Validate that invalid default configuration is impacting HTTPS listener" https_bad
