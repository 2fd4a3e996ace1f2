# Retry counts on reused connections: a backend that reads the request on a pooled (kept-alive) connection and then resets it has had an attempt; with attempts: 3 it sees exactly 4 tries (HTTP/1 and h2c clients, every engine), never a fifth "free" one (Gateway API HTTPRouteRetryConnectionError).
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
{
	gateway_yaml
	service_yaml echo "$B"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: retry, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - retry: {attempts: 3, codes: [500]}
    backendRefs: [{name: echo, port: $B}]
YAML
} >"$WORK/gateway.yaml"

G=http://127.0.0.1:8080
reuses() {
	curl -s http://127.0.0.1:15000/metrics |
		awk '/^splicegate_pool_reuse_total/ { n += $2 } END { print n + 0 }'
}

for engine in $(engines); do
	echo "-- engine $engine"
	# One worker: the warm-up's pooled connection is the one the next
	# request is offered.
	if ! start_engine "$engine" -c "$WORK/gateway.yaml" --workers 1; then
		fail "gateway ($engine) did not start"
		continue
	fi
	for client in http1 h2c; do
		opt=--http1.1
		[ $client = h2c ] && opt=--http2-prior-knowledge
		hcall $opt "$G/get"
		expect "$client: warm-up leaves a pooled connection" 200 '{*'
		before=$(reuses)
		u=$(new_uuid)
		hcall $opt "$G/get?mode=reset&uuid=$u"
		expect "$client: always reset after reading, attempts 3 -> 503" 503 'upstream call failed: ?*'
		check "$client: the first try went out on the pooled connection" \
			"$([ "$(reuses)" -gt "$before" ] && echo reused || echo "not reused")" reused
		check "$client: attempts 3 -> exactly 4 tries" "$(backend_count "$B" "$u")" 4

		# One reset after reading on the pooled connection, then an
		# answer: the reset was try 1, the retry try 2.
		hcall $opt "$G/get"
		u=$(new_uuid)
		hcall $opt "$G/get?mode=reset&succeedAfter=2&uuid=$u"
		expect "$client: reset once after reading, then answer -> 200" 200 '{*"attempt": 2,*'
		check "$client: reset then answer: 2 tries" "$(backend_count "$B" "$u")" 2
	done
	stop_gateway
done
san_check
finish
