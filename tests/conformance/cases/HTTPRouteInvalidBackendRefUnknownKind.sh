# httproute-invalid-backendref-unknown-kind.go: a backendRef of a kind
# that is not served: ResolvedRefs False InvalidKind, requests 500.
one_rule_route invalid-backend-ref-unknown-kind \
	"{group: unknownkind.example.com, kind: NonExistent, name: infra-backend-v1, port: 8080}" | apply
APPLY_RC=$?
tcase "HTTPRoute with Invalid Kind has a ResolvedRefs Condition with status False and Reason InvalidKind" invalid_ref invalid-backend-ref-unknown-kind InvalidKind
tcase "HTTP Request to invalid backend with invalid Kind receives a 500" http 8080 "" /v2 500
