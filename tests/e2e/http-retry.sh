# HTTP retries: listed codes are retried up to `attempts` retries with a fixed backoff and x-retry-attempt, unlisted codes never, exhaustion returns the last response unchanged (HTTPRouteRetry; seed 004: 517 from httpbin tried 4 times ~1s apart).
. "$(dirname "$0")/lib.sh"

start_backend b1
B=$BACKEND_PORT
# A second pod of one Service: same port, another loopback address.
start_backend_at b2 127.0.0.2 "$B" || { fail "backend on 127.0.0.2:$B did not start"; finish; }
start_httpbin || { fail "httpbin did not start"; finish; }

mkdir -p "$WORK/cfg"
{
	service_yaml echo "$B"
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata:
  name: pair
  namespace: e2e
spec:
  ports:
  - name: http
    port: $B
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: pair-1
  namespace: e2e
  labels:
    kubernetes.io/service-name: pair
addressType: IPv4
endpoints:
- addresses: [127.0.0.1]
- addresses: [127.0.0.2]
ports:
- name: http
  port: $B
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: retry
  namespace: e2e
spec:
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - name: codes-500
    matches:
    - path:
        type: PathPrefix
        value: /retry-500
    retry:
      attempts: 3
      codes: [500]
    backendRefs:
    - name: echo
      port: $B
  - name: codes-5xx
    matches:
    - path:
        type: PathPrefix
        value: /retry-5xx
    retry:
      attempts: 2
      codes: [500, 501, 502, 503, 504]
    backendRefs:
    - name: echo
      port: $B
  - name: backoff
    matches:
    - path:
        type: PathPrefix
        value: /backoff
    retry:
      attempts: 2
      backoff: 300ms
      codes: [500]
    backendRefs:
    - name: echo
      port: $B
  - name: default-attempts
    matches:
    - path:
        type: PathPrefix
        value: /default-attempts
    retry:
      codes: [500]
    backendRefs:
    - name: echo
      port: $B
  - name: no-retry
    matches:
    - path:
        type: PathPrefix
        value: /no-retry
    backendRefs:
    - name: echo
      port: $B
  - name: other-endpoint
    matches:
    - path:
        type: PathPrefix
        value: /pair
    retry:
      attempts: 1
      codes: [500]
    backendRefs:
    - name: pair
      port: $B
---
# Seed 004's route, pointed at the counting backend (httpbin cannot count).
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: retry-count
  namespace: e2e
spec:
  hostnames:
  - retry-count.example
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /
    backendRefs:
    - name: echo
      port: $B
    retry:
      attempts: 3
      backoff: 1s
      codes:
      - 517
    timeouts:
      backendRequest: 5s
YAML
} >"$WORK/cfg/gateway.yaml"
# Seed 004 itself: the seed's base resources (the Gateway and the httpbin
# Service) and its retry route, with httpbin on its own port instead of 8000.
seed_yaml seeds/base.yaml | sed "s/8000/$HTTPBIN_PORT/g" >"$WORK/cfg/base.yaml"
sed "s/8000/$HTTPBIN_PORT/g" seeds/004-retry.yaml >"$WORK/cfg/004-retry.yaml"

