# HTTP backend pool: sequential requests reuse one kept-alive backend connection, concurrent ones open more and keep reusing them, poolIdleTimeout closes idle ones, a pooled connection the backend closed while idle is replaced transparently (the client gets 200), and one the backend closes after reading the request unanswered sends a GET again once on a new connection (RFC 9110 §9.2.2, issue 63) while a POST has had its attempt (no retry policy: 503, nothing replayed).
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT

# Backends that close kept-alive connections (sgbackend has no idle-close
# mode). Every response says keep-alive (HTTP/1.1, Content-Length) and then:
#   idleclose  closes the connection 200 ms after each response;
#   oneshot    answers the first request of a connection; a later request on
#              it is read in full and the connection closed (FIN), no answer.
# Each request line read is logged as "conn N req M".
cat >"$WORK/closer.py" <<'PY'
import os, socket, sys, threading, time
mode, log_path, ready = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()
def log(msg):
    with lock, open(log_path, "a") as f:
        f.write(msg + "\n")
def serve(c, n):
    buf, m = b"", 0
    c.settimeout(30)
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                d = c.recv(65536)
                if not d:
                    return
                buf += d
            head, _, buf = buf.partition(b"\r\n\r\n")
            m += 1
            log("conn %d req %d" % (n, m))
            if mode == "oneshot" and m > 1:
                return
            body = b"conn %d req %d" % (n, m)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            if mode == "idleclose":
                time.sleep(0.2)
                if not buf:
                    return
    except OSError:
        pass
    finally:
        c.close()
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 0))
l.listen(64)
with open(ready + ".tmp", "w") as f:
    f.write("%d\n" % l.getsockname()[1])
os.rename(ready + ".tmp", ready)
n = 0
while True:
    c, _ = l.accept()
    n += 1
    threading.Thread(target=serve, args=(c, n), daemon=True).start()
PY
for mode in idleclose oneshot; do
	/usr/bin/python3 "$WORK/closer.py" "$mode" "$WORK/$mode.log" "$WORK/$mode.port" &
	PIDS+=("$!")
done
for _ in $(seq 100); do
	[ -s "$WORK/idleclose.port" ] && [ -s "$WORK/oneshot.port" ] && break
	sleep 0.05
done
IC=$(cat "$WORK/idleclose.port")
OS=$(cat "$WORK/oneshot.port")

mkdir -p "$WORK/cfg"
cat >"$WORK/cfg/config.yaml" <<YAML
config:
  backend:
    poolIdleTimeout: 3s
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: idleclose
      matches:
      - path:
          pathPrefix: /idleclose
      backends:
      - host: 127.0.0.1:$IC
    - name: oneshot
      matches:
      - path:
          pathPrefix: /oneshot
      backends:
      - host: 127.0.0.1:$OS
    - name: echo
      backends:
      - host: 127.0.0.1:$B
YAML

# upstream_conns PORT: established gateway -> 127.0.0.1:PORT connections.
upstream_conns() {
	ss -Htn state established "( dst 127.0.0.1 and dport = :$1 )" | wc -l
}

# upstream_ports PORT: their local ports, sorted, on one line.
upstream_ports() {
	ss -Htn state established "( dst 127.0.0.1 and dport = :$1 )" |
		awk '{ n = split($4, a, ":"); print a[n] }' | sort -n | tr '\n' ' '
}
G=http://127.0.0.1:8080

for engine in $(engines); do
	echo "-- engine $engine"
	# One worker: each worker loop has its own pool.
	if ! start_engine "$engine" -c "$WORK/cfg" --workers 1; then
		fail "gateway ($engine) did not start"
		continue
	fi

	codes=""
	for i in 1 2 3 4 5; do
		codes="$codes$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$G/seq$i") "
	done
	check "5 sequential requests (5 client connections) answered" "$codes" "200 200 200 200 200 "
	check "5 sequential requests share one backend connection" "$(upstream_conns "$B")" 1

	# Slow enough that the three overlap even on a busy machine.
	for i in 1 2 3; do
		curl -s -o /dev/null --max-time 5 "$G/par?delay=1500ms" &
		PIDS+=("$!")
	done
	for _ in $(seq 20); do
		[ "$(upstream_conns "$B")" = 3 ] && break
		sleep 0.05
	done
	check "3 concurrent slow requests use 3 backend connections" "$(upstream_conns "$B")" 3
	wait "${PIDS[@]: -3}" 2>/dev/null
	ports=$(upstream_ports "$B")
	# Three at once again, well within poolIdleTimeout: each takes one of
	# the three pooled connections and none is opened.
	curl -s -Z --parallel-immediate -o /dev/null -o /dev/null -o /dev/null --max-time 5 \
		"$G/again1?delay=300ms" "$G/again2?delay=300ms" "$G/again3?delay=300ms"
	check "the 3 connections are reused afterwards (the same 3)" "$(upstream_ports "$B")" "$ports"
	sleep 3.6
	check "poolIdleTimeout 3s closes idle backend connections" "$(upstream_conns "$B")" 0
	hcall "$G/after-idle"
	expect "a request after the pool emptied" 200 '{*'

	# The backend closes idle kept-alive connections 200 ms after a response.
	: >"$WORK/idleclose.log"
	hcall "$G/idleclose/1"
	expect "idle-closing backend, first request" 200 "conn * req 1"
	sleep 0.5
	hcall "$G/idleclose/2"
	expect "idle-closing backend, request after the backend closed the pooled connection" 200 "conn * req 1"
	check "idle-closing backend saw 2 requests, each on a new connection" "$(wc -l <"$WORK/idleclose.log")" 2

	# The backend reads the next request on a reused connection, then
	# closes it (FIN) unanswered: the keep-alive race. A GET is
	# idempotent (RFC 9110 §9.2.2): sent again once on a new connection,
	# not as a try (issue 63). A POST may have been acted on: that was the
	# attempt (the route has no retry policy) and nothing is replayed.
	: >"$WORK/oneshot.log"
	hcall "$G/oneshot/1"
	expect "closing-on-reuse backend, first request" 200 "conn * req 1"
	hcall "$G/oneshot/2"
	expect "closing-on-reuse backend, a GET read then closed: sent again" 200 "conn * req 1"
	check "closing-on-reuse backend: the GET read twice" "$(wc -l <"$WORK/oneshot.log")" 3
	hcall -d x "$G/oneshot/3"
	expect "closing-on-reuse backend, a POST read then closed: 503" 503 \
		"upstream call failed: closed: connection closed before response headers" 0 1
	check "closing-on-reuse backend: the POST read once (no replay)" \
		"$(wc -l <"$WORK/oneshot.log")" 4

	stop_gateway
done
finish
