# httproute-invalid-reference-grant.go: ReferenceGrants that do not cover
# the backendRef (wrong namespace, from group, from kind, from namespace,
# to group, to kind, to name) leave it ResolvedRefs False RefNotPermitted
# and its requests get 500.
W=gateway-conformance-web-backend
G=gateway.networking.k8s.io
{
	grant reference-grant-wrong-namespace $INFRA $G HTTPRoute $INFRA "" Service web-backend
	grant reference-grant-wrong-from-group $W not-the-group-youre-looking-for HTTPRoute $INFRA "" Service web-backend
	grant reference-grant-wrong-from-kind $W $G Gateway $INFRA "" Service web-backend
	grant reference-grant-wrong-from-namespace $W $G HTTPRoute not-the-namespace-youre-looking-for "" Service web-backend
	grant reference-grant-wrong-to-group $W $G HTTPRoute $INFRA not-the-group-youre-looking-for Service web-backend
	grant reference-grant-wrong-to-kind $W $G HTTPRoute $INFRA "" Secret web-backend
	grant reference-grant-wrong-to-name $W $G HTTPRoute $INFRA "" Secret not-the-service-youre-looking-for
	xns_route reference-grant $W web-backend
} | apply
APPLY_RC=$?
refused() { applied && parent HTTPRoute $INFRA/reference-grant $INFRA/same-namespace ResolvedRefs False RefNotPermitted; }
req() { applied && http 8080 "" / 500; }
tcase "HTTPRoute with BackendRef in another namespace and no ReferenceGrant covering the Service has a ResolvedRefs Condition with status False and Reason RefNotPermitted" refused
tcase "Simple HTTP request not should reach web-backend" req
