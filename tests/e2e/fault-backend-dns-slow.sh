# Fault: the name server does not answer (a UDP black hole that a private /etc/resolv.conf names, lookups giving up after 2 s). Names are looked up off the event loop: a gateway with one worker answers other clients at once while a request waits for its backend's name, which then gets 503 "upstream call failed: connect: dns: no answer from a name server (temporary failure)"; a connect timeout shorter than the lookup gives 504 "upstream call timeout" on time; a client that leaves during the lookup leaves nothing behind; a name from /etc/hosts connects. (With the lookup on the loop, every other client waited the whole 2 s.)
if [ -z "${SG_DNS_MOUNT_NS:-}" ]; then
	# A mount namespace of this scenario's own, so that the black hole's
	# resolv.conf covers only the processes started here.
	exec env SG_DNS_MOUNT_NS=1 unshare --mount bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

dns_blackhole 2

fault_backends
fault_config <<YAML
    - name: slow
      matches: [{path: {pathPrefix: /slow}}]
      backends: [{host: "backend.blackhole.test:80"}]
    - name: slowct
      matches: [{path: {pathPrefix: /connect-timeout}}]
      backends:
      - host: "backend.blackhole.test:81"
        policies:
          tcp:
            connectTimeout: {secs: 1, nanos: 0}
    - name: hosts
      matches: [{path: {pathPrefix: /hosts}}]
      backends: [{host: "localhost:$GOOD"}]
YAML

if ! fault_start auto; then
	fail "gateway did not start"
	finish
fi

# One request waits for the name; the worker's other clients must not.
get /slow >"$WORK/slow.out" &
slow_pid=$!
sleep 0.3
late=0
for i in 1 2 3 4 5; do
	out=$(get "/good?size=10")
	case $out in
	"200 "*) within "$out" 0 1 || late=$((late + 1)) ;;
	*) late=$((late + 1)) ;;
	esac
done
check "while a name is looked up, 5 other requests answered 200 within 1 s each" "$late" 0
wait "$slow_pid"
out=$(cat "$WORK/slow.out")
check "the request waiting for the name: 503 and the failure body" "$(status_body "$out")" \
	"503 upstream call failed: connect: dns: no answer from a name server (temporary failure)"
within "$out" 1.5 10 && pass "it was answered when the resolver gave up ($(cut -d' ' -f2 <<<"$out") s)" ||
	fail "answered after $(cut -d' ' -f2 <<<"$out") s, not after the 2 s lookup"

out=$(get /connect-timeout)
check "a connect timeout shorter than the lookup: 504" "$(status_body "$out")" \
	"504 upstream call timeout"
within "$out" 0.9 1.8 && pass "on time (1 s)" || fail "after $(cut -d' ' -f2 <<<"$out") s"

out=$(get /slow --max-time 0.5)
check "a client that leaves during the lookup is let go" "${out%% *}" "000"
out=$(get "/hosts?size=7")
check "a name from /etc/hosts connects" "$(cut -d' ' -f1,3 <<<"$out")" "200 7"

sleep 2.5 # the abandoned lookup ends
check "served after all that" "$(get "/good?size=10" | cut -d' ' -f1)" 200
fault_leaks "slow name server"
stop_gateway
finish
