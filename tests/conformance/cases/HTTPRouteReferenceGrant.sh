# httproute-reference-grant.go: a ReferenceGrant lets an HTTPRoute send to
# a Service in another namespace; deleting it makes the requests 500.
W=gateway-conformance-web-backend
{
	grant reference-grant $W gateway.networking.k8s.io HTTPRoute $INFRA "" Service web-backend
	xns_route reference-grant $W web-backend
} | apply
APPLY_RC=$?
deleted() {
	applied && "$SG_BIN" delete referencegrant reference-grant -n $W >/dev/null 2>&1 &&
		http 8080 "" / 500
}
tcase "Simple HTTP request should reach web-backend" http 8080 "" / 200 web-backend
tcase "Simple HTTP request should return 500 after deleting the relevant reference grant" deleted
