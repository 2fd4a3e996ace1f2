# A fleet on one machine: three gateways, each in a network namespace of its
# own (as three hosts), with one config and one TLS ticket key file, behind
# HAProxy in TCP mode (send-proxy-v2, health checks on the readiness port
# 15021), asking one rate limit service (tests/e2e/ratelimit_server.py over
# gRPC, counters in a real Redis). Each gateway logs, forwards and limits by
# the client address the PROXY header names; a global limit of 40 a second
# holds within 10 % across the three under 120 requests a second; a limit
# per client address counts one client's requests through every gateway; a
# ticket one gateway issued resumes on another; a session (cookie) one
# gateway gave keeps a client on its endpoint through all three; with the
# service gone, failOpen passes and failClosed is 500 on every gateway; a
# gateway drained with SIGTERM leaves HAProxy's pool (its readiness says
# 503) while it still serves, and no request through the balancer fails
# meanwhile.
. "$(dirname "$0")/lib.sh"

HUB=10.77.0.1 # this namespace's address that the gateways reach: backend, service
A=10.77.0.9   # two clients
B=10.77.0.10
for a in $HUB $A $B; do
	ip addr add "$a/32" dev lo || {
		fail "ip addr add $a"
		finish
	}
done

start_backend_at fleet "$HUB" 0 || {
	fail "backend did not start"
	finish
}
BP=$(cat "$WORK/backend-fleet.port")
for pod in s1 s2 s3; do # three endpoints behind one sticky route
	start_backend_at "$pod" "$HUB" 0 || fail "backend $pod did not start"
done
S1=$(cat "$WORK/backend-s1.port")
S2=$(cat "$WORK/backend-s2.port")
S3=$(cat "$WORK/backend-s3.port")

cat >"$WORK/rls.yaml" <<'YAML'
domain: fleet
descriptors:
  - key: fleet
    rate_limit: {unit: second, requests_per_unit: 40}
  - key: client
    rate_limit: {unit: minute, requests_per_unit: 3}
YAML
start_rls "$WORK/rls.yaml" "$HUB"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=fleet.test -keyout "$WORK/fl.key" -out "$WORK/fl.crt" >/dev/null 2>&1 ||
	fail "openssl req"
echo "$(openssl rand -base64 80 | tr -d '\n')" >"$WORK/ticket.keys"

# rl NAME PREFIX EXTRA-KEYS DESCRIPTOR-ENTRY: a route behind remoteRateLimit.
rl() {
	cat <<YAML
    - name: $1
      matches: [{path: {pathPrefix: $2}}]
      policies:
        remoteRateLimit: {domain: fleet, host: "$HUB:$GP",$3 descriptors: [{entries: [$4]}]}
      backends: [{host: "$HUB:$BP"}]
YAML
}
{
	cat <<YAML
frontendPolicies:
  proxyProtocol: {version: v2, mode: strict}
binds:
- port: 8080
  listeners:
  - name: web
    routes:
YAML
	rl limited /limited "" "{key: fleet, value: '\"all\"'}"
	rl client /client "" "{key: client, value: source.address}"
	rl failopen /failopen " failureMode: failOpen," "{key: other, value: '\"x\"'}"
	rl failclosed /failclosed "" "{key: other, value: '\"x\"'}"
	cat <<YAML
    - name: sticky
      matches: [{path: {pathPrefix: /sticky}}]
      policies:
        sessionPersistence: {cookie: {name: fleet}}
      backends: [{host: "$HUB:$S1"}, {host: "$HUB:$S2"}, {host: "$HUB:$S3"}]
    - name: open
      backends: [{host: "$HUB:$BP"}]
- port: 8443
  listeners:
  - name: tls
    protocol: HTTPS
    tls: {cert: $WORK/fl.crt, key: $WORK/fl.key}
    routes:
    - backends: [{host: "$HUB:$BP"}]
YAML
} >"$WORK/cfg.yaml"
out=$("$SG_BIN" check -c "$WORK/cfg.yaml" 2>&1)
check "check accepts the fleet's config" "$out" "configuration ok"

# Three namespaces, each joined to this one by a veth pair: gateway I is
# 10.77.I.2 there, this side 10.77.I.1, its default route this way.
NS=()
for i in 1 2 3; do
	unshare --net sleep 300 &
	h=$!
	PIDS+=("$h")
	NS[i]=$h
	for _ in $(seq 100); do # until unshare(2) has run
		[ "$(readlink "/proc/$h/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
		sleep 0.01
	done
	ip link add "fl$i" type veth peer name eth0 netns "$h" &&
		ip addr add "10.77.$i.1/24" dev "fl$i" && ip link set "fl$i" up &&
		nsenter -t "$h" -n sh -c "ip link set lo up && ip addr add 10.77.$i.2/24 dev eth0 &&
			ip link set eth0 up && ip route add default via 10.77.$i.1" || {
		fail "network namespace $i"
		finish
	}
