# --tunnel-idle-timeout: a TCP-route connection with no byte moving either way for the timeout is closed (counted as an idle timeout in /metrics); one that trickles a few bytes now and then, and one whose backend streams for three times the timeout while the kernel (sockmap) moves every byte without userspace seeing it, stay open. In every engine; a bad value is refused at start.
. "$(dirname "$0")/lib.sh"

# pace.py PORT: sends 64 KiB every 100 ms, 30 times, then closes (the echo
# backend is tests/e2e/echo_server.py).
cat >"$WORK/pace.py" <<'PY'
import socket, sys, threading, time
def serve(c):
    with c:
        try:
            for _ in range(30):
                c.sendall(b"p" * 65536)
                time.sleep(0.1)
        except OSError:
            pass
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1])))
l.listen(16)
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
# client.py MODE PORT: what the client saw.
#   idle:    "closed after S s" once the gateway closes a silent connection
#   trickle: "open" when 10 bytes every 300 ms for 3 s all came back
#   stream:  "N bytes, EOF after S s" for the paced download
cat >"$WORK/client.py" <<'PY'
import socket, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
t0 = time.monotonic()
if mode == "idle":
    s.sendall(b"hi")
    got = s.recv(10)
    try:
        d = s.recv(10)
        print("closed after %.0f s" % (time.monotonic() - t0) if not d else "data %r" % d)
    except socket.timeout:
        print("still open after 10 s")
elif mode == "trickle":
    ok = True
    for _ in range(10):
        s.sendall(b"0123456789")
        got = b""
        while len(got) < 10:
            d = s.recv(10 - len(got))
            if not d:
                ok = False
                break
            got += d
        if not ok:
            break
        time.sleep(0.3)
    print("open" if ok else "closed after %.1f s" % (time.monotonic() - t0))
else:
    n = 0
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        n += len(d)
    print("%d bytes, EOF after %.0f s" % (n, time.monotonic() - t0))
PY

E=$(free_port)
P=$(free_port)
T1=$(free_port)
T2=$(free_port)
/usr/bin/python3 "$E2E_DIR/echo_server.py" "$E" &
PIDS+=("$!")
/usr/bin/python3 "$WORK/pace.py" "$P" &
PIDS+=("$!")
wait_port "$E" 10 && wait_port "$P" 10 || { fail "backends did not start"; finish; }
cat >"$WORK/config.yaml" <<YAML
binds:
- port: $T1
  listeners:
  - name: echo
    protocol: TCP
    tcpRoutes:
    - name: echo
      backends:
      - host: 127.0.0.1:$E
- port: $T2
  listeners:
  - name: pace
    protocol: TCP
    tcpRoutes:
    - name: pace
      backends:
      - host: 127.0.0.1:$P
YAML

idle_timeouts() {
	curl -s http://127.0.0.1:15000/metrics |
		awk '/^splicegate_timeouts_total\{kind="idle"\}/ { print $2 }'
}

for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -p "$T1" -p "$T2" -c "$WORK" --tunnel-idle-timeout 1s; then
		fail "gateway ($engine) did not start"
		continue
	fi
	/usr/bin/python3 "$WORK/client.py" idle "$T1" >"$WORK/idle.out" &
	idle_pid=$!
	/usr/bin/python3 "$WORK/client.py" stream "$T2" >"$WORK/stream.out" &
	stream_pid=$!
	check "$engine: a connection trickling 10 bytes every 300 ms stays open" \
		"$(/usr/bin/python3 "$WORK/client.py" trickle "$T1")" open
	wait "$idle_pid" "$stream_pid"
	out=$(cat "$WORK/idle.out")
	case $out in
	"closed after 1 s" | "closed after 2 s") pass "$engine: a silent connection is closed ($out)" ;;
	*) fail "$engine: silent connection: $out (want closed after 1-2 s)" ;;
	esac
	check "$engine: a backend streaming for 3 s through the tunnel is not idle" \
		"$(cat "$WORK/stream.out")" "$((30 * 65536)) bytes, EOF after 3 s"
	check "$engine: the idle close is counted" "$(idle_timeouts)" 1
	stop_gateway
done

out=$("$SG_BIN" --tunnel-idle-timeout 5 -c "$WORK" 2>&1)
check "a duration without unit is refused" "$out" \
	'splicegate: --tunnel-idle-timeout: missing unit, got "5"'
out=$("$SG_BIN" --tunnel-idle-timeout 0s -c "$WORK" 2>&1)
check "zero is refused" "$out" \
	'splicegate: --tunnel-idle-timeout: expected a positive duration, got "0s"'
finish
