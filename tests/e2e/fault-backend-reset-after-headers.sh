# Fault: the backend sends a response head (Content-Length N), then resets
# the connection before any body byte. The client gets that 200 head, no
# body byte and no second response, then its connection closes (a
# truncation the client can see: fewer bytes than Content-Length); small
# and large N (the copy engine's and the configured engine's bodies), while
# another client keeps getting its 200s; no fd or connection is left over.
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
	py_checks <<'PY'
from faultlib import *

def main():
    others = GoodLoop()
    others.start()
    time.sleep(0.2)
    for size in (1000, 1000000):
        for i in range(3):
            c = Conn()
            r = get(c, "/fault?mode=headreset&size=%d" % size)
            closed = c.eof
            ok = (r.status == 200 and r.header("content-length") == str(size)
                  and not r.complete and r.body == b"" and closed)
            report(ok, "reset after a head promising %d bytes (try %d): 200 head, no "
                   "body byte, connection closed (got %r, closed %s)" % (size, i, r, closed))
            c.close()
    others.finish()

main_guard(main)
PY
	fault_leaks "reset after headers"
	stop_gateway
done
finish
