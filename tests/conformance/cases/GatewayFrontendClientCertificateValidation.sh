# gateway-with-clientcertificate-validation.go: a Gateway's
# spec.tls.frontend.default asks the HTTPS listener on its port (443 here
# 10443) for a client certificate of one CA, its perPort entry asks the
# listener on 8443 (here 18443) for one of another: each serves a client
# with its own CA's certificate and refuses one with the other's.
# The Gateway of gateway-with-clientcertificate-validation*.yaml: NAME,
# then MODE (validation mode lines, "" for the default).
validation_gateway() {
	local mode=${2:+"mode: $2, "}
	cat <<YAML
$(gw_head $1)
  - name: https
    port: 10443
    protocol: HTTPS
    allowedRoutes: {namespaces: {from: Same}}
    tls: {certificateRefs: [{group: "", kind: Secret, name: tls-validity-checks-certificate, namespace: $INFRA}]}
  - name: https-with-hostname
    port: 18443
    hostname: second-example.org
    protocol: HTTPS
    allowedRoutes: {namespaces: {from: Same}}
    tls: {certificateRefs: [{group: "", kind: Secret, name: tls-validity-checks-certificate, namespace: $INFRA}]}
  tls:
    frontend:
      default:
        validation: {${mode}caCertificateRefs: [{kind: ConfigMap, group: "", name: tls-validity-checks-ca-certificate}]}
      perPort:
      - port: 18443
        tls:
          validation: {${mode}caCertificateRefs: [{kind: ConfigMap, group: "", name: tls-validity-checks-per-port-ca-certificate}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $3, namespace: $INFRA}
spec:
  parentRefs: [{name: $1}]
  hostnames: [example.org]
  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $3-no-hostname, namespace: $INFRA}
spec:
  parentRefs: [{name: $1, sectionName: https-with-hostname}]
  rules: [{backendRefs: [{name: infra-backend-v2, port: 8080}]}]
YAML
}
# validation_ready GW ROUTE: the Gateway and both routes accepted, the
# routes' refs resolved (GatewayAndRoutesMustBeAccepted,
# HTTPRouteMustHaveResolvedRefsConditionsTrue).
validation_ready() {
	local r
	applied && gw_cond "$INFRA/$1" Accepted True '*' || return 1
	for r in "$2" "$2-no-hostname"; do
		parent HTTPRoute "$INFRA/$r" "$INFRA/$1" Accepted True Accepted &&
			parent HTTPRoute "$INFRA/$r" "$INFRA/$1" ResolvedRefs True ResolvedRefs || return 1
	done
}
if [ "$TEST" = GatewayFrontendClientCertificateValidation ]; then
	{
		validation_gateway client-validation-default "" client-certificate-validation-https-test
		client_certs
	} | apply
	APPLY_RC=$?
	ok() { validation_ready client-validation-default client-certificate-validation-https-test; }
	default() {
		ok && mtls 10443 example.org vc-client 200 infra-backend-v1 &&
			mtls_fails 10443 example.org pp-client
	}
	per_port() {
		ok && mtls 18443 second-example.org pp-client 200 infra-backend-v2 &&
			mtls_fails 18443 second-example.org vc-client
	}
	tcase "Validate default configuration" default
	tcase "Validate per port configuration" per_port
fi
