# --access-log-file FILE: the access log goes to FILE, not stdout, and
# SIGUSR1 opens FILE again, as logrotate needs: lines written after the
# file was moved and before the signal land in the moved file, lines after
# the signal in a new FILE, and none is lost, also while requests are in
# flight across the move. A FILE that cannot be opened stops the start
# with exit 2; one that cannot be opened again on SIGUSR1 is a warn line
# and the log stays where it was.
. "$(dirname "$0")/lib.sh"

start_backend alf
one_route_config plain
log="$WORK/logs/access.log"
mkdir -p "$WORK/logs"
start_gateway -c "$WORK/config.yaml" --access-log-file "$log" --workers 2 || finish

# paths FILE PREFIX: how many lines of FILE are requests for /PREFIX/N.
paths() {
	grep -c "http.path=/$2/" "$1" 2>/dev/null || true
}

# reopened N: wait (at most 5 s) for the Nth "access log reopened" line.
reopened() {
	for _ in $(seq 50); do
		[ "$(grep -c 'SIGUSR1: access log reopened' "$WORK/gateway.log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# logged FILE PREFIX N: wait (at most 5 s) until FILE has N lines for
# /PREFIX/. A request's line is written as its response leaves, so curl
# may have the last response a moment before its line is in the file.
logged() {
	for _ in $(seq 50); do
		[ "$(paths "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

curl -s -o /dev/null "http://127.0.0.1:8080/a/[1-100]"
logged "$log" a 100
mv "$log" "$log.1"
curl -s -o /dev/null "http://127.0.0.1:8080/b/[1-100]"
logged "$log.1" b 100
kill -USR1 "$GW_PID"
reopened 1 || fail "no 'access log reopened' line after SIGUSR1"
curl -s -o /dev/null "http://127.0.0.1:8080/c/[1-100]"
logged "$log" c 100
[ "$(paths "$log.1" a) $(paths "$log.1" b) $(paths "$log.1" c)" = "100 100 0" ] &&
	pass "the moved file has the 100 lines before the move and the 100 before SIGUSR1" ||
	fail "moved file: a=$(paths "$log.1" a) b=$(paths "$log.1" b) c=$(paths "$log.1" c) (want 100 100 0)"
[ "$(paths "$log" a) $(paths "$log" b) $(paths "$log" c)" = "0 0 100" ] &&
	pass "the new file has the 100 lines after SIGUSR1" ||
	fail "new file: a=$(paths "$log" a) b=$(paths "$log" b) c=$(paths "$log" c) (want 0 0 100)"
[ "$(stat -c %a "$log")" = 640 ] && pass "the new file is made 0640" ||
	fail "the new file's mode: $(stat -c %a "$log")"
grep -q 'http.path=' "$WORK/gateway.log" && fail "request lines on stdout:
$(grep -m3 'http.path=' "$WORK/gateway.log")" || pass "no request line on stdout"

# While requests are in flight on two connections: each of the 2 x 300
# lands in one file or the other, once.
curl -s -o /dev/null "http://127.0.0.1:8080/d/[1-300]" &
c1=$!
curl -s -o /dev/null "http://127.0.0.1:8080/e/[1-300]" &
c2=$!
PIDS+=("$c1" "$c2")
sleep 0.2
mv "$log" "$log.2"
kill -USR1 "$GW_PID"
reopened 2 || fail "no second 'access log reopened' line"
timeout 30 tail --pid="$c1" -f /dev/null
timeout 30 tail --pid="$c2" -f /dev/null
for _ in $(seq 50); do # the last lines a moment after the last responses
	d=$(($(paths "$log.2" d) + $(paths "$log" d)))
	e=$(($(paths "$log.2" e) + $(paths "$log" e)))
	[ "$d" -ge 300 ] && [ "$e" -ge 300 ] && break
	sleep 0.1
done
uniq_d=$(cat "$log.2" "$log" | grep -o 'http.path=/d/[0-9]*' | sort -u | wc -l)
[ "$d $e $uniq_d" = "300 300 300" ] &&
	pass "moved while in flight: 300 + 300 lines across the two files, none lost or doubled (new file: $(paths "$log" d) + $(paths "$log" e))" ||
	fail "moved while in flight: d=$d e=$e distinct d=$uniq_d (want 300 300 300)"

# The directory is gone: the gateway says so and keeps its open file.
mv "$WORK/logs" "$WORK/logs.gone"
kill -USR1 "$GW_PID"
for _ in $(seq 50); do
	grep -q 'SIGUSR1: cannot open' "$WORK/gateway.log" && break
	sleep 0.1
done
curl -s -o /dev/null "http://127.0.0.1:8080/f/1"
check "a file that cannot be opened again: a warn line" \
	"$(grep -o 'warn.*SIGUSR1: cannot open.*' "$WORK/gateway.log" | sed "s|$WORK|W|")" \
	"warn  SIGUSR1: cannot open W/logs/access.log: No such file or directory; the access log stays where it was"
sleep 0.2
[ "$(paths "$WORK/logs.gone/access.log" f)" = 1 ] && pass "the log stays in the file it had" ||
	fail "the line after a failed reopen is not in the file it had"
stop_gateway

"$SG_BIN" -c "$WORK/config.yaml" --access-log-file "$WORK/none/access.log" >"$WORK/nofile.out" 2>&1
rc=$?
check "a file that cannot be opened at start: exit 2 with the reason" \
	"$rc $(grep -o -- '--access-log-file:.*' "$WORK/nofile.out" | sed "s|$WORK|W|")" \
	"2 --access-log-file: W/none/access.log: No such file or directory"
finish
