# Backend connects per HTTP/2 client connection are bounded (issue 15 finding 6): one h2c connection with 64 concurrent streams to a backend whose connects never complete has at most 16 connects in progress at a time (SYN-SENT sockets of the gateway, read with ss); the other streams wait their turn and every stream is still answered 504 (connect timeout 500 ms). Streamed uploads (no END_STREAM with the head) wait the same way and keep their body.
. "$(dirname "$0")/lib.sh"

start_blackhole
[ -n "$BH" ] || { fail "blackhole listener did not start"; finish; }
cat >"$WORK/config.yaml" <<YAML
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
start_gateway -c "$WORK/config.yaml" || exit 1

# dials: the gateway's sockets still connecting to the blackhole.
dials() {
	ss -Htnp state syn-sent "( dport = :$BH )" | grep -c "pid=$GW_PID,"
}
for upload in "" "-d $WORK/body"; do
	what=${upload:+"streamed uploads"}
	what=${what:-GETs}
	head -c 100000 /dev/zero >"$WORK/body"
	start=$(date +%s.%N)
	# shellcheck disable=SC2086
	h2load -n 64 -c 1 -m 64 $upload "http://127.0.0.1:8080/" >"$WORK/h2load.out" 2>&1 &
	load=$!
	max=0
	for _ in $(seq 40); do
		n=$(dials)
		[ "$n" -gt "$max" ] && max=$n
		running "$load" || break
		sleep 0.05
	done
	wait "$load"
	elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
	[ "$max" -ge 1 ] && [ "$max" -le 16 ] &&
		pass "$what: at most 16 connects in progress at once (seen $max)" ||
		fail "$what: $max connects in progress at once (bound 16)"
	grep -q 'status codes: 0 2xx, 0 3xx, 0 4xx, 64 5xx' "$WORK/h2load.out" &&
		pass "$what: all 64 streams answered 5xx after waiting their turn (${elapsed}s)" ||
		fail "$what: $(grep -E 'requests:|status codes' "$WORK/h2load.out")"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:8080/)
[ "$code" = 504 ] && pass "HTTP/1 request to the same route: 504" || fail "HTTP/1: $code"
stop_gateway
finish
