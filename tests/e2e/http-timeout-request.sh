# HTTP request timeout: one deadline from request head to response headers; a slower backend gets 504 "request timeout" at the deadline, a fast one 200 (HTTPRouteTimeoutRequest; seed 003 standalone requestTimeout against httpbin).
. "$(dirname "$0")/lib.sh"

start_backend slow
start_httpbin || { fail "httpbin did not start"; finish; }

# Gateway API conformance: HTTPRouteTimeoutRequest (timeouts.request 500ms).
mkdir -p "$WORK/k8s" "$WORK/standalone"
{
	gateway_yaml
	service_yaml slow "$BACKEND_PORT"
	cat <<'YAML'
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: request-timeout
  namespace: e2e
spec:
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /request-timeout
    timeouts:
      request: 500ms
    backendRefs:
    - name: slow
      port: PORT
YAML
} | sed "s/PORT/$BACKEND_PORT/" >"$WORK/k8s/gateway.yaml"

# Seed 003, standalone dialect: requestTimeout 1s on the route to httpbin.
cat >"$WORK/standalone/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: delay
      policies:
        timeout:
          requestTimeout: 1s
      backends:
      - host: 127.0.0.1:$HTTPBIN_PORT
YAML

for engine in $(engines); do
	echo "-- engine $engine: HTTPRouteTimeoutRequest"
	if start_engine "$engine" -c "$WORK/k8s"; then
		hcall 'http://127.0.0.1:8080/request-timeout?delay=1s'
		expect "timeouts.request 500ms, backend delay 1s -> 504 at ~0.5s" 504 "request timeout" 0.45 2
		hcall 'http://127.0.0.1:8080/request-timeout'
		expect "timeouts.request 500ms, no delay -> 200 echo" 200 '{*"path": "/request-timeout"*'
		hcall 'http://127.0.0.1:8080/request-timeout?delay=200ms'
		expect "timeouts.request 500ms, backend delay 200ms -> 200" 200 '{*' 0.15 0.5
		# The same client connection keeps working after a timed-out request.
		out=$(curl -s --max-time 10 -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
			'http://127.0.0.1:8080/request-timeout?delay=1s' 'http://127.0.0.1:8080/request-timeout' | tr '\n' ' ')
		check "504 then 200 on one client connection" "$out" "504 1 200 0 "
		stop_gateway
	else
		fail "gateway ($engine) did not start with the HTTPRouteTimeoutRequest config"
	fi

	echo "-- engine $engine: seed 003 standalone requestTimeout 1s (httpbin)"
	if start_engine "$engine" -c "$WORK/standalone"; then
		hcall http://127.0.0.1:8080/delay/2
		expect "requestTimeout 1s, httpbin /delay/2 -> 504 at ~1s" 504 "request timeout" 0.95 2.5
		hcall http://127.0.0.1:8080/delay/0
		expect "requestTimeout 1s, httpbin /delay/0 -> 200" 200 '*"url":"http://127.0.0.1:8080/delay/0"*'
		stop_gateway
	else
		fail "gateway ($engine) did not start with the seed 003 config"
	fi
done
finish
