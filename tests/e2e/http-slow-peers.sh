# Every slow peer has a bound, in every engine (gateway: --request-head-timeout 1s --body-idle-timeout 1s): a head trickled a line every 300 ms gets 408 "request header timeout" about 1 s after its first byte; a request body that stops after 3 of 100 bytes, or after 512 KiB of 4 MiB, gets 408 "request body timeout" about 1 s after its last byte and its backend connection is closed; a response body whose backend stalls mid-way is cut about 1 s after its last byte (not after the backend's 10 s stall); a response that trickles a byte every 400 ms is not cut; a 64 MiB download read at 20 MB/s (3 s, in sockmap moved by the kernel) completes; and with --max-connections-per-source 3 a fourth connection from one address is closed unread while the others are served, counted in /metrics, and a new one is let in once one closes.
. "$(dirname "$0")/lib.sh"

start_backend slow
# trickle.py PORT: answers every request with Content-Length 10, sending
# one byte every 400 ms.
cat >"$WORK/trickle.py" <<'PY'
import socket, sys, threading, time
def serve(c):
    with c:
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = c.recv(4096)
            if not d:
                return
            buf += d
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n")
        for _ in range(10):
            time.sleep(0.4)
            c.sendall(b"t")
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1])))
l.listen(16)
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
TRICKLE_PORT=$(free_port)
/usr/bin/python3 "$WORK/trickle.py" "$TRICKLE_PORT" &
PIDS+=("$!")
wait_port "$TRICKLE_PORT" || { echo "trickle backend did not start"; exit 1; }

# slow.py: the four slow clients at once; one line each:
#   NAME STATUS-LINE-OR-closed|BODY|FIRST|LAST
# FIRST, LAST: seconds from the client's first and last byte sent to the
# gateway's close.
cat >"$WORK/slow.py" <<'PY'
import socket, threading, time
out = {}
def client(name, first, then=b"", every=0.0, count=0):
    s = socket.create_connection(("127.0.0.1", 8080))
    s.settimeout(6)  # blocking reads: an answer and a close are told apart
    s.sendall(first)
    start = last = time.monotonic()
    stop = threading.Event()
    def trickle():
        nonlocal last
        for _ in range(count):
            if stop.wait(every):
                return
            try:
                s.sendall(then)
            except OSError:
                return
            last = time.monotonic()
    t = threading.Thread(target=trickle)
    t.start()
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except ConnectionResetError:
        pass
    except socket.timeout:
        data += b" (still open)"
    end = time.monotonic()
    stop.set()
    t.join()
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0].decode() if head else "closed"
    out[name] = "%s %s|%s|%.2f|%.2f" % (name, status, body.decode(errors="replace"),
                                        end - start, end - last)
