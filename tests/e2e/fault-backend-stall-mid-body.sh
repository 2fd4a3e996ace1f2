# Fault: the backend sends a response head (Content-Length N) and N/2 body
# bytes, then stalls for 3 s and closes. The route has a 1 s request
# timeout, which (DESIGN §3) ends when the response head arrives: the body
# is not cut at 1 s. The client gets the head and the N/2 bytes at once,
# then, when the backend gives up, a closed connection with exactly those
# bytes (a visible truncation, no second response). During the stall
# another client keeps getting its 200s and the gateway holds exactly one
# connection to the stalled backend; afterwards no fd or connection is left.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

fault_backends
fault_config <<YAML
    - name: stall
      matches: [{path: {pathPrefix: /stall}}]
      policies: {timeout: {requestTimeout: 1s}}
      backends: [{host: 127.0.0.1:$FAULT}]
YAML
for engine in $(engines); do
	echo "-- engine $engine"
	if ! fault_start "$engine"; then
		fail "gateway ($engine) did not start"
		continue
	fi
	py_checks "$GW_PID" "$FAULT" <<'PY'
from faultlib import *

GW_PID, FAULT = sys.argv[1], sys.argv[2]

def main():
    others = GoodLoop()
    others.start()
    for size in (1000, 1000000):
        half = size // 2
        c = Conn(timeout=10)
        t0 = time.monotonic()
        c.send(b"GET /stall?mode=stall&stall=3s&size=%d HTTP/1.1\r\nHost: x\r\n\r\n" % size)
        # The head and the first half, before the stall.
        while c.buf.count(b"\r\n\r\n") < 1 or len(c.buf.split(b"\r\n\r\n", 1)[1]) < half:
            if not c._fill():
                break
        t_half = time.monotonic() - t0
        report(t_half < 1.0 and not c.eof, "%d bytes: the head and the first %d bytes "
               "arrive before the stall (%.2fs)" % (size, half, t_half))
        err = good_once(70000)
        report(err is None, "%d bytes: during the stall a good request on another "
               "connection gets 200 and its exact body%s" % (size, "" if err is None else ": " + err))
        n = upstreams(GW_PID, FAULT)
        report(n == 1, "%d bytes: during the stall the gateway holds one connection to "
               "the stalled backend (has %d)" % (size, n))
        r = c.response()
        took = time.monotonic() - t0
        ok = (r.status == 200 and r.header("content-length") == str(size)
              and not r.complete and r.body == pattern(size)[:half] and c.eof)
        report(ok, "%d bytes: after the stall, exactly the first %d bytes and a closed "
               "connection (got %r, closed %s)" % (size, half, r, c.eof))
        report(2.5 <= took < 8, "%d bytes: the body was not cut by the 1s request "
               "timeout; the connection closed when the backend gave up (%.2fs, want "
               "3s)" % (size, took))
        c.close()
    others.finish()

main_guard(main)
PY
	fault_leaks "stall mid-body"
	stop_gateway
done
finish
