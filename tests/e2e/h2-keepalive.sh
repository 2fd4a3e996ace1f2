# HTTP/2 PING keepalive: with http2KeepaliveInterval 1s and http2KeepaliveTimeout 1s, a client that never acknowledges gets a PING after 1s of quiet, then a GOAWAY ("keepalive timeout") and is disconnected between 2s and 3s, counted in /metrics; a client that acknowledges every PING stays connected; without the policy no PING is sent. Idle h2 connections (no stream) close after http1IdleTimeout.
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
mkdir -p "$WORK/ka" "$WORK/plain"
cat >"$WORK/ka/cfg.yaml" <<YAML
frontendPolicies:
  http:
    http2KeepaliveInterval: 1s
    http2KeepaliveTimeout: 1s
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - backends: [{host: 127.0.0.1:$B}]
YAML
cat >"$WORK/plain/cfg.yaml" <<YAML
frontendPolicies:
  http:
    http1IdleTimeout: 2s
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - backends: [{host: 127.0.0.1:$B}]
YAML

raw() {
	/usr/bin/python3 "$E2E_DIR/h2_raw.py" "$@"
}
keepalive_timeouts() {
	curl -s --max-time 5 http://127.0.0.1:15020/metrics |
		awk '/^splicegate_timeouts_total\{kind="h2_keepalive"\}/ {print $2}'
}
for engine in $(engines); do
	echo "-- engine $engine"
	if start_engine "$engine" -c "$WORK/ka"; then
		out=$(raw keepalive 8080 6 --silent)
		check "silent client: one PING after ~1s of quiet" \
			"$(jq -r '[.pings[] | select(. >= 0.95 and . < 1.5)] | length' <<<"$out") $(jq '.pings | length' <<<"$out")" \
			"1 1"
		check "silent client: GOAWAY saying why" \
			"$(jq -r '.goaway | "\(.error) \(.debug)"' <<<"$out")" "0 keepalive timeout"
		eof=$(jq -r .eof_at <<<"$out")
		if [ "$eof" != null ] && time_in "$eof" 1.9 3; then
			pass "silent client disconnected at ${eof}s (interval+timeout = 2s, +1s)"
		else
			fail "silent client: disconnected at '$eof' s, want 2 <= t < 3 ($out)"
		fi
		check "metrics: one h2 keepalive timeout" "$(keepalive_timeouts)" 1

		out=$(raw keepalive 8080 5 --ack)
		check "acking client: still connected after 5s, no GOAWAY" \
			"$(jq -r '"\(.eof_at) \(.goaway)"' <<<"$out")" "null null"
		n=$(jq '.pings | length' <<<"$out")
		[ "$n" -ge 3 ] && pass "acking client: $n PINGs in 5s" || fail "acking client: $n PINGs ($out)"
		check "metrics: still one h2 keepalive timeout" "$(keepalive_timeouts)" 1
		stop_gateway
	else
		fail "gateway ($engine) did not start with the keepalive policy"
	fi

	if start_engine "$engine" -c "$WORK/plain"; then
		out=$(raw keepalive 8080 1.5 --silent)
		check "no keepalive policy: no PING, still connected after 1.5s" \
			"$(jq -c '[.pings, .goaway, .eof_at]' <<<"$out")" "[[],null,null]"
		out=$(raw keepalive 8080 4 --ack)
		eof=$(jq -r .eof_at <<<"$out")
		# From 1.9 s: the gateway's timer starts at its accept, a little
		# before the client's clock does (1.999 s was seen).
		if [ "$eof" != null ] && time_in "$eof" 1.9 2.9 &&
			[ "$(jq -r .goaway.debug <<<"$out")" = "idle timeout" ]; then
			pass "no stream for http1IdleTimeout 2s: GOAWAY and close at ${eof}s"
		else
			fail "idle h2 connection: $out"
		fi
		stop_gateway
	else
		fail "gateway ($engine) did not start without the keepalive policy"
	fi
done
finish
