# HTTP/2 backends are multiplexed: h2load (100 streams over 4 client connections, and HTTP/1.1 clients over 16) through the gateway to h2backend.py: every request 2xx, a handful of backend connections carry them all (at most 8: 2 workers, a few each), 100 parallel downloads byte-exact; SETTINGS_MAX_CONCURRENT_STREAMS 10 is never exceeded (more connections instead); a backend GOAWAY drains its connection: the answered stream arrives, later requests go to a new connection, none is sent on the old one, and under load (a GOAWAY every 50th request) nothing fails; a stream the backend never processed (above last-stream-id) is retried on a new connection; retries on codes work as for HTTP/1 backends.
. "$(dirname "$0")/lib.sh"

start_h2backend pool || { fail "h2backend pool did not start"; finish; }
P=$H2B_PORT
start_h2backend narrow --max-streams 10 || { fail "h2backend narrow did not start"; finish; }
N=$H2B_PORT

mkdir -p "$WORK/cfg"
cat >"$WORK/cfg/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: retry
      matches: [{path: {pathPrefix: /retry}}]
      policies:
        retry: {attempts: 2, codes: [503]}
      backends:
      - host: 127.0.0.1:$P
        policies:
          http: {version: HTTP/2.0}
    - name: narrow
      matches: [{path: {pathPrefix: /narrow}}]
      backends:
      - host: 127.0.0.1:$N
        policies:
          http: {version: HTTP/2.0}
    - name: pool
      backends:
      - host: 127.0.0.1:$P
        policies:
          http: {version: HTTP/2.0}
YAML

G=http://127.0.0.1:8080
# (h2load --h1 counts a response whose status line has no reason phrase,
# "HTTP/1.1 200 \r\n", as failed: an HTTP/2 answer turned into HTTP/1.1
# needs one, e.g. "200 OK".)

# load NAME ARGS...: h2load ARGS (its output in $WORK/h2load.out); passes
# when every request it made succeeded with a 2xx status.
load() {
	local name=$1 n total ok
	shift
	timeout 120 h2load "$@" >"$WORK/h2load.out" 2>&1
	total=$(sed -n 's/^requests: \([0-9]*\) total.*/\1/p' "$WORK/h2load.out")
	ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded, \([0-9]*\) failed, \([0-9]*\) errored.*/\1 \2 \3/p' "$WORK/h2load.out")
	n=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' "$WORK/h2load.out")
	if [ -n "$total" ] && [ "$ok" = "$total 0 0" ] && [ "$n" = "$total" ]; then
		pass "$name: $total requests, all succeeded, all 2xx"
	else
		fail "$name: $(grep -E '^(requests|status codes):' "$WORK/h2load.out" | tr '\n' ' ')"
		tail -5 "$WORK/h2load.out" | sed 's/^/    /'
	fi
}

# at_most NAME GOT MAX / at_least NAME GOT MIN: integer bounds.
at_most() {
	[ -n "$2" ] && [ "$2" -le "$3" ] 2>/dev/null && pass "$1 ($2 <= $3)" || fail "$1: $2 (want <= $3)"
}
at_least() {
	[ -n "$2" ] && [ "$2" -ge "$3" ] 2>/dev/null && pass "$1 ($2 >= $3)" || fail "$1: $2 (want >= $3)"
}

# serial: the backend connection (serial) of the last echo.
serial() {
	jq -r .connection <<<"$H_BODY" 2>/dev/null
}

