# httproute-retry.go: a rule's retry {codes, attempts} retries the listed
# codes up to attempts more times (the echo fails succeedAfter times with
# responseCode), and answers the last failure when that is not enough; a
# code not listed is not retried.
cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: retries, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /retry/code-500-attempts-3}}]
    retry: {codes: [500], attempts: 3}
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /retry/code-all-attempts-2}}]
    retry: {codes: [500, 502, 503, 504], attempts: 2}
    backendRefs: [{name: infra-backend-v3, port: 8080}]
YAML
APPLY_RC=$?
P3=/retry/code-500-attempts-3
PA=/retry/code-all-attempts-2
F="fails when required retries on"
i=0
r() { # NAME PATH CODE SUCCEED-AFTER WANT
	retried retries $i "$1" "$2" "responseCode=$3&succeedAfter=$4" "$5"
	i=$((i + 1))
}
r "succeeds after 2 retries when retry is configured for status code 500 and max attempts is 3" $P3 500 2 200
r "$F 500 exceed max attempts" $P3 500 4 500
r "does not retry on 503 when retry is only configured for status code 500" $P3 503 2 503
r "succeeds after 1 retry on 500 when retry is configured for all status code and max attempts is 2" $PA 500 1 200
r "$F 500 exceed max attempts" $PA 500 3 500
for code in 502 503 504; do
	r "succeeds after 1 retry on $code when retry is configured for all status code and max attempts is 2" \
		$PA $code 1 200
	r "$F $code exceed max attempts" $PA $code 3 $code
done
