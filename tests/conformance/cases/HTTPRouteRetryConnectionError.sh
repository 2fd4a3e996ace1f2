# httproute-retry-connection-error.go: retry {attempts: 3} and no codes
# retries a reset connection (the echo resets succeedAfter times) up to 3
# more times; more resets than that answer 500 or 503.
cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: retries-connection-error, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /retry/no-status-code-attempts-3}}]
    retry: {attempts: 3}
    backendRefs: [{name: infra-backend-v3, port: 8080}]
YAML
APPLY_RC=$?
P=/retry/no-status-code-attempts-3
retried retries-connection-error 0 "succeeds after 2 retries on connection errors and max attempts is 3" \
	$P succeedAfter=2 200
retried retries-connection-error 1 "fails when required retries on connection errors exceed max attempts" \
	$P succeedAfter=4 500,503
