# HTTP per-try backend timeout: timeouts.backendRequest 500ms gives 504 "upstream call timeout" at ~0.5s when the backend is slower, 0s disables it (HTTPRouteBackendTimeout); a backend's own http.requestTimeout overrides the route's (standalone).
. "$(dirname "$0")/lib.sh"

start_backend slow
mkdir -p "$WORK/k8s" "$WORK/standalone"
{
	gateway_yaml
	service_yaml slow "$BACKEND_PORT"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: backend-timeout
  namespace: e2e
spec:
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - name: limited
    matches:
    - path:
        type: PathPrefix
        value: /backend-timeout
    timeouts:
      backendRequest: 500ms
    backendRefs:
    - name: slow
      port: $BACKEND_PORT
  - name: disabled
    matches:
    - path:
        type: PathPrefix
        value: /disabled
    timeouts:
      backendRequest: 0s
    backendRefs:
    - name: slow
      port: $BACKEND_PORT
  - name: both
    matches:
    - path:
        type: PathPrefix
        value: /both
    timeouts:
      request: 2s
      backendRequest: 500ms
    backendRefs:
    - name: slow
      port: $BACKEND_PORT
YAML
} >"$WORK/k8s/gateway.yaml"

cat >"$WORK/standalone/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: backend-shorter
      matches:
      - path:
          pathPrefix: /shorter
      policies:
        timeout:
          backendRequestTimeout: 5s
      backends:
      - host: 127.0.0.1:$BACKEND_PORT
        policies:
          http:
            requestTimeout: 500ms
    - name: backend-longer
      matches:
      - path:
          pathPrefix: /longer
      policies:
        timeout:
          backendRequestTimeout: 300ms
      backends:
      - host: 127.0.0.1:$BACKEND_PORT
        policies:
          http:
            requestTimeout: 2s
    - name: route-only
      matches:
      - path:
          pathPrefix: /route-only
      policies:
        timeout:
          backendRequestTimeout: 500ms
      backends:
      - host: 127.0.0.1:$BACKEND_PORT
YAML

for engine in $(engines); do
	echo "-- engine $engine: HTTPRouteBackendTimeout"
	if start_engine "$engine" -c "$WORK/k8s"; then
		hcall 'http://127.0.0.1:8080/backend-timeout?delay=1s'
		expect "backendRequest 500ms, delay 1s -> 504 at ~0.5s" 504 "upstream call timeout" 0.45 2
		hcall 'http://127.0.0.1:8080/backend-timeout'
		expect "backendRequest 500ms, no delay -> 200" 200 '{*"path": "/backend-timeout"*'
		hcall 'http://127.0.0.1:8080/disabled?delay=1s'
		expect "backendRequest 0s disables the timeout: delay 1s -> 200" 200 '{*"path": "/disabled?delay=1s"*' 0.95 3
		hcall 'http://127.0.0.1:8080/both?delay=1s'
		expect "request 2s + backendRequest 500ms, delay 1s -> per-try 504 at ~0.5s" 504 "upstream call timeout" 0.45 1.5
		stop_gateway
	else
		fail "gateway ($engine) did not start with the HTTPRouteBackendTimeout config"
	fi

	echo "-- engine $engine: standalone backend http.requestTimeout"
	if start_engine "$engine" -c "$WORK/standalone"; then
		hcall 'http://127.0.0.1:8080/shorter?delay=1s'
		expect "backend requestTimeout 500ms beats route backendRequestTimeout 5s: 504 at ~0.5s" 504 "upstream call timeout" 0.45 2
		hcall 'http://127.0.0.1:8080/longer?delay=1s'
		expect "backend requestTimeout 2s beats route backendRequestTimeout 300ms: delay 1s -> 200" 200 '{*' 0.95 2
		hcall 'http://127.0.0.1:8080/route-only?delay=1s'
		expect "route backendRequestTimeout 500ms alone: 504 at ~0.5s" 504 "upstream call timeout" 0.45 2
		hcall 'http://127.0.0.1:8080/route-only?delay=100ms'
		expect "route backendRequestTimeout 500ms, delay 100ms -> 200" 200 '{*'
		stop_gateway
	else
		fail "gateway ($engine) did not start with the standalone config"
	fi
done
finish
