# gateway-secret-invalid-reference-grant.go: a certificateRef to a Secret
# in another namespace, with ReferenceGrants that do not cover it, is
# ResolvedRefs False RefNotPermitted on the listener.
W=gateway-conformance-web-backend
G=gateway.networking.k8s.io
{
	cat <<YAML
$(gw_head gateway-secret-invalid-reference-grant)
  - name: https
    port: 9443
    protocol: HTTPS
    allowedRoutes: {namespaces: {from: All}}
    tls: {certificateRefs: [{group: "", kind: Secret, name: certificate, namespace: $W}]}
YAML
	front_secret certificate $W
	grant reference-grant-wrong-namespace gateway-conformance-app-backend $G Gateway $INFRA "" Secret certificate
	grant reference-grant-wrong-from-group $W not-the-group-youre-looking-for Gateway $INFRA "" Secret certificate
	grant reference-grant-wrong-from-kind $W $G HTTPRoute $INFRA "" Secret certificate
	grant reference-grant-wrong-from-namespace $W $G Gateway not-the-namespace-youre-looking-for "" Secret certificate
	grant reference-grant-wrong-to-group $W $G Gateway $INFRA not-the-group-youre-looking-for Secret certificate
	grant reference-grant-wrong-to-kind $W $G Gateway $INFRA "" Service certificate
	grant reference-grant-wrong-to-name $W $G Gateway $INFRA "" Secret not-the-certificate-youre-looking-for
} | apply
APPLY_RC=$?
refused() {
	applied && listeners_count $INFRA/gateway-secret-invalid-reference-grant 1 &&
		listener $INFRA/gateway-secret-invalid-reference-grant https ResolvedRefs False RefNotPermitted HTTPRoute
}
tcase "Gateway listener should have a false ResolvedRefs condition with reason RefNotPermitted" refused
