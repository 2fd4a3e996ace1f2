# Fault: the client disappears (FIN, or RST as a crashed client) in the
# middle of its request: inside a small body the gateway buffers (the
# backend must never see that request), inside a large Content-Length body
# and a chunked body being streamed, and while waiting for the response head
# of a slow backend. Each time the gateway drops its backend connection
# within 2 s (the backend would have waited 5 s or for ever), another client
# keeps getting its 200s, and afterwards no fd or connection is left over.
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
import json
from faultlib import *

GW_PID, FAULT = sys.argv[1], int(sys.argv[2])

def heads():
    c = Conn(FAULT)
    r = get(c, "/requests")
    c.close()
    return json.loads(r.body)["heads"]

def leave(c, how):
    c.abort() if how == "RST" else c.close()

def streamed(c, head, first):
    """Send head and the first body bytes, then until the backend has them."""
    c.send(head)
    c.send(first)
    n, _ = wait_upstreams(GW_PID, FAULT, 1, 3)
    return n == 1

def main():
    others = GoodLoop()
    others.start()
    for how in ("FIN", "RST"):
        # A small body is read whole before any backend is asked.
        h0 = heads()
        c = Conn()
        c.send(b"POST /fault/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n")
        c.send(pattern(20000))
        time.sleep(0.3)
        leave(c, how)
        time.sleep(0.3)
        report(heads() == h0, "%s inside a buffered 50000-byte body: the backend never "
               "saw the request" % how)

        cases = [
            ("a streamed 2000000-byte body",
             b"POST /fault/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n",
             pattern(600000)),
            ("a streamed chunked body",
             b"POST /fault/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
             b"%x\r\n" % 300000 + pattern(300000) + b"\r\n%x\r\n" % 300000 + pattern(1000)),
            ("the wait for a slow backend's response head",
             b"GET /fault?delay=5s HTTP/1.1\r\nHost: x\r\n\r\n", b""),
        ]
        for what, head, first in cases:
            c = Conn()
            started = streamed(c, head, first)
            leave(c, how)
            n, took = wait_upstreams(GW_PID, FAULT, 0, 4)
            report(started and n == 0 and took < 2, "%s inside %s: the gateway dropped its "
                   "backend connection (%d left after %.2fs; the request had reached the "
                   "backend: %s)" % (how, what, n, took, started))
    others.finish()

main_guard(main)
PY
	fault_leaks "client gone mid-request"
	stop_gateway
done
finish
