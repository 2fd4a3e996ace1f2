# Passive health (AgentgatewayPolicy backend.health): of three endpoints, the one answering 500 to everything is evicted after consecutiveFailures and gets no request for `duration`, then gets requests again (and is evicted for twice as long when it fails again); a Service whose endpoints all fail still gets every request; of three endpoints one 10x slower, power-of-two-choices sends the slow one a small share (uniform random: a third).
. "$(dirname "$0")/lib.sh"

start_backend b1
P=$BACKEND_PORT
start_backend_at b2 127.0.0.2 "$P" || fail "backend on 127.0.0.2 did not start"
start_backend_at bad3 127.0.0.3 "$P" --defaults responseCode=500 || fail "bad3 did not start"
start_backend_at bad4 127.0.0.4 "$P" --defaults responseCode=500 || fail "bad4 did not start"
start_backend_at slow5 127.0.0.5 "$P" --defaults delay=100ms || fail "slow5 did not start"
start_backend_at fast6 127.0.0.6 "$P" --defaults delay=10ms || fail "fast6 did not start"
start_backend_at fast7 127.0.0.7 "$P" --defaults delay=10ms || fail "fast7 did not start"

# service NAME DURATION ADDR...: a Service on port $P with one
# EndpointSlice of ADDRs, its health policy evicting after 3 failures in a
# row for DURATION.
service() {
	local name=$1 dur=$2 a
	shift 2
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: $name, namespace: e2e}
spec:
  ports: [{name: http, port: $P}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $name-1
  namespace: e2e
  labels: {kubernetes.io/service-name: $name}
addressType: IPv4
ports: [{name: http, port: $P}]
endpoints:
YAML
	for a in "$@"; do echo "- addresses: [$a]"; done
	cat <<YAML
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: $name-health, namespace: e2e}
spec:
  targetRefs: [{group: "", kind: Service, name: $name}]
  backend:
    health:
      eviction: {duration: $dur, consecutiveFailures: 3}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $name, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /$name}}]
    backendRefs: [{name: $name, port: $P}]
YAML
}

mkdir -p "$WORK/cfg"
{
	gateway_yaml
	service trio 4s 127.0.0.1 127.0.0.2 127.0.0.3
	service dead 4s 127.0.0.3 127.0.0.4
	service mixed 4s 127.0.0.5 127.0.0.6 127.0.0.7
} >"$WORK/cfg/gateway.yaml"

# heads ADDR: requests that reached the backend on ADDR:$P.
heads() {
	curl -s --max-time 5 "http://$1:$P/requests" | jq -r .heads
}

# ep_field ADDR FIELD: FIELD of ADDR:$P in /stats (the one worker's).
ep_field() {
	curl -s --max-time 5 http://127.0.0.1:15000/stats |
		jq -r --arg e "$1:$P" --arg f "$2" '.endpoints[] | select(.endpoint == $e) | .[$f]'
}

