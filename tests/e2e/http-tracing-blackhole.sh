# A trace collector that blackholes its port (connects never complete) for
# 30 s under 1,000 requests a second (every request traced): no request is
# lost, and the gateway's memory stays within its span queue's bound (2,048
# spans of SPAN_BYTES each per worker, 6.4 MiB, docs/tracing.md): from 5 s
# into the load (the queue full after about 2 s) to its last second, RSS
# grows by less than that bound, where queuing without bound would grow it
# by over 70 MiB.
# The spans that could not go are dropped and counted. A sanitized build
# (whose RSS is not compared: ASan's quarantine) runs the load for 15 s,
# the rest of it the same.
. "$(dirname "$0")/lib.sh"

SPAN_BYTES=3256 # sizeof(struct span_rec), user/core/trace.c
BOUND_KIB=$((2048 * SPAN_BYTES / 1024))

start_blackhole
[ -n "$BH" ] || {
	fail "blackhole did not start"
	finish
}
cat >"$WORK/cfg.yaml" <<YAML
config:
  tracing:
    otlpEndpoint: http://127.0.0.1:$BH
    otlpProtocol: http
    randomSampling: true
binds:
- port: 8080
  listeners:
  - routes:
    - policies:
        directResponse: {body: "ok", status: 200}
YAML
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
hcall http://127.0.0.1:8080/warm
check "a traced request is answered" "$H_CODE $H_BODY" "200 ok"

# 10 clients of 100 requests a second each, for SECS seconds.
SECS=30
[ -z "${SG_SANITIZED:-}" ] || SECS=15
h2load --h1 -c 10 --rps 100 -D "$SECS" http://127.0.0.1:8080/ >"$WORK/h2load.out" 2>&1 &
load=$!
sleep 5
before=$(rss_kib)
sleep $((SECS - 6))
during=$(rss_kib)
wait "$load"
grow=$((during - before))
if [ -z "${SG_SANITIZED:-}" ]; then
	[ "$grow" -lt "$BOUND_KIB" ] &&
		pass "RSS from 5 s to $((SECS - 1)) s of the blackhole: +$grow KiB (bound $BOUND_KIB KiB)" ||
		fail "RSS from 5 s to $((SECS - 1)) s of the blackhole: +$grow KiB ($before -> $during KiB), bound $BOUND_KIB KiB"
else
	# ASan's quarantine holds freed blocks: the bound is not the build's.
	pass "RSS not compared in a sanitized build (+$grow KiB)"
fi
req=$(grep -E '^requests:' "$WORK/h2load.out")
codes=$(grep -E '^status codes:' "$WORK/h2load.out")
done_n=$(awk '/^requests:/ { print $6 }' "$WORK/h2load.out")
ok_n=$(awk '/^status codes:/ { print $3 }' "$WORK/h2load.out")
if [ "${done_n:-0}" -ge $((SECS * 830)) ] && [ "$ok_n" = "$done_n" ] &&
	grep -q ' 0 failed, 0 errored, 0 timeout' <<<"$req"; then
	pass "$SECS s at 1,000 requests a second: $done_n requests, every one 200"
else
	fail "the load: $req; $codes"
fi
dropped=$(curl -s http://127.0.0.1:15000/metrics |
	awk '/^splicegate_trace_spans_total\{result="dropped"\}/ { print $2 }')
[ "${dropped:-0}" -ge $((SECS * 660)) ] && pass "spans dropped and counted: $dropped" ||
	fail "spans dropped: '${dropped:-none}' (want the blackhole's $((SECS * 660)) and more)"
stop_gateway
san_check
finish
