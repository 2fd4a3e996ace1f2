# A request body that arrives in bulk is read in batches (SO_RCVLOWAT, user/relay.h) and yet nothing waits: in every engine and in auto, a 3 MiB upload that sends 2 MiB at once, then ten 10-byte pieces 100 ms apart, then the rest, reaches the backend byte-identical, each piece within 100 ms of being sent (the batch gives way after 2 ms; without that bound the first piece would wait for the rest, a second later), and the backend's 200 reaches the client.
. "$(dirname "$0")/lib.sh"

BACKEND_PORT=$(free_port)
one_route_config upload
cat >"$WORK/batched.py" <<'PY'
import hashlib, json, socket, sys, threading, time

BACKEND = int(sys.argv[1])
BULK, PIECES, PIECE, GAP, REST = 2 << 20, 10, 10, 0.1, 1 << 20
TOTAL = BULK + PIECES * PIECE + REST
DATA = (bytes(range(251)) * (TOTAL // 251 + 1))[:TOTAL]
arrivals = []  # (monotonic time, body bytes the backend has)

def backend(lsock):
    c, _ = lsock.accept()
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(65536)
        if not d:
            return
        buf += d
    body = buf.split(b"\r\n\r\n", 1)[1]
    got, h = len(body), hashlib.sha256(body)
    arrivals.append((time.monotonic(), got))
    while got < TOTAL:
        d = c.recv(1 << 20)
        if not d:
            break
        got += len(d)
        h.update(d)
        arrivals.append((time.monotonic(), got))
    answer = json.dumps({"bytes": got, "sha256": h.hexdigest()}).encode()
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(answer) + answer)
    c.close()

def has(n, deadline):
    while time.monotonic() < deadline:
        if arrivals and arrivals[-1][1] >= n:
            return True
        time.sleep(0.005)
    return False

def report(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)

lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", BACKEND))
lsock.listen(1)
threading.Thread(target=backend, args=(lsock,), daemon=True).start()
cl = socket.create_connection(("127.0.0.1", 8080))
cl.settimeout(20)
cl.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % TOTAL)
cl.sendall(DATA[:BULK])
report(has(BULK, time.monotonic() + 10), "the first 2 MiB reach the backend")
delays = []
for k in range(PIECES):
    time.sleep(GAP)
    end = BULK + (k + 1) * PIECE
    sent = time.monotonic()
    cl.sendall(DATA[end - PIECE:end])
    if not has(end, sent + 2):
        delays.append(float("inf"))
        break
    delays.append(next(t for t, n in arrivals if n >= end) - sent)
report(len(delays) == PIECES and max(delays) < 0.1,
       "each 10-byte piece reached the backend within 100 ms (slowest %.1f ms)" % (max(delays) * 1000))
cl.sendall(DATA[BULK + PIECES * PIECE:])
resp = b""
while b"\r\n\r\n" not in resp or len(resp.split(b"\r\n\r\n", 1)[1]) < int(resp.split(b"Content-Length: ")[1].split(b"\r\n")[0]):
    d = cl.recv(65536)
    if not d:
        break
    resp += d
head, _, body = resp.partition(b"\r\n\r\n")
want = {"bytes": TOTAL, "sha256": hashlib.sha256(DATA).hexdigest()}
report(head.startswith(b"HTTP/1.1 200") and json.loads(body or b"{}") == want,
       "the backend got all %d bytes, byte-identical, and its 200 came back (%r)" % (TOTAL, head.split(b"\r\n")[0]))
PY

for engine in $(engines) auto; do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/config.yaml"; then
		fail "gateway ($engine) did not start"
		continue
	fi
	out=$(timeout 60 /usr/bin/python3 "$WORK/batched.py" "$BACKEND_PORT" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok: "*) pass "$engine: ${line#ok: }" ;;
		"FAIL: "*) fail "$engine: ${line#FAIL: }" ;;
		*) echo "    $line" ;;
		esac
	done <<<"$out"
	[ "$rc" = 0 ] || fail "$engine: the client exited $rc"
	stop_gateway
done
finish
