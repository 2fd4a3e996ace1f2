# Rapid reset (CVE-2023-44487), every engine: four attacking h2c connections each send up to 20,000 HEADERS+RST_STREAM pairs; each is cut once it has reset over 100 streams in a second (GOAWAY ENHANCE_YOUR_CALM, counted in /metrics as an h2_reset_flood each; the client may see only the close) (its close comes within 2 s of its last write; an idle h2 connection is otherwise kept 10 min), the gateway makes fewer than 50 backend connections in all (probe included) for the 80,000 streams (a stream reset in the same read is never dialled), each attack counts in /metrics, and a probe client's 40 requests during the attack all get 200.
. "$(dirname "$0")/lib.sh"

start_backend rr
one_route_config rr
cat >"$WORK/probe.sh" <<'SH'
# 40 sequential h2c requests; prints each "STATUS SECONDS"
for _ in $(seq 40); do
	curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 5 \
		http://127.0.0.1:8080/probe
done
SH
metric() {
	curl -s http://127.0.0.1:15020/metrics | awk -v k="$1" 'index($0, k) == 1 {print $2}'
}

for engine in $(engines); do
	start_gateway -c "$WORK/config.yaml" --splice "$engine" || exit 1
	before=$(metric splicegate_backend_connects_total)
	bash "$WORK/probe.sh" >"$WORK/probe.out" &
	probe=$!
	attackers=()
	for i in 1 2 3 4; do
		/usr/bin/python3 "$E2E_DIR/h2_raw.py" rapidreset 8080 "/x?delay=1s" 20000 >"$WORK/rr.$i" &
		attackers+=("$!")
	done
	wait "${attackers[@]}" "$probe"
	after=$(metric splicegate_backend_connects_total)
	cut=0
	for i in 1 2 3 4; do
		[ "$(jq -r '(.goaway == null or .goaway.error == 11) and .eof' \
			"$WORK/rr.$i")" = true ] && cut=$((cut + 1))
	done
	[ "$cut" = 4 ] && pass "[$engine] 4 of 4 attackers cut (pairs sent: $(jq -s -c 'map(.pairs_sent)' "$WORK"/rr.?))" ||
		fail "[$engine] attackers: $(cat "$WORK"/rr.?)"
	dialled=$((after - before))
	[ "$dialled" -lt 50 ] && pass "[$engine] backend connects during the attack: $dialled" ||
		fail "[$engine] backend connects during the attack: $dialled"
	n=$(metric 'splicegate_connections_refused_total{reason="h2_reset_flood"}')
	[ "${n:-0}" = 4 ] && pass "[$engine] reset floods counted ($n)" || fail "[$engine] counter: '$n'"
	ok=$(grep -c '^200 ' "$WORK/probe.out")
	p99=$(sort -k2 -n "$WORK/probe.out" | tail -1 | cut -d' ' -f2)
	[ "$ok" = 40 ] && pass "[$engine] probe: 40 of 40 answered 200 during the attack (slowest ${p99}s)" ||
		fail "[$engine] probe: $ok of 40; $(grep -v '^200 ' "$WORK/probe.out" | head -3)"
	stop_gateway
done
finish
