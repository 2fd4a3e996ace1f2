# CONNECT tunnels (DESIGN §5): an HTTP/1.1 CONNECT is routed like any request (its authority-form target matches as path "/"), forwarded to the backend (here a forward proxy), and a 2xx turns the connection into a tunnel spliced both ways until EOF: curl -p reaches httpbin through it, 8 MiB each way come back byte-identical with FINs propagated, bytes the client sends right behind the CONNECT head are not lost; a non-2xx answer and the gateway's own errors end the connection.
. "$(dirname "$0")/lib.sh"

# A forward proxy: CONNECT 127.0.0.1:PORT connects there and relays both
# ways (each side's FIN passed on); CONNECT to the port named "refuse"
# answers 403; any other method 405. Loopback targets only.
cat >"$WORK/fwd.py" <<'PY'
import socket, sys, threading
def pipe(a, b):
    try:
        while True:
            d = a.recv(262144)
            if not d:
                break
            b.sendall(d)
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
def serve(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            c.close()
            return
        buf += d
    head, early = buf.split(b"\r\n\r\n", 1)
    method, target = head.split(b"\r\n")[0].split(b" ")[:2]
    if method != b"CONNECT":
        c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 3\r\n\r\nno\n")
        c.close()
        return
    host, port = target.rsplit(b":", 1)
    if host != b"127.0.0.1" or port == b"1":
        c.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 7\r\n\r\ndenied\n")
        c.close()
        return
    u = socket.create_connection(("127.0.0.1", int(port)))
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    if early:
        u.sendall(early)
    t = threading.Thread(target=pipe, args=(u, c))
    t.start()
    pipe(c, u)
    t.join()
    c.close()
    u.close()
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1])))
l.listen(64)
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

# The target behind the proxy: tests/e2e/echo_server.py --eof.

# client.py GW TARGET SIZE N: N tunnels at once; each sends CONNECT with
# its first 100 bytes right behind the head, reads the 200, sends the rest
# while reading, half-closes, reads to EOF. One line each: "ok" when the
# echo came back whole followed by "<eof>", else what went wrong.
cat >"$WORK/client.py" <<'PY'
import hashlib, os, socket, sys, threading
gw, target, size, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
out = [None] * n
def one(i):
    data = os.urandom(size)
    try:
        s = socket.create_connection(("127.0.0.1", gw), timeout=20)
        s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target.encode(), target.encode()) + data[:100])
        head = b""
        while b"\r\n\r\n" not in head:
            d = s.recv(1)
            if not d:
                out[i] = "closed before the response head"
                return
            head += d
        if not head.startswith(b"HTTP/1.1 200"):
            out[i] = "answered %r" % head.split(b"\r\n")[0]
            return
        def send():
            try:
                s.sendall(data[100:])
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        t = threading.Thread(target=send)
        t.start()
        h, got = hashlib.sha256(), 0
        while True:
            d = s.recv(262144)
            if not d:
                break
            h.update(d)
            got += len(d)
        t.join()
        out[i] = "ok" if h.hexdigest() == hashlib.sha256(data + b"<eof>").hexdigest() else \
            "got %d bytes (want %d)" % (got, size + 5)
    except Exception as e:
        out[i] = "%s: %s" % (type(e).__name__, e)
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("\n".join(out))
PY

# answer.py GW TARGET: the status line and what follows the head, then
# whether the gateway closed the connection ("closed") or kept it.
cat >"$WORK/answer.py" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n" % ((sys.argv[2].encode(),) * 2))
got = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    end = "closed"
except socket.timeout:
    end = "kept open"
print("%s | %s" % (got.split(b"\r\n")[0].decode(), end))
PY

FWD=$(free_port)
ECHO=$(free_port)
/usr/bin/python3 "$WORK/fwd.py" "$FWD" &
PIDS+=("$!")
/usr/bin/python3 "$E2E_DIR/echo_server.py" "$ECHO" --eof &
PIDS+=("$!")
wait_port "$FWD" 10 && wait_port "$ECHO" 10 || { fail "backends did not start"; finish; }
start_httpbin || { fail "httpbin did not start"; finish; }

cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: proxy
    protocol: HTTP
    routes:
    - name: tunnels
      backends:
      - host: 127.0.0.1:$FWD
YAML

for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK"; then
		fail "gateway ($engine) did not start"
		continue
	fi
	got=$(curl -s -p -x http://127.0.0.1:8080 "http://127.0.0.1:$HTTPBIN_PORT/get?via=tunnel" |
		jq -r .args.via 2>&1)
	check "$engine: curl -p reaches httpbin through the CONNECT tunnel" "$got" tunnel
	out=$(/usr/bin/python3 "$WORK/client.py" 8080 "127.0.0.1:$ECHO" $((8 << 20)) 1)
	check "$engine: 8 MiB each way through the tunnel, early bytes kept, FINs both ways" "$out" ok
	out=$(/usr/bin/python3 "$WORK/client.py" 8080 "127.0.0.1:$ECHO" $((2 << 20)) 6 | sort | uniq -c |
		sed 's/^ *//')
	check "$engine: 6 tunnels of 2 MiB at once" "$out" "6 ok"
	check "$engine: a 403 from the proxy is passed on and the connection ends" \
		"$(/usr/bin/python3 "$WORK/answer.py" 8080 127.0.0.1:1)" "HTTP/1.1 403 Forbidden | closed"
	stop_gateway
done

# The gateway's own answer to a CONNECT it cannot route ends the connection
# too: the bytes behind the head are never read as a request.
cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: proxy
    protocol: HTTP
    routes:
    - name: only-this-host
      hostnames: [allowed.example]
      backends:
      - host: 127.0.0.1:$FWD
YAML
if start_engine copy -c "$WORK"; then
	check "no route for a CONNECT: 404 and the connection ends" \
		"$(/usr/bin/python3 "$WORK/answer.py" 8080 "127.0.0.1:$ECHO")" "HTTP/1.1 404 Not Found | closed"
	out=$(/usr/bin/python3 "$WORK/client.py" 8080 "allowed.example:443" 10 1)
	check "CONNECT routes on its authority (403 from the proxy for allowed.example)" "$out" \
		"answered b'HTTP/1.1 403 Forbidden'"
	stop_gateway
else
	fail "gateway did not start with the host-routed config"
fi
finish
