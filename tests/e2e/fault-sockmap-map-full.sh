# The BPF socket map full (DESIGN §5 fact 10): with room for 4 sockets, the
# third of three TCP-route connections cannot be paired. It falls back to
# userspace, counted in splicegate_sockmap_fallbacks_total, and all three
# echo 4 MiB byte-identical; once the clients leave, the map is empty again
# and no fd is left behind.
. "$(dirname "$0")/lib.sh"

E=$(free_port)
/usr/bin/python3 "$E2E_DIR/echo_server.py" "$E" &
PIDS+=("$!")
wait_port "$E" 10 || { fail "echo backend did not start"; finish; }
cat >"$WORK/gw.yaml" <<YAML
binds:
- port: 9000
  listeners:
  - name: tcp
    protocol: TCP
    tcpRoutes:
    - name: echo
      backends:
      - host: 127.0.0.1:$E
YAML

stats() {
	curl -s --max-time 5 http://127.0.0.1:15000/stats | jq -r "$1"
}

export SG_SOCKMAP_MAX_SOCKS=4
if start_engine sockmap -p 9000 -c "$WORK/gw.yaml" --workers 1; then
	fds_before=$(ls /proc/"$GW_PID"/fd | wc -l)
	out=$(/usr/bin/python3 - <<'PY'
import os, socket, time
data = os.urandom(4 << 20)
conns = [socket.create_connection(("127.0.0.1", 9000)) for _ in range(3)]
time.sleep(0.3)  # all three are paired (or not) before any byte flows
for c in conns:
    c.sendall(data[:1 << 20])  # prime: the gateway pairs on connect
ok = 0
for c in conns:
    c.sendall(data[1 << 20:])
    c.shutdown(socket.SHUT_WR)
    got = bytearray()
    while True:
        d = c.recv(1 << 20)
        if not d:
            break
        got += d
    ok += bytes(got) == data
    c.close()
print(ok)
PY
)
	[ "$out" = 3 ] && pass "3 connections through a map with room for 2: all echoed byte-identical" ||
		fail "byte-identical echoes: $out of 3"
	fb=$(curl -s http://127.0.0.1:15020/metrics | awk '/^splicegate_sockmap_fallbacks_total/ {print $2}')
	[ "${fb:-0}" -ge 1 ] && pass "the connection that did not fit fell back ($fb counted)" ||
		fail "no fallback counted ($fb)"
	left=
	for _ in $(seq 30); do
		left=$(stats .splicedSockets)
		[ "$left" = 0 ] && break
		sleep 0.1
	done
	[ "$left" = 0 ] && pass "map empty after the clients left" || fail "map holds $left sockets"
	fds_after=$(ls /proc/"$GW_PID"/fd | wc -l)
	[ "$fds_after" -le "$fds_before" ] && pass "no fd leaked ($fds_before before, $fds_after after)" ||
		fail "fds $fds_before before, $fds_after after"
	stop_gateway
else
	fail "gateway (sockmap) did not start"
fi
finish
