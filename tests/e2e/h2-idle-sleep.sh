# An idle HTTP/2 connection's session sleeps and wakes unnoticed: a client
# that keeps reading gets SETTINGS_HEADER_TABLE_SIZE 0 about a second after
# its last stream (the step before the gateway frees the session: its HPACK
# table must be empty), and 4096 again with the answer to its next request
# (the session built anew). After that request the table was still empty
# (its block came while the size was 0): the next sleep needs no SETTINGS;
# after the third, it does again. Every request, the first one's fields
# indexed by the client's table, is answered whole, and nothing fails;
# /metrics counts 3 sleeps and 2 wakes. Then the same over TLS (ALPN h2 on
# an HTTPS listener): the session sleeps under the TLS session, which
# keeps its own state, and /metrics counts 6 and 4.
. "$(dirname "$0")/lib.sh"

start_backend echo
HTTPS_PORT=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=idle.test" -keyout "$WORK/idle.key" -out "$WORK/idle.crt" >/dev/null 2>&1 ||
	fail "certificate"
one_route_config idle
cat >>"$WORK/config.yaml" <<YAML
- port: $HTTPS_PORT
  listeners:
  - name: https
    protocol: HTTPS
    tls: {cert: $WORK/idle.crt, key: $WORK/idle.key}
    routes:
    - name: idle-tls
      backends:
      - host: 127.0.0.1:$BACKEND_PORT
YAML

# rounds WHAT SLEPT WOKE ARGS...: three rounds of h2_idle.py, checked, and
# the metrics' totals after them.
rounds() {
	local what=$1 slept=$2 woke=$3 out
	shift 3
	out=$(/usr/bin/python3 "$E2E_DIR/h2_idle.py" --path "/idle?size=70000" \
		--rounds 3 --idle 1.6 "$@")
	check "$what: three rounds, each 200 with the 70000-byte pattern" \
		"$(jq -c '[.answers[] | [.status, .bytes, .pattern]]' <<<"$out")" \
		'[[200,70000,true],[200,70000,true],[200,70000,true]]'
	check "$what: table sizes announced: 0, 4096, 0; no GOAWAY, no error" \
		"$(jq -c '[.table_sizes, .goaway, .error]' <<<"$out")" '[[0,4096,0],null,null]'
	check "$what: metrics: sessions slept $slept times and woke $woke" \
		"$(curl -s --max-time 5 http://127.0.0.1:15020/metrics |
			awk '/^splicegate_h2_session_sleeps_total/ { printf "%s=%s ", $1, $2 }')" \
		"splicegate_h2_session_sleeps_total{event=\"slept\"}=$slept splicegate_h2_session_sleeps_total{event=\"woke\"}=$woke "
}

for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/config.yaml"; then
		fail "gateway ($engine) did not start"
		continue
	fi
	rounds h2c 3 2 --port 8080
	rounds "TLS h2" 6 4 --port "$HTTPS_PORT" --tls
	stop_gateway
done
finish
