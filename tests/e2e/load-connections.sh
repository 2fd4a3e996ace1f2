# Many connections (the small version of `make load`): in every engine the
# gateway holds 2,000 concurrent keep-alive connections, each answers a
# request right away and again after a second idle, 50,000 requests then go
# through 64 of them with zero errors (status 200 and the exact body length
# every time, no reset, no close, none over 10 s), and once the clients have
# left the gateway's open fds are back at their baseline (idle backend
# connections close after poolIdleTimeout: 1s). tests/load/loadtool.c is
# the client and the origin.
. "$(dirname "$0")/lib.sh"

CONNS=2000
REQUESTS=50000

ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((CONNS + 1024)) ]; then
	fail "RLIMIT_NOFILE hard limit $(ulimit -Hn) is below $((CONNS + 1024))"
	finish
fi
tool=$WORK/loadtool
cc -O2 -D_GNU_SOURCE -o "$tool" "$REPO_DIR/tests/load/loadtool.c" || {
	fail "cannot build tests/load/loadtool.c"
	finish
}
origin=$(free_port)
"$tool" serve --port "$origin" --body-len 100 >"$WORK/origin.log" 2>&1 &
PIDS+=("$!")
wait_port "$origin" 5 || {
	fail "origin did not start: $(cat "$WORK/origin.log")"
	finish
}
cat >"$WORK/cfg.yaml" <<YAML
config:
  backend: {poolIdleTimeout: 1s}
binds:
- port: 8080
  listeners:
  - routes:
    - backends: [{host: 127.0.0.1:$origin}]
YAML

fds() { ls "/proc/$GW_PID/fd" | wc -l; }

for engine in $(engines); do
	start_engine "$engine" -c "$WORK/cfg.yaml" --access-log off || {
		fail "$engine: gateway did not start"
		continue
	}
	base=$(fds)
	start=$SECONDS
	timeout 120 "$tool" hold --port 8080 --conns $CONNS --requests $REQUESTS --conc 64 \
		--body-len 100 --pid "$GW_PID" --idle-ms 1000 --deadline-s 100 \
		>"$WORK/hold.out" 2>"$WORK/hold.err"
	rc=$?
	took=$((SECONDS - start))
	result=$(grep '^RESULT' "$WORK/hold.out")
	get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
	check "$engine: $CONNS connections held and answered twice" \
		"$(get held) $(get answered)" "$CONNS $((2 * CONNS))"
	check "$engine: $REQUESTS requests, zero errors (client exit $rc, ${took}s)" \
		"$(get ok) $(get errors) $rc" "$REQUESTS 0 0"
	[ -z "$result" ] && sed 's/^/    /' "$WORK/hold.out" "$WORK/hold.err" | head -20
	idle=$(get fds_idle)
	[ "${idle:-0}" -ge $((base + CONNS)) ] &&
		pass "$engine: the gateway had $idle fds open while holding (baseline $base)" ||
		fail "$engine: $idle fds while holding $CONNS connections (baseline $base)"
	now=$(fds)
	for _ in $(seq 100); do
		[ "$now" -le "$base" ] && break
		sleep 0.1
		now=$(fds)
	done
	check "$engine: fds back to the baseline after the clients left" "$now" "$base"
	hcall "http://127.0.0.1:8080/after"
	expect "$engine: still serving" 200 "$(printf 'x%.0s' $(seq 100))"
	echo "    $engine: $(grep -h 'gateway: rss\|pushed' "$WORK/hold.out" | tr '\n' ';')"
	stop_gateway
done
finish
