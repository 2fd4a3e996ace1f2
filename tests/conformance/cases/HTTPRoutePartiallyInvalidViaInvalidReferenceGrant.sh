# httproute-partially-invalid-via-invalid-reference-grant.go: a grant for
# app-backend-v1 only: the rule to app-backend-v2 is RefNotPermitted (500),
# the sibling rule to app-backend-v1 serves.
A=gateway-conformance-app-backend
{
	grant invalid-reference-grant $A gateway.networking.k8s.io HTTPRoute $INFRA "" Service app-backend-v1
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: invalid-reference-grant, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /v2}}]
    backendRefs: [{name: app-backend-v2, namespace: $A, port: 8080}]
  - backendRefs: [{name: app-backend-v1, namespace: $A, port: 8080}]
YAML
} | apply
APPLY_RC=$?
refused() { applied && parent HTTPRoute $INFRA/invalid-reference-grant $INFRA/same-namespace ResolvedRefs False RefNotPermitted; }
tcase "HTTPRoute with BackendRef in another namespace and no ReferenceGrant covering the Service has a ResolvedRefs Condition with status False and Reason RefNotPermitted" refused
tcase "HTTP Request to invalid backend with missing referenceGrant should receive a 500" http 8080 "" /v2 500
tcase "HTTP Request to valid sibling backend should succeed" http 8080 "" / 200 app-backend-v1
