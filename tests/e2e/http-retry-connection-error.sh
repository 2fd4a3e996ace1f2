# HTTP connection errors: a reset or closed backend connection before response headers is retried, exhausted tries give 503 "upstream call failed: ...", a refused connect gives exactly "upstream call failed: connect: connection refused", and a response cut mid-body is never retried (HTTPRouteRetryConnectionError).
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
# Counted exhaustion cases go to their own backend, where every try is a
# fault, so no kept-alive connection exists whose failure the gateway may
# take for a stale pooled connection and retry once on its own.
start_backend faulty
F=$BACKEND_PORT
DEAD=$(free_port)    # nothing listens here
mkdir -p "$WORK/cfg"
{
	gateway_yaml
	service_yaml echo "$B"
	service_yaml faulty "$F"
	service_yaml dead "$DEAD"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: connection-error
  namespace: e2e
spec:
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - name: retried
    matches:
    - path:
        type: PathPrefix
        value: /retried
    retry:
      attempts: 2
      codes: [500]
    backendRefs:
    - name: echo
      port: $B
  - name: exhaust
    matches:
    - path:
        type: PathPrefix
        value: /exhaust
    retry:
      attempts: 2
      codes: [500]
    backendRefs:
    - name: faulty
      port: $F
  - name: once
    matches:
    - path:
        type: PathPrefix
        value: /once
    backendRefs:
    - name: echo
      port: $B
  - name: refused
    matches:
    - path:
        type: PathPrefix
        value: /refused
    backendRefs:
    - name: dead
      port: $DEAD
  - name: refused-retried
    matches:
    - path:
        type: PathPrefix
        value: /refused-retried
    retry:
      attempts: 2
    backendRefs:
    - name: dead
      port: $DEAD
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
	hcall "$G/retried?mode=reset&succeedAfter=2&uuid=$u"
	expect "reset once, then answer -> retried, 200" 200 '{*"attempt": 2,*'
	check "reset then answer: 2 tries" "$(backend_count "$B" "$u")" 2

	u=$(new_uuid)
	hcall "$G/retried?mode=close&succeedAfter=3&uuid=$u"
	expect "closed (FIN) twice, then answer -> retried, 200" 200 '{*"attempt": 3,*'
	check "close close answer: 3 tries" "$(backend_count "$B" "$u")" 3

	u=$(new_uuid)
	hcall "$G/retried?mode=garbage&succeedAfter=2&uuid=$u"
	expect "non-HTTP bytes once, then answer -> retried, 200" 200 '{*"attempt": 2,*'

	u=$(new_uuid)
	hcall "$G/exhaust?mode=reset&uuid=$u"
	expect "always reset, attempts 2 -> 503" 503 'upstream call failed: ?*'
	check "always reset, attempts 2: 3 tries" "$(backend_count "$F" "$u")" 3

	u=$(new_uuid)
	hcall "$G/exhaust?mode=close&uuid=$u"
	expect "always closed before headers, attempts 2 -> 503" 503 'upstream call failed: ?*'
	check "always closed, attempts 2: 3 tries" "$(backend_count "$F" "$u")" 3

	u=$(new_uuid)
	hcall "$G/once?mode=reset&uuid=$u"
	expect "reset without a retry policy -> 503" 503 'upstream call failed: ?*'

	u=$(new_uuid)
	hcall "$G/once?mode=close&uuid=$u"
	expect "closed before headers without a retry policy -> 503" 503 'upstream call failed: ?*'

	u=$(new_uuid)
	hcall "$G/once?mode=garbage&uuid=$u"
	expect "non-HTTP bytes from the backend -> 503" 503 'upstream call failed: ?*'

	hcall "$G/refused"
	expect "nothing listening -> 503 connection refused" 503 "upstream call failed: connect: connection refused"
	hcall "$G/refused-retried"
	expect "nothing listening, attempts 2 -> 503 connection refused" 503 "upstream call failed: connect: connection refused" 0 1

	# Headers and half the body went out: the gateway cannot retry; the
	# client sees the cut (curl exit 18, partial transfer).
	u=$(new_uuid)
	rc=0
	out=$(curl -s -o "$WORK/partial" -w '%{http_code}' --max-time 10 "$G/retried?mode=closemid&size=100000&uuid=$u") || rc=$?
	check "closed mid-body: status 200 and curl exit 18 (partial transfer)" "$out $rc" "200 18"
	check "closed mid-body: the first half arrived" "$(stat -c %s "$WORK/partial")" 50000
	check "closed mid-body: not retried (1 try)" "$(backend_count "$B" "$u")" 1

	# The gateway still serves normally afterwards.
	hcall "$G/once"
	expect "a normal request after the failures -> 200" 200 '{*'

	stop_gateway
done
finish
