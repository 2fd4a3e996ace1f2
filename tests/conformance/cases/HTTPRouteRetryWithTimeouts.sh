# httproute-retry-with-timeouts.go: a try the echo holds past
# timeouts.backendRequest is retried (retry without codes), and 504 once
# the tries are spent; timeouts.request bounds all tries together: tries
# that fit answer, tries that do not (each failing one held 100ms) 504.
cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: retries-with-timeouts, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /retry/backend-request-timeout-200ms}}]
    retry: {attempts: 2}
    timeouts: {backendRequest: 200ms}
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /retry/request-timeout-200ms}}]
    retry: {codes: [500], attempts: 5}
    timeouts: {backendRequest: 200ms, request: 400ms}
    backendRefs: [{name: infra-backend-v3, port: 8080}]
YAML
APPLY_RC=$?
B=/retry/backend-request-timeout-200ms
Q=/retry/request-timeout-200ms
R=retries-with-timeouts
retried $R 0 "succeeds after 2 retries on backend timeout with max attempts is 3" \
	$B "delayRetry=300ms&responseCode=500&succeedAfter=2" 200
retried $R 1 "fails when required retries on backend timeout exceed max attempts" \
	$B "delayRetry=300ms&responseCode=500&succeedAfter=3" 504
retried $R 2 "succeeds when retries complete within the request timeout" \
	$Q "responseCode=500&succeedAfter=1" 200
retried $R 3 "fails with 504 when retry delays exceed the request timeout" \
	$Q "delayRetry=100ms&responseCode=500&succeedAfter=4" 504
