# HTTP connect timeout: a backend whose SYNs are dropped gives 504 "upstream call timeout" once the configured connectTimeout ({secs, nanos} per backend, global config.backend.connectTimeout, AgentgatewayPolicy backend.tcp.connectTimeout) has passed.
. "$(dirname "$0")/lib.sh"

start_blackhole
[ -n "$BH" ] || { fail "blackhole listener did not start"; finish; }

# The trick must hold on this kernel: a direct connect must not complete.
probe=$(/usr/bin/python3 - "$BH" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(0.7)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    print("connected")
except socket.timeout:
    print("timeout")
except OSError as e:
    print("error %s" % e)
PY
)
if [ "$probe" != timeout ]; then
	fail "environment: a connect to the full-backlog listener gave '$probe', not a timeout; the blackhole does not work here"
	finish
fi
pass "blackhole 127.0.0.1:$BH drops SYNs (direct connect times out)"

mkdir -p "$WORK/standalone" "$WORK/global" "$WORK/k8s"
# Seed 003's backend shape: tcp.connectTimeout {secs: 1, nanos: 0}.
cat >"$WORK/standalone/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: blackhole
      backends:
      - host: 127.0.0.1:$BH
        policies:
          tcp:
            connectTimeout:
              secs: 1
              nanos: 0
            keepalives: {}
YAML
cat >"$WORK/global/config.yaml" <<YAML
config:
  backend:
    connectTimeout: 500ms
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: blackhole
      backends:
      - host: 127.0.0.1:$BH
YAML
{
	gateway_yaml
	service_yaml blackhole "$BH"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: blackhole
  namespace: e2e
spec:
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - backendRefs:
    - name: blackhole
      port: $BH
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata:
  name: connect-timeout
  namespace: e2e
spec:
  targetRefs:
  - kind: Service
    name: blackhole
    group: ""
  backend:
    tcp:
      connectTimeout: 700ms
YAML
} >"$WORK/k8s/gateway.yaml"

for engine in $(engines); do
	echo "-- engine $engine: backend tcp.connectTimeout {secs: 1, nanos: 0}"
	if start_engine "$engine" -c "$WORK/standalone"; then
		hcall http://127.0.0.1:8080/
		expect "connectTimeout 1s to a blackhole -> 504 at ~1s" 504 "upstream call timeout" 0.9 3
		stop_gateway
	else
		fail "gateway ($engine) did not start with the backend connectTimeout config"
	fi

	echo "-- engine $engine: global config.backend.connectTimeout 500ms"
	if start_engine "$engine" -c "$WORK/global"; then
		hcall http://127.0.0.1:8080/
		expect "global connectTimeout 500ms to a blackhole -> 504 at ~0.5s" 504 "upstream call timeout" 0.45 2
		stop_gateway
	else
		fail "gateway ($engine) did not start with the global connectTimeout config"
	fi

	echo "-- engine $engine: AgentgatewayPolicy backend.tcp.connectTimeout 700ms on the Service"
	if start_engine "$engine" -c "$WORK/k8s"; then
		hcall http://127.0.0.1:8080/
		expect "Service connectTimeout 700ms to a blackhole -> 504 at ~0.7s" 504 "upstream call timeout" 0.65 2.5
		stop_gateway
	else
		fail "gateway ($engine) did not start with the AgentgatewayPolicy config"
	fi
done
finish
