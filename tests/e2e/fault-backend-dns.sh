# Fault: the backend's DNS name does not resolve (no-such-backend.invalid;
# in the scenario's network namespace no resolver is reachable either).
# Each request gets exactly 503 "upstream call failed: connect: dns: no
# answer from a name server (temporary failure)" (DESIGN §3: a failed
# connect is 503 "upstream call failed: <kind>: <cause>") within 2 s, on a connection that stays usable, 10 times
# in a row, while another client keeps getting its 200s; afterwards no fd
# or connection is left over.
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

WANT = b"upstream call failed: connect: dns: no answer from a name server (temporary failure)"

def main():
    others = GoodLoop()
    others.start()
    time.sleep(0.2)
    bad = []
    slowest = 0
    for i in range(10):
        c = Conn()
        t0 = time.monotonic()
        r = get(c, "/dns/%d" % i)
        slowest = max(slowest, time.monotonic() - t0)
        if r.status != 503 or r.body != WANT or not r.complete:
            bad.append("try %d: %r %r" % (i, r, r.body[:100]))
        elif i == 0:
            err = check_good(get(c, "/good?size=5000"), 5000)
            report(err is None, "the client's connection is still usable after the 503"
                   + ("" if err is None else ": " + err))
        c.close()
    report(not bad, "unresolvable backend name, 10 times: 503 %r%s"
           % (WANT.decode(), "" if not bad else "; " + bad[0]))
    report(slowest < 2, "each answered within 2s (slowest %.2fs)" % slowest)
    others.finish()

main_guard(main)
PY
	fault_leaks "unresolvable name"
	stop_gateway
done
finish
