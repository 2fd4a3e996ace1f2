# Fault: the backend reads the request, then resets the connection (RST) or
# closes it (FIN) before sending a response head. Each gets its exact 503
# ("upstream call failed: reset: connection reset by peer", "upstream call
# failed: closed: connection closed before response headers") on a client
# connection that stays usable, while another client keeps getting its
# 200s; afterwards no fd or connection is left over.
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

CASES = [
    ("reset", b"upstream call failed: reset: connection reset by peer"),
    ("close", b"upstream call failed: closed: connection closed before response headers"),
]

def main():
    others = GoodLoop()
    others.start()
    time.sleep(0.2)
    for mode, want in CASES:
        bad = []
        for i in range(10):
            c = Conn()
            # A body too: the request was forwarded whole before the fault.
            c.send(b"POST /fault/%d?mode=%s HTTP/1.1\r\nHost: x\r\n"
                   b"Content-Length: 5\r\n\r\nhello" % (i, mode.encode()))
            r = c.response()
            if r.status != 503 or r.body != want or not r.complete:
                bad.append("try %d: %r %r" % (i, r, r.body[:100]))
            elif i == 0:
                err = check_good(get(c, "/good?size=70000"), 70000)
                report(err is None, "%s: the client's connection is still usable after "
                       "the 503%s" % (mode, "" if err is None else ": " + err))
            c.close()
        report(not bad, "%s before headers, 10 times: 503 %r%s"
               % (mode, want.decode(), "" if not bad else "; " + bad[0]))
    others.finish()

main_guard(main)
PY
	fault_leaks "reset/close before headers"
	stop_gateway
done
finish
