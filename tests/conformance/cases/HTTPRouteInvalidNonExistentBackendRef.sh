# httproute-invalid-nonexistent-backendref.go: a backendRef to a Service
# that does not exist: ResolvedRefs False BackendNotFound, requests 500.
one_rule_route invalid-nonexistent-backend-ref "{name: nonexistent, namespace: $INFRA, port: 8080}" | apply
APPLY_RC=$?
tcase "HTTPRoute with only a nonexistent BackendRef has a ResolvedRefs Condition with status False and Reason BackendNotFound" invalid_ref invalid-nonexistent-backend-ref BackendNotFound
tcase "HTTP Request to invalid nonexistent backend receive a 500" http 8080 "" / 500
