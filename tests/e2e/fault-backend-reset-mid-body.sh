# Fault: the backend sends a response head (Content-Length N) and N/2 body
# bytes, then resets the connection (RST) or closes it (FIN). The client
# gets the 200 head and exactly those N/2 bytes, unchanged, and no second
# response, then its connection closes (a truncation the client can see);
# small and large N (the copy engine's and the configured engine's bodies),
# while another client keeps getting its 200s; no fd or connection is left
# over.
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
    for mode in ("midreset", "closemid"):
        for size in (1000, 1000000):
            for i in range(2):
                c = Conn()
                r = get(c, "/fault?mode=%s&size=%d" % (mode, size))
                closed = c.eof
                ok = (r.status == 200 and r.header("content-length") == str(size)
                      and not r.complete and r.body == pattern(size)[:size // 2] and closed)
                report(ok, "%s at %d of %d bytes (try %d): 200 head, the first half "
                       "exactly, connection closed (got %r, closed %s)"
                       % (mode, size // 2, size, i, r, closed))
                c.close()
    # A close-delimited body cut by a reset: only an abortive close tells
    # the client (a clean FIN said the body was whole). The reset drops
    # what the gateway had not yet sent (SO_LINGER 0), so the client gets
    # a prefix of the first half, as much as had left when it came.
    for size in (1000, 1000000):
        c = Conn()
        r = get(c, "/fault?mode=cdreset&size=%d" % size)
        ok = (r.status == 200 and r.header("content-length") is None
              and pattern(size)[:size // 2].startswith(r.body) and c.reset)
        report(ok, "close-delimited, reset at %d bytes: the client's connection is reset, "
               "not closed cleanly, what came a prefix of the body (got %r, reset %s)"
               % (size // 2, r, c.reset))
        c.close()
    others.finish()

main_guard(main)
PY
	fault_leaks "mid-body reset/close"
	stop_gateway
done
finish