G=http://127.0.0.1:8080
for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg"; then
		fail "gateway ($engine) did not start"
		continue
	fi

	u=$(new_uuid)
	hcall "$G/retry-500?responseCode=500&succeedAfter=3&uuid=$u"
	expect "codes [500] attempts 3, 500 500 200 -> 200" 200 '{*"attempt": 3,*'
	check "codes [500] attempts 3: tried 3 times" "$(backend_count "$B" "$u")" 3
	check "third try carries x-retry-attempt: 2" "$(echo_header x-retry-attempt)" 2

	u=$(new_uuid)
	hcall "$G/retry-500?responseCode=500&succeedAfter=2&uuid=$u"
	expect "codes [500], 500 then 200 -> 200" 200 '{*"attempt": 2,*'
	check "second try carries x-retry-attempt: 1" "$(echo_header x-retry-attempt)" 1

	u=$(new_uuid)
	hcall "$G/retry-500?uuid=$u"
	expect "first try succeeds -> 200" 200 '{*"attempt": 1,*'
	check "first try has no x-retry-attempt" "$(echo_header x-retry-attempt)" ""

	u=$(new_uuid)
	hcall "$G/retry-500?responseCode=500&succeedAfter=9&uuid=$u"
	expect "codes [500] attempts 3, always 500 -> last 500 unchanged" 500 '{*"attempt": 4,*'
	check "codes [500] attempts 3, always 500: tried 4 times" "$(backend_count "$B" "$u")" 4
	grep -qi '^x-backend: b1' "$H_HEADERS" && pass "exhausted: the backend's own response headers reach the client" ||
		fail "exhausted: response lacks the backend's x-backend header"

	u=$(new_uuid)
	hcall "$G/retry-5xx?responseCode=503&uuid=$u"
	expect "codes 500-504 attempts 2, always 503 -> 503 (the third try's response)" 503 '{*"attempt": 3,*'
	check "codes 500-504 attempts 2: tried 3 times" "$(backend_count "$B" "$u")" 3

	u=$(new_uuid)
	hcall "$G/retry-5xx?responseCode=502&succeedAfter=2&uuid=$u"
	expect "codes 500-504, 502 then 200 -> 200" 200 '{*"attempt": 2,*'

	u=$(new_uuid)
	hcall "$G/retry-500?responseCode=503&uuid=$u"
	expect "unlisted 503 (codes [500]) -> 503 at once" 503 '{*"attempt": 1,*'
	check "unlisted 503: tried once" "$(backend_count "$B" "$u")" 1

	u=$(new_uuid)
	hcall "$G/no-retry?responseCode=500&uuid=$u"
	expect "route without retry: 500 returned" 500 '{*'
	check "route without retry: tried once" "$(backend_count "$B" "$u")" 1

	u=$(new_uuid)
	hcall "$G/default-attempts?responseCode=500&uuid=$u"
	expect "retry without attempts, always 500 -> 500" 500 '{*"attempt": 2,*'
	check "retry without attempts means one retry: tried 2 times" "$(backend_count "$B" "$u")" 2

	# Request bodies up to 64 KiB are replayed on a retry; larger ones are not retried.
	head -c 10240 /dev/urandom >"$WORK/small.bin"
	head -c 102400 /dev/urandom >"$WORK/large.bin"
	u=$(new_uuid)
	hcall --data-binary @"$WORK/small.bin" -H 'Content-Type: application/octet-stream' \
		"$G/retry-500/upload?responseCode=500&succeedAfter=2&uuid=$u"
	expect "10 KiB POST, 500 then 200 -> 200" 200 '{*'
	check "10 KiB POST replayed byte-identical on the retry" "$(jq -r '"\(.bytes) \(.sha256)"' <<<"$H_BODY")" \
		"10240 $(sha256sum <"$WORK/small.bin" | cut -d' ' -f1)"
	check "10 KiB POST: tried 2 times" "$(backend_count "$B" "$u")" 2
	u=$(new_uuid)
	hcall --data-binary @"$WORK/large.bin" -H 'Content-Type: application/octet-stream' \
		"$G/retry-500/upload?responseCode=500&succeedAfter=2&uuid=$u"
	expect "100 KiB POST (over 64 KiB), 500 -> not retried, 500" 500 '{*'
	check "100 KiB POST arrived whole on its one try" "$(jq -r '"\(.bytes) \(.sha256)"' <<<"$H_BODY")" \
		"102400 $(sha256sum <"$WORK/large.bin" | cut -d' ' -f1)"
	check "100 KiB POST: tried once" "$(backend_count "$B" "$u")" 1

	u=$(new_uuid)
	hcall "$G/backoff?responseCode=500&uuid=$u"
	expect "attempts 2 backoff 300ms, always 500 -> 500 after two backoffs" 500 '{*"attempt": 3,*' 0.55 2
	check "backoff route: tried 3 times" "$(backend_count "$B" "$u")" 3

	u=$(new_uuid)
	hcall "$G/backoff?responseCode=500&succeedAfter=2&uuid=$u"
	expect "attempts 2 backoff 300ms, 500 then 200 -> 200 after one backoff" 200 '{*' 0.28 1.5

	u=$(new_uuid)
	hcall "$G/pair?responseCode=500&uuid=$u"
	expect "two endpoints, attempts 1, always 500 -> 500" 500 '{*'
	c1=$(backend_count "$B" "$u")
	c2=$(curl -s --max-time 5 "http://127.0.0.2:$B/count?uuid=$u" | jq -r .attempts)
	check "the retry went to the other endpoint (tries at 127.0.0.1, 127.0.0.2)" "$c1 $c2" "1 1"

	# Seed 004, counted: attempts 3, backoff 1s, codes [517] -> 4 tries ~1s apart.
	u=$(new_uuid)
	hcall -H 'Host: retry-count.example' "$G/status/517?responseCode=517&uuid=$u"
	expect "seed 004 route on sgbackend: 517 after 3 backoffs of 1s" 517 '{*"attempt": 4,*' 2.9 6
	check "seed 004 route on sgbackend: tried 4 times" "$(backend_count "$B" "$u")" 4

	# Seed 004 as written, against httpbin.
	hcall -H 'Host: retry.example' "$G/status/517"
	expect "seed 004: httpbin /status/517 -> 517 after ~3s" 517 '*' 2.9 6
	hcall -H 'Host: retry.example' "$G/status/200"
	expect "seed 004: httpbin /status/200 -> 200 at once" 200 '*' 0 1

	stop_gateway
done
finish
