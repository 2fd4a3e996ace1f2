# HTTP retries with timeouts: a per-try backendRequest timeout is retried (no codes needed) until a fast try answers 200, while timeouts.request stays one total budget over all tries and backoffs and ends in 504 "request timeout" (HTTPRouteRetryWithTimeouts).
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
mkdir -p "$WORK/cfg"
{
	gateway_yaml
	service_yaml echo "$B"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: retry-timeouts
  namespace: e2e
spec:
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - name: per-try
    matches:
    - path:
        type: PathPrefix
        value: /per-try
    timeouts:
      backendRequest: 200ms
    retry:
      attempts: 3
    backendRefs:
    - name: echo
      port: $B
  - name: budget
    matches:
    - path:
        type: PathPrefix
        value: /budget
    timeouts:
      request: 400ms
      backendRequest: 200ms
    retry:
      attempts: 5
    backendRefs:
    - name: echo
      port: $B
  - name: backoff-budget
    matches:
    - path:
        type: PathPrefix
        value: /backoff-budget
    timeouts:
      request: 500ms
    retry:
      attempts: 2
      backoff: 1s
      codes: [500]
    backendRefs:
    - name: echo
      port: $B
YAML
} >"$WORK/cfg/gateway.yaml"

G=http://127.0.0.1:8080
for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg"; then
		fail "gateway ($engine) did not start"
		continue
	fi

	u=$(new_uuid)
	hcall "$G/per-try?delay=50ms&delayRetry=1s&succeedAfter=3&uuid=$u"
	expect "backendRequest 200ms, two slow tries then a fast one -> 200 after ~0.45s" 200 '{*"attempt": 3,*' 0.4 1.5
	check "two timed-out tries and the answering one: 3 tries" "$(backend_count "$B" "$u")" 3
	check "the answering try carries x-retry-attempt: 2" "$(echo_header x-retry-attempt)" 2

	u=$(new_uuid)
	hcall "$G/per-try?delay=1s&uuid=$u"
	expect "backendRequest 200ms, always slow, attempts 3 -> 504 after 4 tries (~0.8s)" 504 "upstream call timeout" 0.75 2
	check "always slow: 4 tries" "$(backend_count "$B" "$u")" 4

	u=$(new_uuid)
	hcall "$G/budget?delay=1s&uuid=$u"
	expect "request 400ms over tries of 200ms, always slow -> 504 request timeout at ~0.4s" 504 "request timeout" 0.38 1
	check "request budget 400ms: exactly 2 tries fit" "$(backend_count "$B" "$u")" 2

	u=$(new_uuid)
	hcall "$G/budget?delay=10ms&delayRetry=1s&succeedAfter=2&uuid=$u"
	expect "request 400ms, one slow try then a fast one -> 200 within the budget" 200 '{*"attempt": 2,*' 0.2 0.4

	u=$(new_uuid)
	hcall "$G/backoff-budget?responseCode=500&uuid=$u"
	expect "request 500ms, backoff 1s -> the deadline ends the backoff: 504 request timeout at ~0.5s" 504 "request timeout" 0.45 0.95
	check "deadline in the backoff: no second try" "$(backend_count "$B" "$u")" 1

	stop_gateway
done
finish
