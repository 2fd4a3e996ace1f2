# Fault: a client names hosts whose name server never answers, through a route with a dynamic backend (each request's Host is looked up; a private /etc/resolv.conf names a UDP black hole, lookups giving up after 1 s). The client's lookups must not hold the worker's others: a configured name (localhost, from /etc/hosts) still connects at once while 6 client-named lookups wait (before: it waited behind them, about 6 s), and client-named lookups waiting per worker are bounded (64): the 80 sent at once past it are answered at once 503 "upstream call failed: connect: dns: too many lookups waiting" (before: all 80 queued, 80 s of lookups), while the configured name (pooled by then) and an address still answer 200.
if [ -z "${SG_DNS_MOUNT_NS:-}" ]; then
	# A mount namespace of this scenario's own, so that the black hole's
	# resolv.conf covers only the processes started here.
	exec env SG_DNS_MOUNT_NS=1 unshare --mount bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

dns_blackhole 1

fault_backends
fault_config <<YAML
    - name: dyn
      matches: [{path: {pathPrefix: /dyn}}]
      backends: [{dynamic: {}}]
    - name: hosts
      matches: [{path: {pathPrefix: /hosts}}]
      backends: [{host: "localhost:$GOOD"}]
YAML

if ! fault_start auto; then
	fail "gateway did not start"
	finish
fi

# 1. Six client-named lookups (6 s of the resolver's time, one at a time)
# and, behind them, the configured name's.
for i in 1 2 3 4 5 6; do
	get "/dyn/$i" -H "Host: n$i.blackhole.test" >"$WORK/dyn.$i" &
	DYN+=("$!")
done
sleep 0.3
out=$(get "/hosts?size=7")
check "a configured name, while 6 client-named lookups wait: 200" "$(cut -d' ' -f1 <<<"$out")" 200
within "$out" 0 1 && pass "at once ($(cut -d' ' -f2 <<<"$out") s)" ||
	fail "after $(cut -d' ' -f2 <<<"$out") s: it waited behind the client's lookups"
wait "${DYN[@]}"
check "a client-named lookup that times out: 503 and the failure body" \
	"$(status_body "$(cat "$WORK/dyn.1")")" \
	"503 upstream call failed: connect: dns: no answer from a name server (temporary failure)"

# 2. 80 client-named lookups at once: past 64 waiting, answered at once.
for i in $(seq 80); do
	get "/dyn/$i" -H "Host: m$i.blackhole.test" >"$WORK/many.$i" &
	MANY+=("$!")
done
sleep 1.5
busy=0
for i in $(seq 80); do
	out=$(cat "$WORK/many.$i" 2>/dev/null)
	case $out in
	"503 "*" upstream call failed: connect: dns: too many lookups waiting")
		within "$out" 0 0.5 && busy=$((busy + 1)) ;;
	esac
done
[ "$busy" -ge 8 ] && [ "$busy" -le 16 ] &&
	pass "$busy of the 80 answered at once: 503 dns: too many lookups waiting" ||
	fail "$busy of the 80 answered 503 dns: too many lookups waiting within 0.5 s, want 8 to 16"
out=$(get "/hosts?size=7")
check "meanwhile the configured name (its connection pooled): 200" "$(cut -d' ' -f1 <<<"$out")" 200
within "$out" 0 1 || fail "after $(cut -d' ' -f2 <<<"$out") s"
check "and an address: 200" "$(get "/good?size=10" | cut -d' ' -f1)" 200
kill "${MANY[@]}" 2>/dev/null
wait "${MANY[@]}" 2>/dev/null
stop_gateway
finish