# wait_ep ADDR FIELD VALUE SECONDS: until /stats says so; the time it took.
wait_ep() {
	for _ in $(seq $(($4 * 20))); do
		[ "$(ep_field "$1" "$2")" = "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

# send PATH N: N requests one after another, by one curl on one kept-alive
# connection (each request picks its endpoint anew; 40 curl processes on a
# loaded machine took longer than an eviction lasts); their statuses, one a
# line, in $WORK/codes.
send() {
	local args=() i
	for i in $(seq "$2"); do
		args+=(-o /dev/null "$G$1?n=$i")
	done
	curl -s -w '%{http_code}\n' --max-time 10 "${args[@]}" >"$WORK/codes"
}

metric() {
	curl -s --max-time 5 http://127.0.0.1:15000/metrics | awk -v m="$1" '$1 == m { print $2 }'
}

# ep_metric NAME ADDR: NAME's series for endpoint ADDR:$P.
ep_metric() {
	metric "$1{endpoint=\"$2:$P\"}"
}

G=http://127.0.0.1:8080
# One worker: eviction is per worker, and this counts one worker's tries.
if ! start_engine copy --workers 1 -c "$WORK/cfg"; then
	fail "gateway did not start"
	finish
fi

# ---- one failing endpoint of three ------------------------------------------
bad0=$(heads 127.0.0.3)
for i in $(seq 300); do
	send /trio 1
	[ "$(ep_field 127.0.0.3 evicted)" = true ] && break
done
echo "evicted after $i requests"
check "the failing endpoint is evicted after 3 requests" "$(($(heads 127.0.0.3) - bad0))" 3
check "splicegate_endpoint_evictions_total" "$(metric splicegate_endpoint_evictions_total)" 1
check "splicegate_endpoints_evicted" "$(metric splicegate_endpoints_evicted)" 1
bad1=$(heads 127.0.0.3)
t0=$(date +%s.%N)
send /trio 40
t1=$(date +%s.%N)
check "evicted: no request in the next 40" "$(($(heads 127.0.0.3) - bad1))" 0
check "... all 40 answered 200 by the other two" "$(grep -c '^200$' "$WORK/codes")" 40
time_in "$(echo "$t1 - $t0" | bc)" 0 4 || fail "the 40 requests took longer than the eviction (4s): the check above proves nothing"
# Per endpoint: every request a backend saw is a try, the failing one's all
# failed, and it was ejected once.
check "per endpoint: the failing one's tries" "$(ep_metric splicegate_endpoint_tries_total 127.0.0.3)" "$(heads 127.0.0.3)"
check "... all failed" "$(ep_metric splicegate_endpoint_failed_tries_total 127.0.0.3)" "$(heads 127.0.0.3)"
check "... ejected once" "$(ep_metric splicegate_endpoint_ejections_total 127.0.0.3)" 1
check "a healthy one's tries" "$(ep_metric splicegate_endpoint_tries_total 127.0.0.1)" "$(heads 127.0.0.1)"
check "... none failed" "$(ep_metric splicegate_endpoint_failed_tries_total 127.0.0.1)" 0
check "... never ejected" "$(ep_metric splicegate_endpoint_ejections_total 127.0.0.1)" 0

# Its eviction (4s) ends: it is a candidate again.
if wait_ep 127.0.0.3 evicted false 8; then
	pass "restored after its eviction time"
else
	fail "not restored within 8s of a 4s eviction"
fi
check "splicegate_endpoint_restores_total" "$(metric splicegate_endpoint_restores_total)" 1
bad1=$(heads 127.0.0.3)
for _ in $(seq 150); do
	send /trio 1
	[ "$(heads 127.0.0.3)" != "$bad1" ] && break
done
check "restored: the failing endpoint gets a request again" "$(($(heads 127.0.0.3) - bad1))" 1
# Still three failures in a row counted: the next one evicts it at once, for
# twice the time (agentgateway's backoff: duration * times evicted).
check "failing again: evicted again at once" "$(ep_field 127.0.0.3 evicted)" true
left=$(ep_field 127.0.0.3 evictedForMs)
if [ "${left%.*}" -gt 5000 ] && [ "${left%.*}" -le 8000 ]; then
	pass "second eviction is 8s (${left} ms left)"
else
	fail "second eviction: ${left} ms left, want 5s < left <= 8s"
fi

# ---- every endpoint failing -------------------------------------------------
d0=$(($(heads 127.0.0.3) + $(heads 127.0.0.4)))
send /dead 20
d1=$(($(heads 127.0.0.3) + $(heads 127.0.0.4)))
check "all endpoints failing: every request still reaches one (20 sent)" "$((d1 - d0))" 20
check "... and gets the backend's own 500" "$(grep -c '^500$' "$WORK/codes")" 20
check "both evicted meanwhile" "$(ep_field 127.0.0.4 evicted) $(ep_field 127.0.0.3 evicted)" \
	"true true"

# ---- one endpoint 10x slower --------------------------------------------------
s0=$(heads 127.0.0.5)
f0=$(($(heads 127.0.0.6) + $(heads 127.0.0.7)))
send /mixed 150
s=$(($(heads 127.0.0.5) - s0))
f=$(($(heads 127.0.0.6) + $(heads 127.0.0.7) - f0))
echo "split over 150 sequential requests: slow (100ms) $s, fast (10ms) two $f (uniform random: 50 / 100)"
check "every request answered" "$(grep -c '^200$' "$WORK/codes")" 150
if [ "$s" -lt 30 ] && [ "$s" -gt 0 ]; then
	pass "P2C: the slow endpoint got $s of 150 (< 30; uniform random: ~50)"
else
	fail "P2C: the slow endpoint got $s of 150 (want 1..29)"
fi

stop_gateway
finish
