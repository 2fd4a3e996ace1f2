# Rapid reset across reconnects (issue 15 finding 6): an attacker that stays under the per-connection bound (90 HEADERS+RST_STREAM pairs per connection, the bound is 100 a second) and reconnects is counted by its address: its first two connections (180 resets) pass, the third is sent GOAWAY(ENHANCE_YOUR_CALM) at the 201st reset of the address, and every later one at its first; each cut counts as an h2_reset_flood in /metrics. Another address (127.0.0.2) doing the same at once is not cut, and the attacker's address still gets its ordinary requests answered.
. "$(dirname "$0")/lib.sh"

start_backend rr
one_route_config rr
metric() {
	curl -s http://127.0.0.1:15020/metrics | awk -v k="$1" 'index($0, k) == 1 {print $2}'
}
start_gateway -c "$WORK/config.yaml" || exit 1

/usr/bin/python3 "$E2E_DIR/h2_raw.py" resetreconnect 8080 /x 6 90 127.0.0.1 >"$WORK/attacker"
got=$(jq -c 'map(.goaway)' "$WORK/attacker")
[ "$got" = '[null,null,11,11,11,11]' ] &&
	pass "reconnecting attacker: connections 1-2 kept (180 resets), 3-6 sent GOAWAY(ENHANCE_YOUR_CALM): $got" ||
	fail "reconnecting attacker: GOAWAY codes per connection $got (want [null,null,11,11,11,11]); $(cat "$WORK/attacker")"
[ "$(jq -c '.[0:2] | map(.acked)' "$WORK/attacker")" = '[true,true]' ] &&
	pass "the kept connections answered their PING" || fail "PINGs: $(cat "$WORK/attacker")"

/usr/bin/python3 "$E2E_DIR/h2_raw.py" resetreconnect 8080 /x 2 90 127.0.0.2 >"$WORK/other"
[ "$(jq -c 'map([.goaway, .acked])' "$WORK/other")" = '[[null,true],[null,true]]' ] &&
	pass "another address doing 180 resets meanwhile is not cut" ||
	fail "other address: $(cat "$WORK/other")"

n=$(metric 'splicegate_connections_refused_total{reason="h2_reset_flood"}')
[ "${n:-0}" = 4 ] && pass "4 cuts counted as h2_reset_flood" || fail "h2_reset_flood counter: '$n'"
grep -q '127.0.0.1: this address reset over 200 streams in 10 s: GOAWAY (rapid reset)' "$WORK/gateway.log" &&
	pass "logged with the address" || fail "no log line; $(grep -i reset "$WORK/gateway.log" | head -3)"

code=$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:8080/after)
[ "$code" = 200 ] && pass "the attacker's address still gets an ordinary h2c request answered (200)" ||
	fail "ordinary request from the attacker's address: $code"
stop_gateway
finish
