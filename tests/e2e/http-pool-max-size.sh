# config.backend.poolMaxSize (agentgateway's key; per worker, as each worker has its own pool): after 10 concurrent requests opened 10 backend connections, one worker keeps at most 2 of them idle to that endpoint and two workers at most 4 (counted with ss), and all 10 are kept without the key; config_dump prints poolMaxSize (null when unset, as agentgateway does); a negative value is refused.
. "$(dirname "$0")/lib.sh"

start_backend pool
# pool_config MAX: one route to the backend, poolMaxSize MAX (or none).
pool_config() {
	{
		echo "config:"
		echo "  backend: {poolIdleTimeout: 1m${1:+, poolMaxSize: $1}}"
		cat <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
	} >"$WORK/config.yaml"
}

# idle_after_burst: 10 requests at once from one curl (--parallel-immediate: 10
# connections; each request held 2 s by the backend, and the 10 seen open
# together before they end, else the burst counts as "burst N"), then the
# gateway's connections to the backend port that stay open.
idle_after_burst() {
	local pid urls=() peak=0 n
	for i in $(seq 10); do
		urls+=("http://127.0.0.1:8080/x?delay=2s&n=$i")
	done
	curl -s -Z --parallel-immediate --parallel-max 10 -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
		-o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
		--max-time 20 "${urls[@]}" &
	pid=$!
	for _ in $(seq 100); do
		n=$(ss -Htn state established "( dport = :$BACKEND_PORT )" | wc -l)
		[ "$n" -gt "$peak" ] && peak=$n
		[ "$peak" -ge 10 ] && break
		sleep 0.05
	done
	wait "$pid"
	sleep 0.3
	n=$(ss -Htn state established "( dport = :$BACKEND_PORT )" | wc -l)
	[ "$peak" -ge 10 ] && echo "$n" || echo "burst $peak"
}

for engine in $(engines); do
	pool_config 2
	start_gateway -c "$WORK/config.yaml" --splice "$engine" --workers 1 || exit 1
	n=$(idle_after_burst)
	[ "$n" = 2 ] && pass "[$engine] poolMaxSize 2: 2 idle backend connections kept of 10" ||
		fail "[$engine] poolMaxSize 2: $n kept"
	got=$(curl -s http://127.0.0.1:15000/config_dump | jq -c .config.backend.poolMaxSize)
	[ "$got" = 2 ] && pass "[$engine] dump: poolMaxSize 2" || fail "[$engine] dump: $got"
	stop_gateway
done

pool_config 2
start_gateway -c "$WORK/config.yaml" --workers 2 || exit 1
n=$(idle_after_burst)
[ "$n" -le 4 ] && [ "$n" -ge 2 ] && pass "poolMaxSize 2, two workers: $n kept (at most 2 each)" ||
	fail "poolMaxSize 2, two workers: $n kept"
stop_gateway

pool_config ""
start_gateway -c "$WORK/config.yaml" || exit 1
n=$(idle_after_burst)
[ "$n" = 10 ] && pass "no poolMaxSize: all 10 kept" || fail "no poolMaxSize: $n kept"
got=$(curl -s http://127.0.0.1:15000/config_dump | jq -c .config.backend.poolMaxSize)
[ "$got" = null ] && pass "dump: poolMaxSize null when unset" || fail "dump unset: $got"
stop_gateway

pool_config -1
if "$SG_BIN" check -c "$WORK/config.yaml" >/dev/null 2>"$WORK/err"; then
	fail "poolMaxSize -1 accepted"
else
	grep -q "poolMaxSize" "$WORK/err" && pass "poolMaxSize -1 refused: $(head -1 "$WORK/err")" ||
		fail "poolMaxSize -1: $(cat "$WORK/err")"
fi
finish