for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg"; then
		fail "gateway ($engine) did not start"
		continue
	fi

	# Multiplexing.
	c0=$(h2stats "$P" connections)
	s0=$(h2stats "$P" streams)
	load "h2load -n 2000 -c 4 -m 25 (HTTP/2 clients)" -n 2000 -c 4 -m 25 "$G/load?size=100"
	c1=$(h2stats "$P" connections)
	s1=$(h2stats "$P" streams)
	at_least "the backend got every request as a stream" "$((s1 - s0))" 2000
	at_most "100 concurrent streams over few backend connections" "$((c1 - c0))" 8
	load "h2load --h1 -n 2000 -c 16 (HTTP/1.1 clients)" --h1 -n 2000 -c 16 "$G/load?size=100"
	c2=$(h2stats "$P" connections)
	at_most "16 HTTP/1.1 client connections share few backend connections" "$((c2 - c1))" 8
	check "the backend saw no HTTP/1" "$(h2stats "$P" http1_connections)" 0

	# Every response of 100 parallel streams checked byte by byte.
	paths=()
	for i in $(seq 1 100); do
		paths+=("/par/$i?size=$((1000 + i * 997))")
	done
	bad=$(timeout 90 /usr/bin/python3 "$E2E_DIR/h2_multiget.py" --port 8080 "${paths[@]}" |
		jq -r 'if length != 100 then "answers: \(length)" else
			[.[] | select(.status != 200 or .pattern != true or .error != null) | .path] |
			if length == 0 then "none" else join(" ") end end')
	check "100 parallel streams on one client connection (1 KB .. 100 KB): each body byte-exact" \
		"$bad" none
	# SETTINGS_MAX_CONCURRENT_STREAMS 10: more connections, never more streams.
	n0=$(h2stats "$N" connections)
	load "h2load -n 500 -c 2 -m 50 to a backend allowing 10 streams" -n 500 -c 2 -m 50 "$G/narrow/x?delay=20ms"
	at_most "never more than 10 streams at once on a backend connection" "$(h2stats "$N" peak_streams)" 10
	at_least "100 streams at once to it need more connections" "$(($(h2stats "$N" connections) - n0))" 2

	# GOAWAY, one request at a time: answered, then a new connection.
	g0=$(h2stats "$P" goaways)
	r0=$(h2stats "$P" refused)
	hcall --http2-prior-knowledge "$G/drain/a?goaway=1"
	expect "goaway=1: the stream at last-stream-id is answered" 200 '{*"path": "/drain/a?goaway=1"*'
	old=$(serial)
	check "the backend sent its GOAWAY" "$(($(h2stats "$P" goaways) - g0))" 1
	same=""
	for i in $(seq 1 10); do
		hcall "$G/drain/after/$i"
		[ "$H_CODE" = 200 ] || same="$same $i:$H_CODE"
		[ "$(serial)" = "$old" ] && same="$same $i:old"
	done
	check "10 requests after the GOAWAY: all 200, none on the drained connection $old" "$same" ""
	check "no stream was sent on the drained connection after its GOAWAY" \
		"$(($(h2stats "$P" refused) - r0))" 0

	# GOAWAY under load: every 50th request is goaway=1; streams the
	# gateway had already sent above last-stream-id are refused
	# (REFUSED_STREAM, never processed) and must be retried, not failed.
	urls=()
	for i in $(seq 1 49); do
		urls+=("$G/churn/$i?size=200")
	done
	urls+=("$G/churn/goaway?goaway=1")
	g0=$(h2stats "$P" goaways)
	r0=$(h2stats "$P" refused)
	load "h2load -n 2000 -c 4 -m 25 with a GOAWAY every 50th request" -n 2000 -c 4 -m 25 "${urls[@]}"
	at_least "the backend sent GOAWAYs under load" "$(($(h2stats "$P" goaways) - g0))" 20
	echo "  (streams above a last-stream-id, refused and retried: $(($(h2stats "$P" refused) - r0)))"

	# A stream above last-stream-id was never processed: retried on a new
	# connection (as a connection failure), with or without a retry policy.
	for route in drain retry; do
		u=$(new_uuid)
		hcall "$G/$route/refused?goaway=refuse&uuid=$u&succeedAfter=2"
		expect "$route: stream refused by GOAWAY (last-stream-id below it) -> retried -> 200" 200 \
			'{*"attempt": 2}*'
		check "$route: tried twice" "$(backend_count "$P" "$u")" 2
	done

	# Retries on codes, as for HTTP/1 backends.
	u=$(new_uuid)
	hcall "$G/retry/codes?uuid=$u&succeedAfter=2&status=503"
	expect "retry codes [503]: 503 then 200 -> 200" 200 '{*"attempt": 2}*'
	check "retry codes [503]: the second try carries x-retry-attempt: 1" \
		"$(jq -r '[.headers[] | select(.[0] == "x-retry-attempt") | .[1]] | join(",")' <<<"$H_BODY")" 1
	u=$(new_uuid)
	hcall "$G/retry/codes?uuid=$u&status=503"
	expect "retry codes [503] attempts 2, always 503 -> the last 503" 503 '{*"attempt": 3}*'
	check "always 503: tried 3 times" "$(backend_count "$P" "$u")" 3
	u=$(new_uuid)
	head -c 10240 /dev/urandom >"$WORK/small.bin"
	hcall --data-binary @"$WORK/small.bin" "$G/retry/upload?uuid=$u&succeedAfter=2&status=503"
	check "10 KiB POST replayed byte-identical on the retry" \
		"$H_CODE $(jq -r '"\(.body_bytes) \(.sha256) \(.attempt)"' <<<"$H_BODY")" \
		"200 10240 $(sha256_of <"$WORK/small.bin") 2"
	stop_gateway
done
h2backend_clean pool "$P"
h2backend_clean narrow "$N"
finish
