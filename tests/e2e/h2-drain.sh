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
	# The idle connection first, then the busy stream; SIGTERM once the
	# backend has the stream (its answer comes 1.5 s after it arrived).
	# Bounded waits: python and nghttp may start slowly on a busy machine.
	/usr/bin/python3 "$E2E_DIR/h2_raw.py" keepalive 8080 10 --ack >"$WORK/idle" &
	idle=$!
	for _ in $(seq 100); do
		curl -s --max-time 1 http://127.0.0.1:15020/metrics |
			grep -q '^splicegate_active_connections 1$' && break
		sleep 0.1
	done
	heads0=$(curl -s --max-time 5 "http://127.0.0.1:$B/requests" | jq -r .heads)
	timeout 20 nghttp -v "http://127.0.0.1:8080/slow?delay=1500ms" >"$WORK/busy" 2>&1 &
	busy=$!
	for _ in $(seq 200); do
		[ "$(curl -s --max-time 1 "http://127.0.0.1:$B/requests" | jq -r .heads)" -gt "$heads0" ] && break
		sleep 0.05
	done
	t_busy=$(date +%s.%N)
	t0=$(date +%s.%N)
	kill -TERM "$GW_PID"
	wait "$GW_PID"
	rc=$?
	t_end=$(date +%s.%N)
	took=$(awk -v a="$t_end" -v b="$t0" 'BEGIN{printf "%.3f", a - b}')
	since_busy=$(awk -v a="$t_end" -v b="$t_busy" 'BEGIN{printf "%.3f", a - b}')
	wait "$busy" "$idle"
	check "gateway exit status" "$rc" 0
	# Not before the stream in flight is done: the busy connection got its
	# GOAWAY (so SIGTERM came while its stream was open: nghttp leaves once
	# it is done) and the stream still completed with 200 (both checked
	# below). And not long after it: the backend answers 1.5 s after it had
	# the stream, which was before t_busy (room for a loaded machine).
	if time_in "$took" 0 6; then
		pass "exited ${took}s after SIGTERM (${since_busy}s after the backend had the stream)"
	else
		fail "exited ${took}s after SIGTERM, ${since_busy}s after the backend had the stream (want < 6 s)"
	fi
	grep -q 'recv GOAWAY frame' "$WORK/busy" && pass "busy connection: GOAWAY" ||
		fail "busy connection: no GOAWAY: $(tail -5 "$WORK/busy")"
	grep -q ':status: 200' "$WORK/busy" && grep -q '"path": "/slow?delay=1500ms"' "$WORK/busy" &&
		pass "busy connection: its stream completed with 200" ||
		fail "busy connection: stream not answered: $(tail -5 "$WORK/busy")"
	check "idle connection: GOAWAY, then closed" "$(jq -r '"\(.goaway.error) \(.eof_at != null)"' "$WORK/idle")" \
		"0 true"
	# Closed after SIGTERM and within 0.7 s of it, by the clocks of both
	# (the client's own start is no reference on a busy machine).
	eof=$(awk -v a="$(jq -r .eof_wall "$WORK/idle")" -v b="$t0" 'BEGIN{printf "%.3f", a - b}')
	time_in "$eof" 0 0.7 && pass "idle connection closed at once (${eof}s after SIGTERM)" ||
		fail "idle connection closed ${eof}s after SIGTERM, want 0 <= t < 0.7"
done
finish
