# Graceful drain with HTTP/2 clients: on SIGTERM an h2 connection gets a GOAWAY, its stream in flight still completes with 200, an idle h2 connection is closed at once, and the gateway exits 0 as soon as both are gone.
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - backends: [{host: 127.0.0.1:$B}]
YAML

for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg.yaml"; then
		fail "gateway ($engine) did not start"
		continue
	fi
	timeout 20 nghttp -v "http://127.0.0.1:8080/slow?delay=1500ms" >"$WORK/busy" 2>&1 &
	busy=$!
	/usr/bin/python3 "$E2E_DIR/h2_raw.py" keepalive 8080 10 --ack >"$WORK/idle" &
	idle=$!
	# Both connections open before SIGTERM (python may start slowly on a
	# busy machine): bounded wait for the gateway to count them.
	for _ in $(seq 50); do
		curl -s --max-time 1 http://127.0.0.1:15020/metrics |
			grep -q '^splicegate_active_connections 2$' && break
		sleep 0.1
	done
	sleep 0.5
	t0=$(date +%s.%N)
	kill -TERM "$GW_PID"
	wait "$GW_PID"
	rc=$?
	took=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{printf "%.3f", a - b}')
	wait "$busy" "$idle"
	check "gateway exit status" "$rc" 0
	if time_in "$took" 0.8 3; then
		pass "exited ${took}s after SIGTERM, once the stream in flight was done"
	else
		fail "exited ${took}s after SIGTERM (want 0.8 <= t < 3)"
	fi
	grep -q 'recv GOAWAY frame' "$WORK/busy" && pass "busy connection: GOAWAY" ||
		fail "busy connection: no GOAWAY: $(tail -5 "$WORK/busy")"
	grep -q ':status: 200' "$WORK/busy" && grep -q '"path": "/slow?delay=1500ms"' "$WORK/busy" &&
		pass "busy connection: its stream completed with 200" ||
		fail "busy connection: stream not answered: $(tail -5 "$WORK/busy")"
	check "idle connection: GOAWAY, then closed" "$(jq -r '"\(.goaway.error) \(.eof_at != null)"' "$WORK/idle")" \
		"0 true"
	eof=$(jq -r .eof_at "$WORK/idle")
	time_in "$eof" 0.1 1.2 && pass "idle connection closed at once (${eof}s)" ||
		fail "idle connection closed at ${eof}s, want right after SIGTERM at ~0.5s"
done
finish
