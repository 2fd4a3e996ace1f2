# A reset crosses a TCP route as a reset, both ways, every engine: a backend that sends 1,000 bytes and then resets leaves the client with those bytes and ECONNRESET (it got a clean FIN, as if the stream had ended), and a client that resets leaves the backend with ECONNRESET (it got a FIN).
. "$(dirname "$0")/lib.sh"

TA=$(free_port)
TB=$(free_port)
RB=$(free_port)
SB=$(free_port)
cat >"$WORK/rst.py" <<'PY'
import socket, struct, sys, threading, time
rst_port, sink_port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def listen(port):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", port))
    l.listen(16)
    return l

def resetter(l):
    while True:
        c, _ = l.accept()
        c.sendall(bytes(range(250)) * 4)
        time.sleep(0.3)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()

def sink(l):
    while True:
        c, _ = l.accept()
        c.settimeout(10)
        try:
            while c.recv(4096):
                pass
            how = "FIN"
        except ConnectionResetError:
            how = "RST"
        except socket.timeout:
            how = "nothing"
        with open(out, "a") as f:
            f.write(how + "\n")
        c.close()

a, b = listen(rst_port), listen(sink_port)
threading.Thread(target=resetter, args=(a,), daemon=True).start()
threading.Thread(target=sink, args=(b,), daemon=True).start()
open(out + ".ready", "w").close()
while True:
    time.sleep(60)
PY
/usr/bin/python3 "$WORK/rst.py" "$RB" "$SB" "$WORK/sink.log" >/dev/null 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do [ -e "$WORK/sink.log.ready" ] && break; sleep 0.05; done
cat >"$WORK/config.yaml" <<YAML
binds:
- port: $TA
  listeners:
  - {name: rst, protocol: TCP, tcpRoutes: [{backends: [{host: 127.0.0.1:$RB}]}]}
- port: $TB
  listeners:
  - {name: sink, protocol: TCP, tcpRoutes: [{backends: [{host: 127.0.0.1:$SB}]}]}
YAML
for engine in $(engines); do
	start_engine "$engine" -p "$TA" -p "$TB" -c "$WORK/config.yaml" || continue
	out=$(timeout 15 /usr/bin/python3 - "$TA" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
n = 0
try:
    while d := s.recv(65536):
        n += len(d)
    print(n, "FIN")
except ConnectionResetError:
    print(n, "RST")
PY
)
	check "$engine: the backend's reset reaches the client as one, after its 1000 bytes" "$out" "1000 RST"
	: >"$WORK/sink.log"
	timeout 10 /usr/bin/python3 - "$TB" <<'PY'
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"x")
time.sleep(0.3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
PY
	for _ in $(seq 50); do [ -s "$WORK/sink.log" ] && break; sleep 0.1; done
	check "$engine: the client's reset reaches the backend as one" "$(cat "$WORK/sink.log")" RST
	stop_gateway
done
finish
