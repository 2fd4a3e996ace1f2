# Listener churn: a port added and removed by 300 reloads (file written in
# place, SIGHUP, 20 ms later the next) while clients keep connecting to it.
# The gateway stays up with nothing for a sanitizer to report (a listener
# closed by a reload used to be freed while an accept event for it was
# still in the batch being dispatched: heap-use-after-free under ASan, `make
# san`), every reload reads a whole file (a SIGHUP handled late used to read
# the next write's truncated file: a config with no listener in force), and
# the port that stays serves every request.
. "$(dirname "$0")/lib.sh"

start_backend r
write_cfg() { # PORTS...
	{
		echo "binds:"
		for p in "$@"; do
			cat <<YAML
- port: $p
  listeners:
  - routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
		done
	} >"$WORK/cfg/main.yaml"
}
mkdir -p "$WORK/cfg"
write_cfg 18081 18082
# One worker: its loop sees every listener's accept events with the
# reload's wake-up.
start_engine splice -p 18081 -p 18082 --workers 1 -c "$WORK/cfg" || exit 1

/usr/bin/python3 - "$WORK/load.out" "$WORK/stop" <<'PY' &
import http.client, os, socket, sys, threading, time
stop, end = sys.argv[2], time.time() + 120
def churn():  # connects to the port that comes and goes; any outcome is fine
    while not os.path.exists(stop) and time.time() < end:
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", 18082))
        except OSError:
            pass
        s.close()
for _ in range(4):
    threading.Thread(target=churn, daemon=True).start()
ok = bad = 0
errors = []
conn = http.client.HTTPConnection("127.0.0.1", 18081, timeout=5)
while not os.path.exists(stop) and time.time() < end:
    for c in (conn, http.client.HTTPConnection("127.0.0.1", 18081, timeout=5)):
        try:
            c.request("GET", "/steady")
            r = c.getresponse(); r.read()
            ok += r.status == 200; bad += r.status != 200
            if r.status != 200:
                errors.append("status %d" % r.status)
        except Exception as e:
            bad += 1
            errors.append(repr(e))
            if c is conn:
                conn = http.client.HTTPConnection("127.0.0.1", 18081, timeout=5)
open(sys.argv[1], "w").write(f"{ok} {bad}\n" + "\n".join(errors[:5]) + "\n")
PY
load=$!
PIDS+=("$load")
sleep 0.2
for i in $(seq 300); do
	if [ $((i % 2)) = 1 ]; then write_cfg 18081; else write_cfg 18081 18082; fi
	kill -HUP "$GW_PID" 2>/dev/null || break
	sleep 0.02
done
touch "$WORK/stop"
wait "$load"
# A sanitizer's report, its frames only (log lines interleave with it).
report() {
	grep -A60 "ERROR: \|runtime error" "$WORK/gateway.log" |
		grep -E "ERROR: |runtime error|^ +#[0-9]|by thread" | head -16
}
kill -0 "$GW_PID" 2>/dev/null && pass "gateway up after 300 reloads adding and removing :18082" ||
	fail "gateway gone: $(report)"
! grep -q "Sanitizer" "$WORK/gateway.log" && pass "no sanitizer report" || fail "sanitizer: $(report)"
n=$(grep -c "reloaded: 0 binds\|reload failed" "$WORK/gateway.log")
[ "$n" = 0 ] && pass "no reload read a file half-written" ||
	fail "$n reloads read a file half-written (0 binds, or failed): $(grep -m3 "reloaded: 0 binds\|reload failed" -A2 "$WORK/gateway.log" | cut -c1-300)"
read -r ok bad <"$WORK/load.out"
[ "$bad" = 0 ] || sed 1d "$WORK/load.out"
[ "$bad" = 0 ] && [ "$ok" -gt 100 ] && pass "steady port: $ok requests, 0 failed" ||
	fail "steady port: $ok ok, $bad failed"
served=""
for _ in $(seq 50); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://127.0.0.1:18082/x)" = 200 ] &&
		served=1 && break
	sleep 0.1
done
[ -n "$served" ] && pass ":18082 serves after the churn" || fail ":18082 does not serve after the churn"
finish
