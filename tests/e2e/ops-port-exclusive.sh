# No silent port sharing: a second gateway (same uid, its own admin ports
# and socket) on a port the first listens on exits 2 with "0.0.0.0:8080 in
# use" before it logs any listener or binds anything (its admin, stats and
# readiness ports never listen), and every request still goes to the first;
# a foreign SO_REUSEPORT listener on a port is found the same way, at start
# and by an apply that adds it (refused, the config in force unchanged); a
# second gateway on the first's admin port or admin socket exits 2 without
# logging a listener; after kill -9 the same gateway starts again (its stale
# admin socket replaced) and serves.
. "$(dirname "$0")/lib.sh"

start_backend a
A=$BACKEND_PORT
start_backend b
B=$BACKEND_PORT
# cfg NAME PORT BACKEND ADMIN: a config on PORT to BACKEND, its admin,
# stats and readiness on ADMIN, ADMIN+20, ADMIN+21.
cfg() {
	cat >"$WORK/$1.yaml" <<YAML
config:
  adminAddr: 127.0.0.1:$4
  statsAddr: 127.0.0.1:$(($4 + 20))
  readinessAddr: 127.0.0.1:$(($4 + 21))
binds:
- port: $2
  listeners:
  - routes:
    - backends: [{host: 127.0.0.1:$3}]
YAML
}
cfg first 8080 "$A" 15000
cfg second 8080 "$B" 15100
cfg admin-clash 8081 "$B" 15000
cfg foreign 8082 "$B" 15100

# second NAME ARGS...: runs a second gateway to its end (10 s at most);
# "exit status | stderr and stdout" and whether any port of its own ever
# listened is in $WORK/NAME.*.
second() {
	local name=$1
	shift
	timeout 10 "$SG_BIN" --drain-delay 0 "$@" >"$WORK/$name.log" 2>&1
	echo $? >"$WORK/$name.rc"
}

start_gateway -c "$WORK/first.yaml" || exit 1
second second -c "$WORK/second.yaml" --admin-socket "$WORK/run/second.sock"
check "a second gateway on :8080 exits 2" "$(cat "$WORK/second.rc")" 2
check "... saying the address is in use, and nothing else" "$(cat "$WORK/second.log")" \
	"0.0.0.0:8080 in use: another process listens there"
port_listening 15100 && fail "the second gateway's admin port listens" ||
	pass "... its admin port never listened"
[ -e "$WORK/run/second.sock" ] && fail "the second gateway's socket is there" ||
	pass "... nor its admin socket"
backends=$(for _ in $(seq 12); do
	curl -s -D - -o /dev/null --max-time 5 http://127.0.0.1:8080/status/200 |
		tr -d '\r' | awk -F': ' 'tolower($1) == "x-backend" { print $2 }'
done | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ')
check "every request goes to the first gateway" "$backends" "a=12 "

second admin-clash -c "$WORK/admin-clash.yaml" --admin-socket "$WORK/run/clash.sock"
check "a second gateway on the first's admin port exits 2, logging no listener" \
	"$(cat "$WORK/admin-clash.rc") $(grep -c 'listening on' "$WORK/admin-clash.log")" "2 0"
grep -q 'admin address 127.0.0.1:15000: Address already in use' "$WORK/admin-clash.log" &&
	pass "... saying why" || fail "admin clash: $(cat "$WORK/admin-clash.log")"
port_listening 8081 && fail ":8081 listens" || pass "... and never listened on :8081"
cfg sock 8083 "$B" 15100
second sock-clash -c "$WORK/sock.yaml"
check "a second gateway on the first's admin socket exits 2, logging no listener" \
	"$(cat "$WORK/sock-clash.rc") $(grep -c 'listening on' "$WORK/sock-clash.log")" "2 0"
grep -qF "admin socket $SPLICEGATE_ADMIN_SOCKET: in use by a running gateway (--admin-socket PATH chooses another)" \
	"$WORK/sock-clash.log" && pass "... saying why" || fail "socket clash: $(cat "$WORK/sock-clash.log")"

# Another program's SO_REUSEPORT listener (same uid) on :8082.
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("0.0.0.0", 8082))
s.listen(16)
open(sys.argv[1], "w").write("up")
time.sleep(60)
' "$WORK/foreign.up" &
PIDS+=("$!")
for _ in $(seq 100); do [ -s "$WORK/foreign.up" ] && break; sleep 0.05; done
second foreign -c "$WORK/foreign.yaml" --admin-socket "$WORK/run/foreign.sock"
check "a gateway on a port another program holds with SO_REUSEPORT exits 2" \
	"$(cat "$WORK/foreign.rc") $(cat "$WORK/foreign.log")" \
	"2 0.0.0.0:8082 in use: another process listens there"
gateway_yaml | sed 's/port: 8080/port: 8082/' >"$WORK/gw8082.yaml"
"$SG_BIN" apply -f "$WORK/gw8082.yaml" >"$WORK/apply.out" 2>&1
check "an apply adding that port is refused" "$? $(grep -c '0.0.0.0:8082 in use' "$WORK/apply.out")" "1 1"
check "... and the config in force is unchanged" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -c '[.binds[].key]')" '["bind/8080"]'

# An apply that adds a free port, a delete, and the same apply again at
# once (the workers may still hold the port: no conflict with themselves).
gateway_yaml | sed 's/port: 8080/port: 8084/' >"$WORK/gw8084.yaml"
ok=0
for _ in 1 2 3; do
	"$SG_BIN" apply -f "$WORK/gw8084.yaml" >/dev/null 2>&1 &&
		"$SG_BIN" delete -f "$WORK/gw8084.yaml" >/dev/null 2>&1 && ok=$((ok + 1))
done
check "apply, delete, apply of a port of its own: never in use" "$ok" 3

# kill -9, then the same gateway again.
crash_gateway
check "kill -9 leaves the admin socket file" "$(stat -c %F "$SPLICEGATE_ADMIN_SOCKET" 2>&1)" socket
start_gateway -c "$WORK/first.yaml" || finish
wait_port 8080 5
check "after kill -9 the gateway starts again and serves" \
	"$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:8080/status/200)" 200
"$SG_BIN" apply -f "$WORK/gw8084.yaml" >/dev/null 2>&1 && wait_port 8084 5 &&
	pass "... and takes an apply over its new socket" || fail "apply after restart"
stop_gateway
finish
