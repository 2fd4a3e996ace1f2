# An idle HTTP/2 connection's session sleeps and wakes unnoticed: a client
# that keeps reading gets SETTINGS_HEADER_TABLE_SIZE 0 about a second after
# its last stream (the step before the gateway frees the session: its HPACK
# table must be empty), and 4096 again with the answer to its next request
# (the session built anew). After that request the table was still empty
# (its block came while the size was 0): the next sleep needs no SETTINGS;
# after the third, it does again. Every request, the first one's fields
# indexed by the client's table, is answered whole, and nothing fails;
# /metrics counts 3 sleeps and 2 wakes.
. "$(dirname "$0")/lib.sh"

start_backend echo
one_route_config idle
for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/config.yaml"; then
		fail "gateway ($engine) did not start"
		continue
	fi
	out=$(/usr/bin/python3 "$E2E_DIR/h2_idle.py" --port 8080 --path "/idle?size=70000" \
		--rounds 3 --idle 1.6)
	check "three rounds, each 200 with the 70000-byte pattern" \
		"$(jq -c '[.answers[] | [.status, .bytes, .pattern]]' <<<"$out")" \
		'[[200,70000,true],[200,70000,true],[200,70000,true]]'
	check "table sizes announced: 0, 4096, 0; no GOAWAY, no error" \
		"$(jq -c '[.table_sizes, .goaway, .error]' <<<"$out")" '[[0,4096,0],null,null]'
	check "metrics: the session slept 3 times and woke twice" \
		"$(curl -s --max-time 5 http://127.0.0.1:15020/metrics |
			awk '/^splicegate_h2_session_sleeps_total/ { printf "%s=%s ", $1, $2 }')" \
		'splicegate_h2_session_sleeps_total{event="slept"}=3 splicegate_h2_session_sleeps_total{event="woke"}=2 '
	stop_gateway
done
finish