done
in_gw() { # I CMD...: CMD in gateway I's namespace
	local h=${NS[$1]}
	shift
	nsenter -t "$h" -n -- "$@"
}

# Gateway I: its own admin socket; the same config and ticket keys for all.
# nsenter execs the gateway (no fork: no PID namespace), so $! is its pid.
GW=()
for i in 1 2 3; do
	: >"$WORK/gw$i.log" # there before ln links it
	nsenter -t "${NS[i]}" -n -- "$SG_BIN" --drain-delay 3s --admin-socket "$WORK/run/admin$i.sock" \
		--tls-ticket-keys "$WORK/ticket.keys" -c "$WORK/cfg.yaml" >"$WORK/gw$i.log" 2>&1 &
	GW[i]=$!
	PIDS+=("$!")
	GW_PIDS+=("$!")
	ln "$WORK/gw$i.log" "$WORK/gateway.$!.log" # san_check reads it
done
for i in 1 2 3; do
	up=0
	for _ in $(seq 200); do
		in_gw "$i" curl -s -o /dev/null --max-time 1 http://127.0.0.1:15000/config_dump &&
			up=1 && break
		sleep 0.05
	done
	[ "$up" = 1 ] || {
		fail "gateway $i did not come up: $(cat "$WORK/gw$i.log")"
		finish
	}
done

HP=$(free_port) # the balancer's HTTP port
T1=$(free_port) # TLS to gateway 1 alone
T2=$(free_port) # TLS to gateway 2 alone
SP=$(free_port) # HAProxy's stats
cat >"$WORK/haproxy.cfg" <<CFG
global
  maxconn 2000
defaults
  mode tcp
  timeout connect 2s
  timeout client 30s
  timeout server 30s
listen lb
  bind $HUB:$HP
  balance roundrobin
  option httpchk GET /healthz/ready
  http-check expect status 200
  default-server inter 300ms fall 2 rise 1 check port 15021 send-proxy-v2
  server g1 10.77.1.2:8080
  server g2 10.77.2.2:8080
  server g3 10.77.3.2:8080
listen tls1
  bind $HUB:$T1
  server g1 10.77.1.2:8443 send-proxy-v2
listen tls2
  bind $HUB:$T2
  server g2 10.77.2.2:8443 send-proxy-v2
listen stats
  mode http
  bind 127.0.0.1:$SP
  stats enable
  stats uri /stats
CFG
haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
PIDS+=("$!")

# hap_status SERVER: lb's server's status as HAProxy's health checks see it.
hap_status() {
	curl -s --max-time 2 "http://127.0.0.1:$SP/stats;csv" | awk -F, -v s="$1" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") col = i; next }
		$1 == "lb" && $2 == s { print $col }'
}
all_up=0
for _ in $(seq 200); do
	[ "$(hap_status g1) $(hap_status g2) $(hap_status g3)" = "UP UP UP" ] && all_up=1 && break
	sleep 0.05
done
[ "$all_up" = 1 ] && pass "HAProxy: the three gateways are up (readiness checks pass)" || {
	fail "HAProxy: $(hap_status g1) $(hap_status g2) $(hap_status g3); $(cat "$WORK/haproxy.log")"
	finish
}
u=http://$HUB:$HP

# The client's address through the balancer: three requests on new
# connections, one to each gateway (round robin).
xff=""
for n in 1 2 3; do
	hcall --interface "$A" "$u/echo?n=$n"
	xff="$xff $H_CODE:$(echo_header X-Forwarded-For)"
done
check "X-Forwarded-For is the client HAProxy saw, through every gateway" "$xff" \
	" 200:$A 200:$A 200:$A"
logged=""
for i in 1 2 3; do
	grep -q "src.addr=$A:[0-9]* .*http.path=/echo" "$WORK/gw$i.log" && logged="$logged $i"
done
check "each gateway's access log names the client, not HAProxy" "$logged" " 1 2 3"

