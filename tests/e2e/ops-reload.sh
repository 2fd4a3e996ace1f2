# SIGHUP reload, in each engine: a listener added by the file opens, one
# removed closes, a broken file is reported and leaves the config in force;
# under steady load across 30 reloads (alternating two valid configs and a
# broken one) no request fails or is reset, each broken file is reported
# exactly once and never goes in force, and the watch never reads a file
# half-written.
. "$(dirname "$0")/lib.sh"

RELOADS=30 # under load, each engine
BROKEN=$((RELOADS / 3 + 1)) # every third file is broken, and one before the load

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
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$@"; }
binds() { curl -s --max-time 3 http://127.0.0.1:15000/config_dump | jq -r '[.binds[].key] | join(",")'; }
reports() { grep -c "reload failed" "$WORK/gateway.log"; }
# until_eq WANT CMD...: polls CMD until it prints WANT (5 s at most).
until_eq() {
	local want=$1 got
	shift
	for _ in $(seq 50); do
		got=$("$@")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	echo "  ($* printed '$got', want '$want')"
	return 1
}
# settled REPORTS IN_FORCE TRIES: at least REPORTS broken files reported and
# the binds IN_FORCE in force, polled TRIES times 0.1 s apart.
settled() {
	local t
	for ((t = 0; t < $3; t++)); do
		[ "$(reports)" -ge "$1" ] && [ "$(binds)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
if ! command -v wrk >/dev/null; then
	fail "wrk is missing (scripts/install-deps.sh installs it)"
	finish
fi
cat >"$WORK/summary.lua" <<'LUA'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("WRK %d %d %d %d %d %d\n", summary.requests, e.status,
		e.connect, e.read, e.write, e.timeout))
end
LUA

for engine in $(engines); do
	echo "-- $engine"
	write_cfg 8080
	start_engine "$engine" -p 8080 -c "$WORK/cfg" || {
		fail "$engine: gateway did not start"
		continue
	}

	write_cfg 8080 18081
	kill -HUP "$GW_PID"
	wait_port 18081 5 && [ "$(code http://127.0.0.1:18081/a)" = 200 ] &&
		pass "$engine: listener added by reload serves" || fail "$engine: 18081 not serving"
	write_cfg 18081
	kill -HUP "$GW_PID"
	until_eq bind/18081 binds >/dev/null
	[ "$(code http://127.0.0.1:8080/a)" = 000 ] &&
		pass "$engine: listener removed by reload is closed" || fail "$engine: 8080 still answers"
	echo "binds: [" >"$WORK/cfg/main.yaml"
	kill -HUP "$GW_PID"
	until_eq 1 reports >/dev/null
	grep -q "reload failed; the config in force is unchanged" "$WORK/gateway.log" &&
		grep -q "main.yaml:2:1: invalid YAML" "$WORK/gateway.log" &&
		pass "$engine: broken file reported with its location" ||
		fail "$engine: no report: $(tail -3 "$WORK/gateway.log")"
	[ "$(code http://127.0.0.1:18081/a)" = 200 ] && pass "$engine: config in force unchanged" ||
		fail "$engine: 18081 stopped serving"

	# Steady load while the config is reloaded RELOADS times. After each
	# reload: a valid file is in force, a broken one reported once and
	# the one before it still in force.
	write_cfg 18081
	kill -HUP "$GW_PID"
	until_eq bind/18081 binds >/dev/null
	# One client keeps a connection alive, then opens a new one, in
	# turn (a listener closed for a moment shows up as refused or reset
	# connections); wrk keeps 4 connections busy beside it. Both run until
	# the reloads are done.
	rm -f "$WORK/stop"
	/usr/bin/python3 - "$WORK/load.out" "$WORK/stop" <<'PY' &
import http.client, os, sys, time
ok = bad = 0
errors = []
end = time.time() + 60
conn = http.client.HTTPConnection("127.0.0.1", 18081, timeout=5)
while not os.path.exists(sys.argv[2]) and time.time() < end:
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
	PIDS+=("$load")
	wrk -t1 -c4 -d60s --timeout 5s -s "$WORK/summary.lua" http://127.0.0.1:18081/wrk \
		>"$WORK/wrk.out" 2>&1 &
	wrk=$!
	PIDS+=("$wrk")
	sleep 0.2
	want_reports=1
	in_force=bind/18081
	changes=2 # reloads that put a new config in force so far
	wrong=""
	tries=50 # once wrong, polled no more: the run ends in time
	for i in $(seq "$RELOADS"); do
		case $((i % 3)) in
		0) echo "binds: [" >"$WORK/cfg/main.yaml" ;;
		1) write_cfg 18081 ;;
		2) write_cfg 18081 18082 ;;
		esac
		kill -HUP "$GW_PID"
		sleep 0.15
		prev=$in_force
		case $((i % 3)) in
		0) want_reports=$((want_reports + 1)) ;;
		1) in_force=bind/18081 ;;
		2) in_force=bind/18081,bind/18082 ;;
		esac
		[ "$in_force" != "$prev" ] && changes=$((changes + 1))
		settled "$want_reports" "$in_force" "$tries" || {
			wrong="$wrong $i"
			tries=1
		}
	done
	touch "$WORK/stop"
	kill -INT "$wrk" # wrk reports what it did so far and exits
	wait "$load"
	wait "$wrk"
	ok=0 bad=1 tag="" n=0 status=0 conn=0 rd=0 wr=0 to=0
	read -r ok bad <"$WORK/load.out"
	[ "$bad" = 0 ] || sed 1d "$WORK/load.out"
	[ "$bad" = 0 ] && [ "$ok" -gt 100 ] &&
		pass "$engine: $RELOADS reloads under load: $ok requests, 0 failed" ||
		fail "$engine: under reloads: $ok ok, $bad failed"
	# WRK requests status-errors connect read write timeout
	read -r tag n status conn rd wr to < <(grep '^WRK ' "$WORK/wrk.out")
	[ "${tag:-}" = WRK ] && [ "$n" -gt 100 ] && [ "$((status + conn + rd + wr + to))" = 0 ] &&
		pass "$engine: wrk, 4 connections: $n requests, no error" ||
		fail "$engine: wrk: ${n:-?} requests, status $status, connect $conn, read $rd," \
			"write $wr, timeout $to: $(tail -3 "$WORK/wrk.out")"
	[ -z "$wrong" ] &&
		pass "$engine: after each reload the last valid config is in force" ||
		fail "$engine: wrong config in force or report missing after reloads$wrong" \
			"(last: $(binds), $(reports) reports)"
	sleep 0.5 # the watch's own reload of the last files
	n=$(reports)
	[ "$n" = "$BROKEN" ] && pass "$engine: every broken config reported once ($n)" ||
		fail "$engine: broken config reported $n times, want $BROKEN"
	[ "$(binds)" = bind/18081,bind/18082 ] && pass "$engine: config_dump after reloads" ||
		fail "$engine: config_dump after reloads: $(binds)"
	curl -s http://127.0.0.1:15020/metrics >"$WORK/metrics"
	/usr/bin/python3 "$E2E_DIR/prom_strict.py" "$WORK/metrics" splicegate_requests_total \
		splicegate_config_reloads_total >"$WORK/why" &&
		pass "$engine: metrics after the load parse (strict)" || fail "$engine: $(cat "$WORK/why")"
	got=$(grep '^splicegate_config_reloads_total' "$WORK/metrics" | tr '\n' ' ')
	check "$engine: reloads counted by result" "$got" \
		"splicegate_config_reloads_total{result=\"ok\"} $changes splicegate_config_reloads_total{result=\"failed\"} $BROKEN "
	stop_gateway
done
finish
