# Admin API and remote clients: by default it listens on 127.0.0.1 only;
# bound to every address (--admin 0.0.0.0:15000 or [::]:15000) it answers
# clients from a non-loopback address with 403 and an exact reason, for every
# endpoint and method (config_dump, quitquitquit, logging, apply), and
# changes nothing, while loopback clients and the stats/readiness listeners
# are served as before; --admin-allow-remote lets remote clients in. The
# remote client runs in a second network namespace joined to the test's by a
# veth pair (10.77.0.2 -> 10.77.0.1, fd00:77::2 -> fd00:77::1).
. "$(dirname "$0")/lib.sh"

GW4=10.77.0.1
GW6=fd00:77::1
unshare --net sleep 300 &
PEER=$!
PIDS+=("$PEER")
sleep 0.1
peer() { nsenter --net="/proc/$PEER/ns/net" "$@"; }
if ! { ip link add sgv0 type veth peer name sgv1 && ip link set sgv1 netns "$PEER" &&
	ip addr add "$GW4/24" dev sgv0 && ip link set sgv0 up &&
	peer ip addr add 10.77.0.2/24 dev sgv1 && peer ip link set sgv1 up; } 2>"$WORK/ip.err"; then
	echo "  skipped: cannot build a veth pair here: $(cat "$WORK/ip.err")"
	finish
fi
{ ip -6 addr add "$GW6/64" dev sgv0 nodad && peer ip -6 addr add fd00:77::2/64 dev sgv1 nodad; } \
	2>/dev/null || GW6=

# rcall CURL-ARGS...: hcall from the remote namespace.
rcall() {
	local out
	H_HEADERS=$WORK/headers
	out=$(peer curl -s -o "$WORK/body" -D "$H_HEADERS" -w '%{http_code} %{time_total}' \
		--max-time 20 "$@")
	H_CODE=${out%% *}
	H_TIME=${out##* }
	H_BODY=$(cat "$WORK/body" 2>/dev/null)
}

REFUSED="the admin API answers loopback clients only; start splicegate with --admin-allow-remote to allow others"

start_backend adm
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
cat >"$WORK/route.yaml" <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: remote, namespace: e2e}
spec:
  gatewayClassName: agentgateway
  listeners: [{name: http, port: 18090, protocol: HTTP}]
YAML

# Default: loopback only, so a remote client cannot even connect.
start_gateway -c "$WORK/cfg.yaml" || exit 1
check "default admin listens on loopback only" \
	"$(ss -Htln 'sport = :15000' | awk '{ print $4 }')" "127.0.0.1:15000"
rcall "http://$GW4:15000/config_dump"
check "default admin: a remote client cannot connect" "$H_CODE" 000
stop_gateway

# Bound to every address: remote clients refused, loopback served.
start_gateway -c "$WORK/cfg.yaml" --admin 0.0.0.0:15000 || exit 1
hcall "http://127.0.0.1:15000/config_dump"
expect "loopback client gets config_dump" 200 "{*"
expect_date "the admin API's answer has a Date"
rcall "http://$GW4:15000/config_dump"
expect "remote GET /config_dump refused" 403 "$REFUSED"
check "403 is text/plain" "$(grep -i '^content-type' "$H_HEADERS" | tr -d '\r')" \
	"content-type: text/plain"
rcall -X POST "http://$GW4:15000/quitquitquit"
expect "remote POST /quitquitquit refused" 403 "$REFUSED"
sleep 0.3
kill -0 "$GW_PID" 2>/dev/null && pass "the gateway is still running" || fail "gateway exited"
rcall -X POST "http://$GW4:15000/logging?level=debug"
expect "remote POST /logging refused" 403 "$REFUSED"
rcall "http://$GW4:15000/no/such/path"
expect "remote unknown path refused the same way (no 404 probing)" 403 "$REFUSED"
peer "$SG_BIN" apply --admin "$GW4:15000" -f "$WORK/route.yaml" >"$WORK/apply.out" 2>"$WORK/apply.err"
rc=$?
check "remote apply exits 1 with the reason" "$rc $(cat "$WORK/apply.err")" "1 $REFUSED"
sleep 0.3
port_listening 18090 && fail "remote apply opened :18090" ||
	pass "remote apply changed nothing"
"$SG_BIN" apply -f "$WORK/route.yaml" >"$WORK/apply.out" 2>&1 &&
	wait_port 18090 5 && pass "loopback apply still works" ||
	fail "loopback apply: $(cat "$WORK/apply.out")"
rcall "http://$GW4:15020/metrics"
expect "stats listener serves remote scrapers" 200 "*splicegate_requests_total*"
rcall "http://$GW4:15021/healthz/ready"
expect "readiness listener serves remote probes" 200 "ready"
rcall "http://$GW4:8080/status/200"
expect "the proxy serves remote clients" 200 "*"
stop_gateway

# IPv6 wildcard: ::1 and IPv4 loopback (as ::ffff:127.0.0.1) are loopback;
# a global IPv6 address and IPv4-mapped 10.77.0.2 are not.
if [ -n "$GW6" ]; then
	start_gateway -c "$WORK/cfg.yaml" --admin "[::]:15000" || exit 1
	hcall "http://[::1]:15000/config_dump"
	expect "[::]: ::1 served" 200 "{*"
	hcall "http://127.0.0.1:15000/config_dump"
	expect "[::]: 127.0.0.1 (v4-mapped) served" 200 "{*"
	rcall "http://[$GW6]:15000/config_dump"
	expect "[::]: fd00:77::2 refused" 403 "$REFUSED"
	rcall "http://$GW4:15000/config_dump"
	expect "[::]: 10.77.0.2 (v4-mapped) refused" 403 "$REFUSED"
	stop_gateway
else
	echo "  (no IPv6 in this namespace: the [::] cases are not run)"
fi

# Explicitly allowed (writes on the TCP port too: --admin-tcp-writes).
start_gateway -c "$WORK/cfg.yaml" --admin 0.0.0.0:15000 --admin-allow-remote --admin-tcp-writes ||
	exit 1
rcall "http://$GW4:15000/config_dump"
expect "--admin-allow-remote: remote config_dump served" 200 "{*"
grep -q "admin API open to non-loopback clients" "$WORK/gateway.log" &&
	pass "--admin-allow-remote is logged as a warning" || fail "no warning logged"
rcall -X POST "http://$GW4:15000/quitquitquit"
expect "--admin-allow-remote: remote quitquitquit served" 200 "OK"
for _ in $(seq 100); do
	kill -0 "$GW_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$GW_PID" 2>/dev/null && fail "gateway did not stop" || pass "and the gateway stopped"
finish
