# Seed 000: with http1IdleTimeout 1s on the Gateway, the seed's own pycurl
# script prints exactly the seed's expected output (an idle connection is
# closed, a normal request succeeds), and a slow request (/delay/3) through
# the same 1s idle timeout is not idle: it gets its 200.
. "$(dirname "$0")/lib.sh"

/usr/bin/python3 -m httpbin.core --host 127.0.0.1 --port 8000 >"$WORK/httpbin.log" 2>&1 &
PIDS+=("$!")
wait_http http://127.0.0.1:8000/get 15 || { echo "httpbin did not start"; exit 1; }
seed_yaml seeds/base.yaml >"$WORK/base.yaml"
seed_yaml seeds/000-idle.yaml >"$WORK/000.yaml"

for engine in $(engines); do
	start_gateway -c "$WORK" --splice "$engine" || exit 1
	out=$(/usr/bin/python3 seeds/000_idle_timeout.py 2>&1)
	if [ "$out" = "$(cat seeds/000.expected.txt)" ]; then
		pass "[$engine] seed 000 script output"
	else
		fail "[$engine] seed 000 script said: $out"
	fi
	res=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H 'Host: idle.example' \
		--max-time 10 "http://localhost:8080/headers?x=1")
	[ "${res% *}" = 200 ] && pass "[$engine] normal request 200" || fail "[$engine] got $res"
	stop_gateway
done

# A request in flight is never idle: /delay/3 through a 1s idle timeout.
cat >"$WORK/000.yaml" <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: slow, namespace: httpbin}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - backendRefs: [{name: httpbin, port: 8000}]
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: idle-time, namespace: agentgateway-system}
spec:
  targetRefs: [{kind: Gateway, name: agentgateway-proxy, group: gateway.networking.k8s.io}]
  frontend: {http: {http1IdleTimeout: 1s}}
YAML
start_gateway -c "$WORK" || exit 1
res=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 http://localhost:8080/delay/3)
t=${res#* }
if [ "${res% *}" = 200 ] && awk "BEGIN{exit !($t >= 2.9)}"; then
	pass "slow request through a 1s idle timeout gets 200 ($t s)"
else
	fail "slow request: $res"
fi
finish
