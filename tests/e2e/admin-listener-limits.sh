# The stats (:15020), readiness (:15021) and admin (:15000) listeners bound what a client can hold: a request head over 16 KiB is answered 431 and cut (100 unfinished 1 MiB heads on :15020 leave the gateway's RSS within 8 MiB, where they held 100 MiB), 100 unfinished 15 KiB heads cost at most 8 MiB; a connection that sends nothing is closed 10 s after its accept (one with half a head gets 408); past 128 connections on a listener, or 16 from one address, new ones are reset while the other listeners, and other addresses, are answered (a helper's stall audit shut readiness out with 128 slow connections from one address), and /metrics answers again once the abusers are gone.
. "$(dirname "$0")/lib.sh"

start_backend lim
one_route_config lim
start_gateway -c "$WORK/config.yaml" || exit 1
wait_http http://127.0.0.1:15020/metrics 10 || fail "stats listener not up"

# abuse.py MODE PORT ...: prints what it saw, one word or "key=value ...".
cat >"$WORK/abuse.py" <<'PY'
import os, socket, sys, time

mode, port = sys.argv[1], int(sys.argv[2])
gw = int(os.environ["GW"])


def conn(i):
    """Connection i, from an address of its own (127.1.x.y: loopback is a
    /8), so that the per-address cap (16) leaves the tests of the other
    bounds alone; i < 0: from 127.0.0.1."""
    src = ("127.1.%d.%d" % (i // 250, i % 250 + 1), 0) if i >= 0 else None
    return socket.create_connection(("127.0.0.1", port), timeout=5, source_address=src)


def rss_kb():
    with open("/proc/%d/status" % gw) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def answer(s, timeout):
    """What the gateway did: the status line's code, 'closed' or 'reset'
    (no answer), or 'open' (nothing within timeout)."""
    s.settimeout(timeout)
    try:
        data = s.recv(4096)
    except socket.timeout:
        return "open"
    except ConnectionResetError:
        return "reset"
    if not data:
        return "closed"
    return data.split(b" ")[1].decode() if data.startswith(b"HTTP/1.1 ") else "junk"


def big_heads(n, size, hold):
    """n connections each sending an unfinished head of `size` bytes."""
    before = rss_kb()
    socks, outcome = [], {}
    head = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: "
    chunk = b"a" * 65536
    for i in range(n):
        s = conn(i)
        s.sendall(head)
        sent = 0
        try:
            while sent < size:
                k = min(len(chunk), size - sent)
                s.sendall(chunk[:k])
                sent += k
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass  # cut while sending
        socks.append(s)
    time.sleep(0.5)
    grown = (rss_kb() - before) / 1024
    time.sleep(hold)  # then what each saw by now
    for s in socks:
        a = answer(s, 0.001)
        outcome[a] = outcome.get(a, 0) + 1
    print("grown_mib=%.1f %s" % (grown, " ".join("%s=%d" % kv for kv in sorted(outcome.items()))))


def silent(data):
    """Seconds until the gateway answers or closes a connection that sent
    `data` and nothing more, and what it did."""
    s = conn(-1)
    s.sendall(data)
    t0 = time.monotonic()
    a = answer(s, 30)
    print("%s %.1f" % (a, time.monotonic() - t0))


def cap(n, one_source):
    """n silent connections (from one address, or each from its own),
    then one more from the same address as the first: what happens to it,
    and to the n once the extra one was refused."""
    socks = [conn(-1 if one_source else i) for i in range(n)]
    time.sleep(0.3)
    try:
        extra = conn(-1 if one_source else 0)
        extra.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        over = answer(extra, 2)
    except ConnectionResetError:
        # The reset came before this process, slow on a busy machine,
        # saw its connect() return.
        over = "reset"
    # The others answer while this listener is full.
    sys.stdout.write("over_cap=%s " % over)
    sys.stdout.flush()
    os.system(sys.argv[3])
    for s in socks:
        s.close()
    time.sleep(0.3)


if mode == "heads":
    big_heads(int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
elif mode == "silent":
    silent(sys.argv[3].encode().decode("unicode_escape").encode())
elif mode == "cap":
    cap(int(sys.argv[4]), False)
elif mode == "cap_source":
    cap(int(sys.argv[4]), True)
PY
abuse() { GW=$GW_PID /usr/bin/python3 "$WORK/abuse.py" "$@"; }

# 100 heads of 1 MiB (the old limit was 4 MiB): each answered 431 and cut.
out=$(abuse heads 15020 100 $((1 << 20)) 2)
grown=$(sed -n 's/.*grown_mib=\(-\{0,1\}[0-9.]*\).*/\1/p' <<<"$out")
[[ $out == *"431=100"* ]] && pass "100 heads over 16 KiB on :15020: each answered 431 ($out)" ||
	fail "100 heads over 16 KiB on :15020: $out (want 431=100)"
awk -v g="$grown" 'BEGIN { exit !(g < 8) }' && pass "RSS grew $grown MiB (< 8)" ||
	fail "RSS grew $grown MiB holding 100 unfinished 1 MiB heads (want < 8)"

# 100 unfinished heads under the limit: held (until the timeout), small.
out=$(abuse heads 15020 100 15000 0)
grown=$(sed -n 's/.*grown_mib=\(-\{0,1\}[0-9.]*\).*/\1/p' <<<"$out")
[[ $out == *"open=100"* ]] && awk -v g="$grown" 'BEGIN { exit !(g < 8) }' &&
	pass "100 unfinished 15 KiB heads held, RSS grew $grown MiB (< 8)" ||
	fail "100 unfinished 15 KiB heads: $out (want open=100, < 8 MiB)"

# The same limit on the readiness and admin listeners.
for port in 15021 15000; do
	out=$(abuse heads $port 1 $((1 << 20)) 2)
	[[ $out == *"431=1"* ]] && pass ":$port: a head over 16 KiB is answered 431" ||
		fail ":$port: head over 16 KiB: $out"
done

# A connection that sends nothing is closed 10 s after its accept; one with
# half a head is told 408. Both at once, to keep the scenario short.
abuse silent 15020 "" >"$WORK/silent" &
s1=$!
abuse silent 15021 'GET /healthz/ready HTTP/1.1\r\n' >"$WORK/half" &
s2=$!
wait $s1 $s2
read -r what secs <"$WORK/silent"
[ "$what" = closed ] && awk -v s="$secs" 'BEGIN { exit !(s >= 9 && s <= 13) }' &&
	pass "silent connection on :15020 closed after $secs s" ||
	fail "silent connection on :15020: $what after $secs s (want closed after ~10 s)"
read -r what secs <"$WORK/half"
[ "$what" = 408 ] && awk -v s="$secs" 'BEGIN { exit !(s >= 9 && s <= 13) }' &&
	pass "half a head on :15021 answered 408 after $secs s" ||
	fail "half a head on :15021: $what after $secs s (want 408 after ~10 s)"

# 128 silent connections fill :15020; the 129th is reset, while readiness
# and admin answer.
others="curl -s -o /dev/null -w 'ready=%{http_code} ' --max-time 2 http://127.0.0.1:15021/healthz/ready; curl -s -o /dev/null -w 'admin=%{http_code}' --max-time 2 http://127.0.0.1:15000/config_dump"
out=$(abuse cap 15020 "$others" 128)
[[ $out == *"over_cap=reset"* ]] && pass "the 129th connection on :15020 is reset" ||
	fail "the 129th connection on :15020: $out"
[[ $out == *"ready=200 admin=200"* ]] && pass "readiness and admin answer meanwhile" ||
	fail "while :15020 is full: $out"
grep -q "stats listener 0.0.0.0:15020: 128 connections open, refusing new ones" \
	"$WORK/gateway.log" && pass "the refusal is logged" || fail "no log of the refusal"
# 16 silent connections from one address fill its share of :15021; its
# 17th is reset, while another address is answered there (one client,
# slow or idle, cannot take the readiness probe away from the kubelet).
out=$(abuse cap_source 15021 "curl -s -o /dev/null -w 'other=%{http_code}' --max-time 2 --interface 127.2.0.1 http://127.0.0.1:15021/healthz/ready" 16)
[[ $out == *"over_cap=reset"* ]] && pass "the 17th connection from one address on :15021 is reset" ||
	fail "the 17th connection from one address on :15021: $out"
[[ $out == *"other=200"* ]] && pass "another address is answered on :15021 meanwhile" ||
	fail "while one address holds 16 on :15021: $out"
code=$(curl -s -o "$WORK/metrics" -w '%{http_code}' --max-time 2 http://127.0.0.1:15020/metrics)
[ "$code" = 200 ] && grep -q '^splicegate_' "$WORK/metrics" &&
	pass "/metrics answers once the abusers are gone" || fail "/metrics after the abusers: $code"

stop_gateway
finish