big = b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4194304\r\n\r\n" + b"x" * 524288
ths = [
    threading.Thread(target=client, args=("head", b"GET /x HTTP/1.1\r\nHost: a\r\n", b"X-a: b\r\n", 0.3, 20)),
    threading.Thread(target=client, args=("small-body", b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc")),
    threading.Thread(target=client, args=("big-body", big)),
]
for t in ths: t.start()
for t in ths: t.join()
for k in ("head", "small-body", "big-body"):
    print(out[k])
PY

# answered NAME WANT-STATUS WANT-BODY first|last: the slow.py line for NAME
# shows that answer, then the close, 0.9 to 1.5 s after the client's first
# or last byte.
answered() {
	local line took first last
	line=$(grep "^$1 " "$WORK/slow.out")
	IFS='|' read -r _ _ first last <<<"$line"
	if [ "$4" = first ]; then took=$first; else took=$last; fi
	if [[ "$line" == "$1 $2|$3|"* ]] && awk "BEGIN{exit !($took >= 0.9 && $took <= 1.5)}"; then
		pass "[$engine] $1: $2 \"$3\" ${took}s after the $4 byte"
	else
		fail "[$engine] $1: got '$line'"
	fi
}

cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: trickle
      matches: [{path: {pathPrefix: /trickle}}]
      backends: [{host: 127.0.0.1:$TRICKLE_PORT}]
    - name: slow
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML

for engine in $(engines); do
	start_gateway -c "$WORK/config.yaml" --splice "$engine" --request-head-timeout 1s \
		--body-idle-timeout 1s || exit 1
	/usr/bin/python3 "$WORK/slow.py" >"$WORK/slow.out" 2>&1 &
	slow=$!
	res=$(curl -s -o "$WORK/stalled" -w '%{http_code} %{size_download} %{time_total}' \
		--max-time 8 "http://127.0.0.1:8080/x?mode=stall&size=2000000&stall=10s")
	read -r code got took <<<"$res"
	if [ "$code" = 200 ] && [ "$got" -lt 2000000 ] && awk "BEGIN{exit !($took < 2.5)}"; then
		pass "[$engine] stalled response body cut: $got of 2000000 bytes, ${took}s"
	else
		fail "[$engine] stalled response body: $res"
	fi
	wait "$slow"
	answered head "HTTP/1.1 408 Request Timeout" "request header timeout" first
	answered small-body "HTTP/1.1 408 Request Timeout" "request body timeout" last
	answered big-body "HTTP/1.1 408 Request Timeout" "request body timeout" last

	res=$(curl -s -w ' %{http_code}' --max-time 10 http://127.0.0.1:8080/trickle)
	[ "$res" = "tttttttttt 200" ] && pass "[$engine] a response trickling a byte every 400 ms is not cut" ||
		fail "[$engine] trickle: $res"
	res=$(curl -s -o /dev/null --limit-rate 20M -w '%{http_code} %{size_download}' --max-time 20 \
		"http://127.0.0.1:8080/x?size=67108864")
	[ "$res" = "200 67108864" ] && pass "[$engine] 64 MiB at 20 MB/s completes through a 1 s body idle timeout" ||
		fail "[$engine] 64 MiB download: $res"
	n=$(curl -s http://127.0.0.1:15020/metrics | awk '/^splicegate_timeouts_total\{kind="body_idle"\}/{print $2}')
	[ "${n:-0}" -ge 3 ] && pass "[$engine] body_idle timeouts counted ($n)" || fail "[$engine] body_idle counter: '$n'"
	stop_gateway
done

# --max-connections-per-source 3: three held connections, the fourth is
# closed unread; after one goes, a new one is served.
start_gateway -c "$WORK/config.yaml" --max-connections-per-source 3 || exit 1
out=$(/usr/bin/python3 - <<'PY'
import socket, time
# Each held one sends part of a head, so the kernel hands it over at once
# (deferred accept holds a silent connection back for a second).
held = [socket.create_connection(("127.0.0.1", 8080)) for _ in range(3)]
for h in held:
    h.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\n")
time.sleep(0.3)
extra = socket.create_connection(("127.0.0.1", 8080))
extra.settimeout(3)
try:
    extra.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
    fourth = "closed" if extra.recv(4096) == b"" else "answered"
except (ConnectionResetError, BrokenPipeError):
    fourth = "closed"
except socket.timeout:
    fourth = "hung"
held[0].sendall(b"\r\n")
held[0].settimeout(3)
first = held[0].recv(4096).split(b"\r\n")[0].decode()
held[1].close()
time.sleep(0.3)
again = socket.create_connection(("127.0.0.1", 8080))
again.settimeout(3)
again.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
print(fourth, "|", first, "|", again.recv(4096).split(b"\r\n")[0].decode())
PY
)
[ "$out" = "closed | HTTP/1.1 200 OK | HTTP/1.1 200 OK" ] &&
	pass "per-source cap 3: the fourth is closed, the held ones served, a new one let in after a close" ||
	fail "per-source cap: $out"
n=$(curl -s http://127.0.0.1:15020/metrics | awk '/^splicegate_connections_refused_total\{reason="per_source"\}/{print $2}')
[ "$n" = 1 ] && pass "refused connection counted" || fail "per_source counter: '$n'"
# HTTP/2 connections count the same and give their place back when they
# close: three held h2c connections, a fourth refused; once they are gone,
# exactly three new ones fit again (no leak, no double release).
out=$(/usr/bin/python3 - <<'PY'
import socket, time
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
def opened(n, preface):
    conns = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", 8080))
        s.sendall(PREFACE if preface else b"GET /x HTTP/1.1\r\nHost: a\r\n")
        conns.append(s)
    time.sleep(0.3)
    return conns
def refused(s):
    s.settimeout(3)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return "closed"
            if not d.startswith(bytes([0, 0])):  # not an h2 frame: HTTP/1 bytes
                return "answered"
            if len(d) >= 9 and d[3] == 4:  # the server's SETTINGS: it took us
                return "taken"
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    except socket.timeout:
        return "hung"
h2 = opened(3, True)
fourth = refused(opened(1, True)[0])
for s in h2:
    s.close()
time.sleep(0.5)
again = opened(3, False)
fourth_again = refused(opened(1, False)[0])
served = []
for s in again:
    s.settimeout(3)
    s.sendall(b"\r\n")
    served.append(s.recv(4096).split(b"\r\n")[0].decode())
print("h2 4th:", fourth, "| after close, 4th:", fourth_again, "| the three:", ", ".join(served))
PY
)
[ "$out" = "h2 4th: closed | after close, 4th: closed | the three: HTTP/1.1 200 OK, HTTP/1.1 200 OK, HTTP/1.1 200 OK" ] &&
	pass "HTTP/2 connections count against the cap and give their place back" ||
	fail "per-source cap over HTTP/2: $out"
finish
