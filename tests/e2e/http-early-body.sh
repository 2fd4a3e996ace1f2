# Body bytes that arrive with a request head are forwarded however many there are: on a keep-alive connection whose input buffer grew with an earlier 64 KiB body, an upload written in one piece with its head (the gateway reads up to 128 KiB of it together with the head) is answered 200 with every byte (it was refused with 400 and leaked the relay buffer when those bytes exceeded one 64 KiB copy buffer). In every engine.
. "$(dirname "$0")/lib.sh"

start_backend up || { fail "backend did not start"; finish; }
one_route_config up

# Two uploads on one connection, each head and body in one write; prints
# the status and the byte count the backend reports for each.
cat >"$WORK/client.py" <<'PY'
import json, socket
s = socket.create_connection(("127.0.0.1", 8080), timeout=10)
f = s.makefile("rb")
out = []
for size in (65536, 200000):
    head = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size
    s.sendall(head + b"b" * size)
    status = int(f.readline().split()[1])
    length = 0
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    body = f.read(length)
    try:
        got = json.loads(body)["bytes"]
    except Exception:
        got = body[:40]
    out.append("%d %s" % (status, got))
print(", ".join(out))
PY

for engine in $(engines); do
	if start_engine "$engine" -c "$WORK"; then
		check "$engine: a 200 kB upload written in one piece with its head, after a 64 KiB one" \
			"$(/usr/bin/python3 "$WORK/client.py")" "200 65536, 200 200000"
		stop_gateway
	else
		fail "gateway ($engine) did not start"
	fi
done
finish
