# A drain a load balancer sees: on SIGTERM /healthz/ready answers 503
# "draining" at once while the listener goes on accepting and serving new
# connections for --drain-delay (3 s here), and no connection is refused
# before readiness failed; then the listener closes, a request begun during
# the delay still finishes with 200, and the gateway exits 0. A second
# SIGTERM ends the delay at once. Watched from outside by a client that
# opens a new connection to the listener and one to readiness every 50 ms.
. "$(dirname "$0")/lib.sh"

start_backend d
one_route_config r

# watch SECONDS: until the listener refuses (or SECONDS pass), a new
# connection to it and one to readiness every 50 ms; prints JSON events
# with wall-clock times: SIGTERM (what the scenario wrote in
# $WORK/sigterm just before it sent it), the first readiness that is not
# 200 ("flip") and its answer, the first refused connection ("refused"),
# how many requests got 200 after the flip, and any other failure with
# its time (a connection still in the accept queue when the listener
# closes is reset by the kernel: only those after the delay are allowed).
watch() {
	/usr/bin/python3 - "$1" "$WORK/sigterm" <<'PY'
import http.client, json, sys, time
limit, mark = float(sys.argv[1]), sys.argv[2]
def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    except ConnectionRefusedError:
        return "refused", ""
    except Exception as e:
        return type(e).__name__, ""
    finally:
        c.close()
out = {"flip": None, "flip_answer": None, "refused": None, "served_after_flip": 0,
       "errors": [], "sigterm": None}
t0 = time.monotonic()
while time.monotonic() - t0 < limit:
    st, body = get(15021, "/healthz/ready")
    if st != 200 and out["flip"] is None:
        out["flip"], out["flip_answer"] = time.time(), "%s %s" % (st, body.strip())
    st, _ = get(8080, "/status/200")
    if st == "refused":
        out["refused"] = time.time()
        break
    if st == 200 and out["flip"] is not None:
        out["served_after_flip"] += 1
    elif st != 200:
        out["errors"].append([str(st), time.time()])
    time.sleep(0.05)
out["sigterm"] = float(open(mark).read())
print(json.dumps(out))
PY
}

start_gateway -c "$WORK/config.yaml" --drain-delay 3s || exit 1
check "ready before SIGTERM" "$(curl -s http://127.0.0.1:15021/healthz/ready)" ready
watch 30 >"$WORK/watch.json" &
watcher=$!
sleep 1
date +%s.%N >"$WORK/sigterm"
kill -TERM "$GW_PID"
# A request begun 2 s into the delay, answered 2 s later: in flight when
# the listener closes at 3 s.
sleep 2
curl -s -o /dev/null -w '%{http_code}' --max-time 20 "http://127.0.0.1:8080/slow?delay=2000ms" \
	>"$WORK/slow" &
slow=$!
wait "$watcher"
wait "$slow"
wait "$GW_PID"
rc=$?
w=$(cat "$WORK/watch.json")
check "readiness answers 503 draining after SIGTERM" "$(jq -r .flip_answer <<<"$w")" "503 draining"
check "readiness failed within 2 s of SIGTERM" \
	"$(jq -r '.flip != null and .flip > .sigterm and .flip - .sigterm < 2' <<<"$w")" true
check "no connection refused before readiness failed" \
	"$(jq -r '.refused != null and .flip != null and .refused > .flip' <<<"$w")" true
check "the listener accepted for the delay: the first refusal 2.5 s or more after SIGTERM" \
	"$(jq -r '.refused - .sigterm >= 2.5' <<<"$w")" true
check "new connections were served after readiness failed (200), none failed in the delay" \
	"$(jq -r '(.served_after_flip >= 3) and ([.errors[] | select(.[1] < $w.sigterm + 2.5)] == [])' \
		--argjson w "$w" <<<"$w")" true
check "a request begun during the delay finished after the listener closed" "$(cat "$WORK/slow")" 200
check "exit 0" "$rc" 0
[ "$FAILS" = 0 ] || echo "  watched: $w"
grep -q 'SIGTERM: readiness answers 503 from now; listeners accept for 3000 ms more (--drain-delay), then drain' \
	"$WORK/gateway.log" && pass "the delay is logged" || fail "no delay in the log: $(tail -3 "$WORK/gateway.log")"

# A second SIGTERM ends a long delay.
start_gateway -c "$WORK/config.yaml" --drain-delay 1m || exit 1
kill -TERM "$GW_PID"
for _ in $(seq 100); do
	[ "$(curl -s http://127.0.0.1:15021/healthz/ready)" = draining ] && break
	sleep 0.05
done
check "1m delay: readiness draining" "$(curl -s http://127.0.0.1:15021/healthz/ready)" draining
check "1m delay: still served" \
	"$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:8080/status/200)" 200
kill -TERM "$GW_PID"
for _ in $(seq 100); do
	running "$GW_PID" || break
	sleep 0.05
done
running "$GW_PID" && fail "still running 5 s after a second SIGTERM" ||
	pass "a second SIGTERM ends the delay"
wait "$GW_PID"
check "exit 0 after the second SIGTERM" "$?" 0
finish
