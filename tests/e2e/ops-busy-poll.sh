# --busy-poll and --coalesce: a gateway started with --busy-poll 1ms, then
# one with --coalesce 50us, says so, serves 2 s of wrk load (8
# connections) and 20 requests on one curl connection with no error, and
# once the load stops it goes quiet: under 0.1 s of CPU in the next 2 s (a
# worker polling without end would take a whole core's 2 s). Values over
# the option's bound (1s, 1ms) or negative are refused at start with a
# reason.
. "$(dirname "$0")/lib.sh"

start_backend bp
one_route_config bp

# cpu_ticks PID: utime + stime of every thread, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# check_option OPTION TOO_LONG VALUE LOG_LINE
check_option() {
	local opt=$1 long=$2 value=$3 line=$4 bad out rc
	for bad in "$long" -5us 50xs; do
		out=$("$SG_BIN" -c "$WORK/config.yaml" "$opt" "$bad" 2>&1)
		rc=$?
		if [ "$rc" = 1 ] && grep -q "^splicegate: $opt: .*got \"$bad\"" <<<"$out"; then
			pass "$opt $bad refused: $out"
		else
			fail "$opt $bad: exit $rc, '$out'"
		fi
	done

	start_gateway -c "$WORK/config.yaml" "$opt" "$value" --access-log off || return 1
	grep -q "$line" "$WORK/gateway.log" && pass "$opt $value: the log says \"$line\"" ||
		fail "$opt $value: no \"$line\" in the log: $(head -5 "$WORK/gateway.log")"
	load_then_quiet "$opt $value"
	stop_gateway
}

# load_then_quiet WHAT: wrk and one keep-alive curl connection without an
# error, then the gateway idle.
load_then_quiet() {
	local what=$1 out reqs urls codes t0 used hz
	if command -v wrk >/dev/null; then
		out=$(wrk -t 1 -c 8 -d 2s http://127.0.0.1:8080/bp 2>&1)
		reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
		if [ "${reqs:-0}" -gt 100 ] && ! grep -q "Non-2xx\|Socket errors" <<<"$out"; then
			pass "$what: 2 s of wrk load: $reqs requests, no error"
		else
			fail "$what: wrk: $(tr '\n' ' ' <<<"$out")"
		fi
	else
		fail "wrk is missing (scripts/install-deps.sh installs it)"
	fi
	urls=()
	for i in $(seq 20); do urls+=(-o /dev/null "http://127.0.0.1:8080/bp?n=$i"); done
	codes=$(curl -s -w '%{http_code} %{num_connects}\n' "${urls[@]}" | sort | uniq -c |
		tr -s ' ' | tr '\n' ';')
	[ "$codes" = " 19 200 0; 1 200 1;" ] &&
		pass "$what: 20 requests on one connection: 200 each" ||
		fail "$what: 20 requests: $codes"

	sleep 0.5
	t0=$(cpu_ticks "$GW_PID")
	sleep 2
	used=$(($(cpu_ticks "$GW_PID") - t0))
	hz=$(getconf CLK_TCK)
	if [ "$used" -le $((hz / 10)) ]; then
		pass "$what: quiet after the load: $used ticks of CPU in 2 s (at most $((hz / 10)))"
	else
		fail "$what: after the load the gateway took $used ticks of CPU in 2 s: it keeps polling"
	fi
}

check_option --busy-poll 2s 1ms "busy polling until 1000 us after the last event"
check_option --coalesce 2ms 50us "coalescing wake-ups: 50 us naps while busy"
finish
