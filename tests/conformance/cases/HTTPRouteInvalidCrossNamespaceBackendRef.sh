# httproute-invalid-cross-namespace-backend-ref.go: a backendRef to
# another namespace without a ReferenceGrant: ResolvedRefs False
# RefNotPermitted, requests 500.
one_rule_route invalid-cross-namespace-backend-ref \
	"{name: web-backend, namespace: gateway-conformance-web-backend, port: 8080}" | apply
APPLY_RC=$?
tcase "HTTPRoute with a cross-namespace BackendRef and no ReferenceGrant has a ResolvedRefs Condition with status False and Reason RefNotPermitted" invalid_ref invalid-cross-namespace-backend-ref RefNotPermitted
tcase "HTTP Request to invalid cross-namespace backend must receive a 500" http 8080 "" / 500
