# Fault: the backend refuses the connection. Each request gets 503
# "upstream call failed: connect: connection refused" on a connection that
# stays usable, 20 times in a row, while another client keeps getting its
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

def main():
    others = GoodLoop()
    others.start()
    time.sleep(0.2)
    bad = 0
    for i in range(20):
        c = Conn()
        r = get(c, "/dead/%d" % i)
        if r.status != 503 or r.body != b"upstream call failed: connect: connection refused":
            bad += 1
            report(False, "refused try %d: %r %r" % (i, r, r.body[:100]))
        elif i == 0:
            err = check_good(get(c, "/good?size=5000"), 5000)
            report(err is None, "the client's connection is still usable after the 503"
                   + ("" if err is None else ": " + err))
        c.close()
    report(bad == 0, "20 refused connects: 503 \"upstream call failed: connect: "
           "connection refused\" each")
    others.finish()

main_guard(main)
PY
	fault_leaks "refused" "$DEAD"
	stop_gateway
done
finish
