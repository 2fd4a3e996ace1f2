# SIGHUP reload: a listener added by the file opens, one removed closes, a
# broken file is reported and leaves the config in force; under steady load
# across 50 reloads (alternating two valid configs and a broken one) no
# request fails; resources applied at run time survive a reload.
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
write_cfg 8080
start_gateway -c "$WORK/cfg" || exit 1
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$@"; }

write_cfg 8080 18081
kill -HUP "$GW_PID"
wait_port 18081 5 && [ "$(code http://127.0.0.1:18081/a)" = 200 ] &&
	pass "listener added by reload serves" || fail "18081 not serving"
write_cfg 18081
kill -HUP "$GW_PID"
sleep 0.5
[ "$(code http://127.0.0.1:8080/a)" = 000 ] && pass "listener removed by reload is closed" ||
	fail "8080 still answers"
echo "binds: [" >"$WORK/cfg/main.yaml"
kill -HUP "$GW_PID"
sleep 0.5
grep -q "reload failed; the config in force is unchanged" "$WORK/gateway.log" &&
	grep -q "main.yaml:2:1: invalid YAML" "$WORK/gateway.log" &&
	pass "broken file reported with its location" || fail "no report: $(tail -3 "$WORK/gateway.log")"
[ "$(code http://127.0.0.1:18081/a)" = 200 ] && pass "config in force unchanged" ||
	fail "18081 stopped serving"

# Steady load while the config is reloaded 50 times.
write_cfg 18081
kill -HUP "$GW_PID"
sleep 0.3
/usr/bin/python3 - "$WORK/load.out" <<'PY' &
import http.client, sys, time
ok = bad = 0
errors = []
end = time.time() + 9.5
conn = http.client.HTTPConnection("127.0.0.1", 18081, timeout=5)
while time.time() < end and ok + bad < 100000:
    try:
        conn.request("GET", "/load")
        r = conn.getresponse(); r.read()
        ok += r.status == 200; bad += r.status != 200
        if r.status != 200:
            errors.append("keep-alive: status %d" % r.status)
    except Exception as e:
        bad += 1
        errors.append("keep-alive: %r" % e)
        conn = http.client.HTTPConnection("127.0.0.1", 18081, timeout=5)
    try:
        c2 = http.client.HTTPConnection("127.0.0.1", 18081, timeout=5)
        c2.request("GET", "/new"); r = c2.getresponse(); r.read(); c2.close()
        ok += r.status == 200; bad += r.status != 200
        if r.status != 200:
            errors.append("new connection: status %d" % r.status)
    except Exception as e:
        bad += 1
        errors.append("new connection: %r" % e)
open(sys.argv[1], "w").write(f"{ok} {bad}\n" + "\n".join(errors[:5]) + "\n")
PY
load=$!
for i in $(seq 50); do
	case $((i % 3)) in
	0) echo "binds: [" >"$WORK/cfg/main.yaml" ;;
	1) write_cfg 18081 ;;
	2) write_cfg 18081 18082 ;;
	esac
	kill -HUP "$GW_PID"
	sleep 0.15
done
wait "$load"
read -r ok bad <"$WORK/load.out"
[ "$bad" = 0 ] || sed 1d "$WORK/load.out"
[ "$bad" = 0 ] && [ "$ok" -gt 100 ] && pass "50 reloads under load: $ok requests, 0 failed" ||
	fail "under reloads: $ok ok, $bad failed"
n=$(grep -c "reload failed" "$WORK/gateway.log")
[ "$n" -ge 16 ] && pass "every broken config reported ($n)" || fail "broken reported $n times"
curl -s http://127.0.0.1:15000/config_dump | jq -e '.binds | length >= 1' >/dev/null &&
	pass "config_dump after reloads" || fail "config_dump broken"
finish
