# HTTP/2 streams get the HTTP/1.1 timeouts and retries: request timeout 504 "request timeout" at the deadline, per-try timeouts retried until a fast try answers (x-retry-attempt), listed codes retried and the last response returned unchanged when tries run out, small bodies replayed byte-identical and large ones not retried, connect failures 503 with the exact body; a slow stream does not hold up a fast one on the same connection.
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
DEAD=$(free_port) # nothing listens there

mkdir -p "$WORK/cfg"
{
	gateway_yaml
	service_yaml echo "$B"
	service_yaml dead "$DEAD"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: h2
  namespace: e2e
spec:
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - name: request-timeout
    matches:
    - path: {type: PathPrefix, value: /request-timeout}
    timeouts:
      request: 500ms
    backendRefs:
    - {name: echo, port: $B}
  - name: per-try
    matches:
    - path: {type: PathPrefix, value: /per-try}
    timeouts:
      backendRequest: 200ms
    retry:
      attempts: 3
    backendRefs:
    - {name: echo, port: $B}
  - name: codes
    matches:
    - path: {type: PathPrefix, value: /codes}
    retry:
      attempts: 3
      backoff: 100ms
      codes: [500]
    backendRefs:
    - {name: echo, port: $B}
  - name: dead
    matches:
    - path: {type: PathPrefix, value: /dead}
    retry:
      attempts: 1
    backendRefs:
    - {name: dead, port: $DEAD}
YAML
} >"$WORK/cfg/gateway.yaml"

G=http://127.0.0.1:8080
h2() {
	hcall --http2-prior-knowledge "$@"
}
head -c 10240 /dev/urandom >"$WORK/small.bin"
head -c 102400 /dev/urandom >"$WORK/large.bin"
for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg"; then
		fail "gateway ($engine) did not start"
		continue
	fi

	h2 "$G/request-timeout?delay=1s"
	expect "h2: timeouts.request 500ms, backend 1s -> 504 at ~0.5s" 504 "request timeout" 0.45 1
	h2 "$G/request-timeout?delay=100ms"
	expect "h2: timeouts.request 500ms, backend 100ms -> 200" 200 '{*' 0.08 0.5

	u=$(new_uuid)
	h2 "$G/per-try?delay=50ms&delayRetry=1s&succeedAfter=3&uuid=$u"
	expect "h2: backendRequest 200ms, two slow tries then a fast one -> 200 after ~0.45s" 200 \
		'{*"attempt": 3,*' 0.4 1.5
	check "h2: 3 tries" "$(backend_count "$B" "$u")" 3
	check "h2: the answering try carries x-retry-attempt: 2" "$(echo_header x-retry-attempt)" 2
	u=$(new_uuid)
	h2 "$G/per-try?delay=1s&uuid=$u"
	expect "h2: always slow, attempts 3 -> 504 upstream call timeout after 4 tries" 504 \
		"upstream call timeout" 0.75 2
	check "h2: always slow: 4 tries" "$(backend_count "$B" "$u")" 4

	u=$(new_uuid)
	h2 "$G/codes?responseCode=500&succeedAfter=3&uuid=$u"
	expect "h2: codes [500], 500 500 200 -> 200" 200 '{*"attempt": 3,*' 0.18 1.5
	u=$(new_uuid)
	h2 "$G/codes?responseCode=500&uuid=$u"
	expect "h2: codes [500], always 500 -> the last 500 unchanged" 500 '{*"attempt": 4,*'
	grep -qi '^x-backend: echo' "$H_HEADERS" && pass "h2: exhausted: the backend's headers reach the client" ||
		fail "h2: exhausted: no x-backend header"
	u=$(new_uuid)
	h2 "$G/codes?responseCode=503&uuid=$u"
	expect "h2: unlisted 503 -> at once" 503 '{*"attempt": 1,*'

	u=$(new_uuid)
	h2 --data-binary @"$WORK/small.bin" "$G/codes/upload?responseCode=500&succeedAfter=2&uuid=$u"
	check "h2: 10 KiB POST replayed byte-identical on the retry" \
		"$H_CODE $(jq -r '"\(.bytes) \(.sha256)"' <<<"$H_BODY") $(backend_count "$B" "$u")" \
		"200 10240 $(sha256_of <"$WORK/small.bin") 2"
	u=$(new_uuid)
	h2 --data-binary @"$WORK/large.bin" "$G/codes/upload?responseCode=500&succeedAfter=2&uuid=$u"
	check "h2: 100 KiB POST is not retried: its 500 arrives, body whole" \
		"$H_CODE $(jq -r '"\(.bytes) \(.sha256)"' <<<"$H_BODY") $(backend_count "$B" "$u")" \
		"500 102400 $(sha256_of <"$WORK/large.bin") 1"

	h2 "$G/dead"
	expect "h2: connection refused, retried once -> 503" 503 \
		"upstream call failed: connect: connection refused"

	# Two streams on one connection: the fast one is not held by the slow one.
	# (nghttp sends both at once; its first request is stream 13, the
	# second 15, after its priority placeholders.)
	timeout 10 nghttp -v "$G/request-timeout?delay=2s" "$G/request-timeout?delay=0s" 2>&1 |
		sed -n 's/^\[ *\([0-9.]*\)\] recv (stream_id=\([0-9]*\)) :status: \([0-9]*\)/\2 \3 \1/p' |
		sort -n >"$WORK/par"
	fast=$(awk '$1 == 15 {print $2, $3}' "$WORK/par")
	slow=$(awk '$1 == 13 {print $2, $3}' "$WORK/par")
	if [ "${fast%% *}" = 200 ] && time_in "${fast##* }" 0 0.4 && [ "${slow%% *}" = 504 ] &&
		time_in "${slow##* }" 0.45 1; then
		pass "h2: a fast stream beside a timing-out one on one connection (fast: $fast s, slow: $slow s)"
	else
		fail "h2: parallel streams (stream status seconds): $(cat "$WORK/par")"
	fi
	stop_gateway
done
finish
