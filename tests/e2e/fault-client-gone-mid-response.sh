# Fault: the client disappears (close(), which is a FIN when it has read
# all that arrived, or RST as a crashed client) in the middle of a response
# body: a large Content-Length body, a chunked body,
# a close-delimited body, and a body whose backend has stalled half-way.
# Each time the gateway drops its backend connection within 2 s (the
# stalled backend would otherwise hold it for 30 s), another client keeps
# getting its 200s, and afterwards no fd or connection is left over.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

fault_backends
fault_config </dev/null
for engine in $(engines); do
	echo "-- engine $engine"
	if ! fault_start "$engine"; then
		fail "gateway ($engine) did not start"
		continue
	fi
	py_checks "$GW_PID" "$FAULT" <<'PY'
from faultlib import *

GW_PID, FAULT = sys.argv[1], int(sys.argv[2])
BIG = 200000000

def main():
    others = GoodLoop()
    others.start()
    cases = [
        ("a %d-byte Content-Length body" % BIG, "/fault/cl?size=%d" % BIG, 300000),
        ("a chunked body", "/fault/ch?mode=chunked&chunk=65536&size=%d" % BIG, 300000),
        ("a close-delimited body", "/fault/cd?mode=closedelim&size=%d" % BIG, 300000),
        # All that was sent is read first, so close() sends a plain FIN.
        ("a body stalled half-way", "/fault/st?mode=stall&stall=30s&size=2000000", 1000000),
    ]
    for how in ("close", "RST"):
        for what, path, want in cases:
            before = upstreams(GW_PID, FAULT)
            c = Conn()
            c.send(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
            while b"\r\n\r\n" not in c.buf and c._fill():
                pass
            status = c.buf.split(b" ", 2)[1] if c.buf.startswith(b"HTTP/1.1 ") else b"?"
            got = len(c.buf.split(b"\r\n\r\n", 1)[-1])
            while got < want and c._fill():
                got = len(c.buf.split(b"\r\n\r\n", 1)[-1])
            c.abort() if how == "RST" else c.close()
            n, took = wait_upstreams(GW_PID, FAULT, before, 4)
            report(status == b"200" and got >= want and n == before and took < 2,
                   "%s inside %s: the gateway dropped its backend connection within 2s "
                   "(%d of it left after %.2fs; the client had read %d body bytes of a %s)"
                   % (how, what, n - before, took, got, status.decode()))
    others.finish()

main_guard(main)
PY
	fault_leaks "client gone mid-response"
	stop_gateway
done
finish
