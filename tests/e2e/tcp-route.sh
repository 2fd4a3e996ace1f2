# TCP routes: a TCPRoute on a TCP listener (Kubernetes dialect with an EndpointSlice, and the standalone dialect's tcpRoutes) moves bytes both ways byte-identical, propagates each side's FIN to the other, serves concurrent connections, and closes a client connection whose backend refuses.
. "$(dirname "$0")/lib.sh"

# Echo backend: echoes everything; after the client's FIN it sends "<eof>"
# and closes, so the client sees its FIN arrived and gets the backend's FIN.
E=$(free_port)
/usr/bin/python3 "$E2E_DIR/echo_server.py" "$E" --eof &
PIDS+=("$!")
wait_port "$E" 10 || { fail "echo backend did not start"; finish; }
TP=$(free_port)      # the gateway's TCP listener
DEAD=$(free_port)    # nothing listens here

# Client: N parallel connections, each sends SIZE random bytes in one
# thread while reading in another, half-closes (FIN) after the last byte,
# then reads to EOF. Prints one line per connection: "ok" when it got back
# exactly its bytes followed by "<eof>" and then EOF, else what went wrong.
cat >"$WORK/client.py" <<'PY'
import hashlib, os, socket, sys, threading
port, size, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
results = [None] * n
def one(i):
    data = os.urandom(size)
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        def send():
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        t = threading.Thread(target=send)
        t.start()
        h, got, tail = hashlib.sha256(), 0, b""
        while True:
            d = s.recv(262144)
            if not d:
                break
            h.update(d)
            got += len(d)
            tail = (tail + d)[-5:]
        t.join()
        want = hashlib.sha256(data + b"<eof>").hexdigest()
        if h.hexdigest() == want:
            results[i] = "ok"
        else:
            results[i] = "got %d bytes (want %d), tail %r" % (got, size + 5, tail)
    except Exception as e:
        results[i] = "%s: %s" % (type(e).__name__, e)
threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("\n".join(results))
PY

# refused PORT: what a client sees when the backend refuses: "closed" when
# the gateway closes the connection (FIN or RST) without sending data.
cat >"$WORK/refused.py" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
try:
    s.sendall(b"hello")
    d = s.recv(100)
    print("closed" if not d else "data %r" % d)
except ConnectionResetError:
    print("closed")
except socket.timeout:
    print("still open after 3s")
PY

mkdir -p "$WORK/k8s" "$WORK/standalone"
cat >"$WORK/k8s/tcp.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: l4
  namespace: default
spec:
  gatewayClassName: agentgateway
  listeners:
  - name: tcp
    port: $TP
    protocol: TCP
    allowedRoutes: {namespaces: {from: All}}
---
apiVersion: v1
kind: Service
metadata:
  name: echo
  namespace: default
spec:
  ports:
  - name: tcp
    port: $E
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: echo-1
  namespace: default
  labels:
    kubernetes.io/service-name: echo
addressType: IPv4
endpoints:
- addresses: [127.0.0.1]
ports:
- name: tcp
  port: $E
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata:
  name: echo
  namespace: default
spec:
  parentRefs:
  - name: l4
  rules:
  - backendRefs:
    - name: echo
      port: $E
YAML
cat >"$WORK/standalone/config.yaml" <<YAML
binds:
- port: $TP
  listeners:
  - name: tcp
    protocol: TCP
    tcpRoutes:
    - name: echo
      backends:
      - host: 127.0.0.1:$E
- port: $DEAD
  listeners:
  - name: refused
    protocol: TCP
    tcpRoutes:
    - name: refused
      backends:
      - host: 127.0.0.1:$(free_port)
YAML

# run_checks NAME: the byte and FIN checks through the listener on $TP.
run_checks() {
	local out
	out=$(/usr/bin/python3 "$WORK/client.py" "$TP" 5 1)
	check "$1: 5 bytes echoed, client FIN reached the backend, backend FIN reached the client" "$out" ok
	out=$(/usr/bin/python3 "$WORK/client.py" "$TP" 0 1)
	check "$1: immediate half-close propagated both ways" "$out" ok
	out=$(/usr/bin/python3 "$WORK/client.py" "$TP" $((64 << 20)) 1)
	check "$1: 64 MiB both ways at once byte-identical" "$out" ok
	out=$(/usr/bin/python3 "$WORK/client.py" "$TP" $((4 << 20)) 8 | sort | uniq -c | sed 's/^ *//')
	check "$1: 8 concurrent connections of 4 MiB byte-identical" "$out" "8 ok"
}

for engine in $(engines); do
	echo "-- engine $engine: Gateway TCP listener + TCPRoute + EndpointSlice"
	if start_engine "$engine" -p "$TP" -c "$WORK/k8s"; then
		run_checks "TCPRoute"
		stop_gateway
	else
		fail "gateway ($engine) did not start with the TCPRoute config"
	fi

	echo "-- engine $engine: standalone tcpRoutes"
	if start_engine "$engine" -p "$TP" -p "$DEAD" -c "$WORK/standalone"; then
		run_checks "tcpRoutes"
		check "backend refuses: the client connection is closed without data" \
			"$(/usr/bin/python3 "$WORK/refused.py" "$DEAD")" closed
		out=$(/usr/bin/python3 "$WORK/client.py" "$TP" 1000 1)
		check "tcpRoutes still serve after a refused backend" "$out" ok
		stop_gateway
	else
		fail "gateway ($engine) did not start with the standalone tcpRoutes config"
	fi
done
finish
