# Fault: the backend answers with bytes that are not HTTP (NULs, a line that
# is no status line) and closes. The client gets exactly 503 "upstream call
# failed: invalid response: Protocol error" (README: an invalid response is
# a 503) and none of the garbage, on a connection that stays usable, 10
# times in a row, while another client keeps getting its 200s; afterwards
# no fd or connection is left over.
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

WANT = b"upstream call failed: invalid response: Protocol error"

def main():
    others = GoodLoop()
    others.start()
    time.sleep(0.2)
    bad = []
    for i in range(10):
        c = Conn()
        r = get(c, "/fault/%d?mode=garbage" % i)
        if r.status != 503 or r.body != WANT or not r.complete or c.buf:
            bad.append("try %d: %r %r, then %r" % (i, r, r.body[:100], c.buf[:60]))
        elif i == 0:
            err = check_good(get(c, "/good?size=70000"), 70000)
            report(err is None, "the client's connection is still usable after the 503"
                   + ("" if err is None else ": " + err))
        c.close()
    report(not bad, "garbage from the backend, 10 times: 503 %r and nothing else%s"
           % (WANT.decode(), "" if not bad else "; " + bad[0]))
    others.finish()

main_guard(main)
PY
	fault_leaks "garbage"
	stop_gateway
done
finish
