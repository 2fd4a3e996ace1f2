# gateway-with-clientcertificate-validation-insecure-fallback.go: the
# same Gateway as GatewayFrontendClientCertificateValidation's in mode
# AllowInsecureFallback serves a client with its CA's certificate, with
# the other CA's and with none; the Gateway says so
# (InsecureFrontendValidationMode True, ConfigurationChanged).
# shellcheck source=GatewayFrontendClientCertificateValidation.sh
. "$HERE/cases/GatewayFrontendClientCertificateValidation.sh"
GW=client-validation-insecure-fallback
R=client-cert-validation-insecure-fallback-test
{
	validation_gateway $GW AllowInsecureFallback $R
	client_certs
} | apply
APPLY_RC=$?
insecure() {
	validation_ready $GW $R && gw_cond "$INFRA/$GW" InsecureFrontendValidationMode True ConfigurationChanged
}
through() { # PORT HOST CLIENT BACKEND
	validation_ready $GW $R && mtls "$1" "$2" "$3" 200 "$4"
}
tcase "Validate InsecureFrontendValidationMode status condition on the Gateway" insecure
D="Validate default TLS configuration"
P="Validate per port TLS configuration"
tcase "$D/Send request to the first listener with matching client certificate and validate that it is passing" \
	through 10443 example.org vc-client infra-backend-v1
tcase "$D/Send request to the first listener with non-matching client certificate and validate that it is passing" \
	through 10443 example.org pp-client infra-backend-v1
tcase "$D/Send request to the first listener without client certificate and validate that it is passing" \
	through 10443 example.org "" infra-backend-v1
tcase "$P/Send request to the second listener with matching client certificate and validate that it is passing" \
	through 18443 second-example.org pp-client infra-backend-v2
tcase "$P/Send request to the second listener with non-matching client certificate and validate that it is passing" \
	through 18443 second-example.org vc-client infra-backend-v2
tcase "$P/Send request to the second listener without client certificate and validate that it is passing" \
	through 18443 second-example.org "" infra-backend-v2