# The global limit: 40 a second for the whole fleet, under 120 a second
# spread over the three (six connections, two to each).
load=$(/usr/bin/python3 "$E2E_DIR/fleet_load.py" "$HUB" "$HP" /limited 6 20 4)
# the whole seconds of the run: their 200s, the most in one, their 429s
sums=$(jq -r '. as $r | [range($r.start; $r.start + $r.seconds) | tostring | $r.windows[.] // {}] |
	[(map(.["200"] // 0) | add), (map(.["200"] // 0) | max), (map(.["429"] // 0) | add)] |
	map(tostring) | join(" ")' <<<"$load")
read -r ok most over <<<"$sums"
if [ "${ok:-0}" -ge 144 ] && [ "${ok:-0}" -le 176 ] && [ "${most:-99}" -le 44 ] &&
	[ "${over:-0}" -gt 0 ] && [ "$(jq .errors <<<"$load")" = 0 ]; then
	pass "global limit 40/s across three gateways: $ok passed in 4 s (160 +-10 %), at most $most in a second, $over refused"
else
	fail "global limit: $ok passed in 4 s (want 144-176), at most $most a second, $over refused: $load"
fi
served=""
for i in 1 2 3; do
	[ "$(grep -c "http.path=/limited .*http.status=200" "$WORK/gw$i.log")" -gt 0 ] &&
		[ "$(grep -c "http.path=/limited .*http.status=429" "$WORK/gw$i.log")" -gt 0 ] &&
		served="$served $i"
done
check "every gateway passed and refused a share of it" "$served" " 1 2 3"

# A limit per client address (3 a minute): one client's requests count
# through every gateway (round robin: gateways 1 2 3 1, or any turn of it).
s=$(date +%S)
s=${s#0}
[ "$s" -lt 55 ] || sleep $((61 - s)) # the four in one minute
codes=""
for n in 1 2 3 4; do
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --interface "$A" "$u/client")"
done
check "per client address: the fourth request through the fleet is refused" "$codes" \
	" 200 200 200 429"
check "another client keeps its own count" \
	"$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --interface "$B" "$u/client")" 200

# Session persistence across the fleet: a session one gateway gave names
# its endpoint the same way on every gateway, so a client's requests (each
# on a new connection: round robin over the three) keep to it.
declare -A PAIRS=()
for n in $(seq 90); do
	hcall "$u/sticky/new/$n"
	pod=$(resp_header x-backend)
	sc=$(resp_header set-cookie)
	[ "$H_CODE" = 200 ] && [ -n "$sc" ] && PAIRS[$pod]=${sc%%;*}
	[ "${#PAIRS[@]}" -ge 3 ] && break
done
check "sessions without a cookie are balanced over the three endpoints" \
	"$(printf '%s\n' "${!PAIRS[@]}" | sort | tr '\n' ' ')" "s1 s2 s3 "
for pod in s1 s2 s3; do
	bad=""
	for n in 1 2 3 4 5 6; do
		hcall -H "cookie: ${PAIRS[$pod]}" "$u/sticky/$pod/$n"
		got=$(resp_header x-backend)
		[ "$H_CODE" = 200 ] && [ "$got" = "$pod" ] && [ -z "$(resp_header set-cookie)" ] ||
			bad="$bad [$n: $H_CODE $got]"
	done
	via=""
	for i in 1 2 3; do
		grep -q "http.path=/sticky/$pod/" "$WORK/gw$i.log" && via="$via $i"
	done
	check "the session of $pod stays on it through every gateway (${via:-none})" \
		"${bad:-none} via$via" "none via 1 2 3"
done

# TLS session tickets: gateway 1 issues one, gateway 2 resumes it.
session() { # PORT OUT|IN FILE: prints New or Reused
	printf 'GET / HTTP/1.1\r\nHost: fleet.test\r\nConnection: close\r\n\r\n' |
		timeout 10 openssl s_client -connect "$HUB:$1" -servername fleet.test -tls1_3 \
			-ign_eof "-sess_${2,,}" "$3" 2>/dev/null | grep -oE '^(New|Reused)' | head -1
}
check "gateway 1 issues a ticket" "$(session "$T1" OUT "$WORK/g1.sess")" New
check "gateway 2 resumes gateway 1's ticket (one key file)" \
	"$(session "$T2" IN "$WORK/g1.sess")" Reused

# The rate limit service gone: failOpen passes, failClosed is 500, on
# every gateway.
kill "$RLS" && wait "$RLS" 2>/dev/null
codes=""
for n in 1 2 3; do
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$u/failopen")"
done
check "service down, failOpen: passes on every gateway" "$codes" " 200 200 200"
codes=""
for n in 1 2 3; do
	hcall "$u/failclosed"
	codes="$codes $H_CODE:$H_BODY"
done
check "service down, failClosed: 500 on every gateway" "$codes" \
	" 500:rate limit failed 500:rate limit failed 500:rate limit failed"

# Drain gateway 3: from SIGTERM its readiness is 503 and it serves on for
# --drain-delay (3 s). HAProxy (checks every 300 ms, down after 2) takes it
# out while it still runs; requests on new connections through the
# balancer all succeed until it has exited.
kill -TERM "${GW[3]}"
n=0
bad=0
out_while_up=""
for _ in $(seq 600); do # 0.02 s apart and a request each: 30 s at most
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$u/open/drain")
	n=$((n + 1))
	[ "$code" = 200 ] || bad=$((bad + 1))
	if [ -z "$out_while_up" ] && [ "$(hap_status g3)" = DOWN ]; then
		running "${GW[3]}" && out_while_up=yes || out_while_up=no
	fi
	running "${GW[3]}" || break
	sleep 0.02
done
check "HAProxy took the draining gateway out of its pool while it still served" \
	"$out_while_up" yes
check "requests through the balancer while a gateway drained: none failed" "$bad of $n" "0 of $n"
stop_pid "${GW[3]}" # its exit status
check "after the drain, HAProxy keeps it out" "$(hap_status g3)" DOWN
finish
