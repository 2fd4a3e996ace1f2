# --splice auto (the default): with BPF, TCP routes and tunnels go through the kernel (sockmap) and HTTP bodies of 64 KiB and more through splice(2), as /metrics' body bytes by engine show; without BPF (an unprivileged gateway) it says so once in the log and moves everything with splice(2).
. "$(dirname "$0")/lib.sh"

# echo_once PORT SIZE: sends SIZE bytes, half-closes, prints the count read back.
cat >"$WORK/echo_once.py" <<'PY'
import socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
data = b"x" * int(sys.argv[2])
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
got = 0
while True:
    d = s.recv(262144)
    if not d:
        break
    got += len(d)
t.join()
print(got)
PY

E=$(free_port)
TP=$(free_port)
/usr/bin/python3 "$E2E_DIR/echo_server.py" "$E" &
PIDS+=("$!")
start_backend web || { fail "backend did not start"; finish; }
wait_port "$E" 10 || { fail "echo backend did not start"; finish; }
chmod 755 "$WORK"
cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: web
      backends:
      - host: 127.0.0.1:$BACKEND_PORT
- port: $TP
  listeners:
  - name: tcp
    protocol: TCP
    tcpRoutes:
    - name: echo
      backends:
      - host: 127.0.0.1:$E
YAML
chmod 644 "$WORK/config.yaml"

# bytes ENGINE: splicegate_body_bytes_total{engine="ENGINE"} right now.
bytes() {
	curl -s http://127.0.0.1:15000/metrics |
		awk -v e="$1" '$1 == "splicegate_body_bytes_total{engine=\"" e "\"}" { print $2 }'
}

# traffic: one 1 MiB download and 4 MiB each way through the TCP route.
traffic() {
	local size
	size=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:8080/get?size=1048576")
	check "$1: 1 MiB download" "$size" 1048576
	check "$1: 4 MiB each way through the TCP route" \
		"$(/usr/bin/python3 "$WORK/echo_once.py" "$TP" $((4 << 20)))" $((4 << 20))
}

if start_gateway -c "$WORK" && wait_port 8080 5 && wait_port "$TP" 5; then
	traffic "auto with BPF"
	check "auto with BPF: the TCP route went through the kernel" "$(bytes sockmap)" $((8 << 20))
	check "auto with BPF: the body went through splice(2)" "$(bytes splice)" 1048576
	check "auto with BPF: the log says which engine does what" \
		"$(grep -c 'splice engine for bodies, sockmap for tunnels' "$WORK/gateway.log")" 1
	stop_gateway
else
	fail "gateway (auto) did not start"
fi

# Unprivileged: no BPF, so splice(2) for everything, said once.
wait_ports_free 15000 8080 "$TP"
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$SG_BIN" -c "$WORK" >"$WORK/unpriv.log" 2>&1 &
GW_PID=$!
PIDS+=("$GW_PID")
if wait_http http://127.0.0.1:15000/config_dump 10 && wait_port "$TP" 5; then
	traffic "auto without BPF"
	check "auto without BPF: the TCP route went through splice(2)" "$(bytes sockmap)" 0
	check "auto without BPF: everything through splice(2)" "$(bytes splice)" $((1048576 + (8 << 20)))
	check "auto without BPF: said once" \
		"$(grep -c 'BPF sockmap not available' "$WORK/unpriv.log")" 1
	stop_gateway
else
	fail "unprivileged gateway did not start:"
	cat "$WORK/unpriv.log"
fi
finish
