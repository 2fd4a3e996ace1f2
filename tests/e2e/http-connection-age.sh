# frontendPolicies.http.maxConnectionDuration 1s (agentgateway's key), every engine: a busy keep-alive HTTP/1 connection sending one request after another (each answered after 20 ms) gets whole responses, the first one answered after 1 s carries "Connection: close" and the connection ends right after it (no truncation, no reset); a connection left waiting after one response is closed 1 s after its connect although http1IdleTimeout is 10 min; config_dump shows the key; a config without it dumps the guides' frontend object unchanged. HTTP/2 (h2c): a connection with a stream in flight at 1 s gets GOAWAY (NO_ERROR) and its stream still completes with 200; an idle one gets GOAWAY and is closed at 1 s.
. "$(dirname "$0")/lib.sh"

start_backend age
cat >"$WORK/config.yaml" <<YAML
frontendPolicies:
  http: {maxConnectionDuration: 1s}
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML

# age.py busy|waiting: what one connection saw.
#   busy:    "N whole responses, close on the last: yes|no, then EOF|..., at S s"
#   waiting: "closed S s after connect"
cat >"$WORK/age.py" <<'PY'
import socket, sys, time
def response(s, buf):
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return None, buf
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        d = s.recv(65536)
        if not d:
            return None, b""
        rest += d
    return head, rest[n:]
t0 = time.monotonic()
s = socket.create_connection(("127.0.0.1", 8080))
s.settimeout(5)
if sys.argv[1] == "busy":
    # Busy: the next request is always sent before the response to the
    # one before it is read, so that one is in flight whenever the age
    # passes (a connection idle between requests at that moment is the
    # "waiting" case, closed without an answer: a request sent then
    # crosses the close, as it may with any server).
    req = b"GET /x?delay=20ms HTTP/1.1\r\nHost: a\r\n\r\n"
    buf, whole, closing = b"", 0, False
    s.sendall(req)
    while time.monotonic() - t0 < 4:
        s.sendall(req)
        head, buf = response(s, buf)
        if head is None:
            break
        whole += 1
        if b"connection: close" in head.lower():
            closing = True
            break
    try:
        end = "EOF" if s.recv(1) == b"" else "more bytes"
    except ConnectionResetError:
        end = "reset"
    print("%d whole responses, close on the last: %s, then %s, at %.1f s"
          % (whole, "yes" if closing else "no", end, time.monotonic() - t0))
else:
    s.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
    response(s, b"")
    try:
        while s.recv(4096):
            pass
    except ConnectionResetError:
        pass
    print("closed %.2f s after connect" % (time.monotonic() - t0))
PY

for engine in $(engines); do
	start_gateway -c "$WORK/config.yaml" --splice "$engine" || exit 1
	out=$(/usr/bin/python3 "$WORK/age.py" busy)
	if [[ "$out" =~ ^[1-9][0-9]\ whole\ responses,\ close\ on\ the\ last:\ yes,\ then\ EOF,\ at\ 1\.[0-4]\ s$ ]]; then
		pass "[$engine] busy connection: $out"
	else
		fail "[$engine] busy connection: $out"
	fi
	out=$(/usr/bin/python3 "$WORK/age.py" waiting)
	t=${out#closed }
	t=${t%% *}
	awk "BEGIN{exit !($t >= 0.95 && $t <= 1.3)}" && pass "[$engine] waiting connection $out" ||
		fail "[$engine] waiting connection: $out"
	stop_gateway
done

# HTTP/2: GOAWAY at the age, open streams finish.
start_gateway -c "$WORK/config.yaml" || exit 1
timeout 10 nghttp -v "http://127.0.0.1:8080/slow?delay=1500ms" >"$WORK/busy" 2>&1 &
busy=$!
/usr/bin/python3 "$E2E_DIR/h2_raw.py" keepalive 8080 4 --ack >"$WORK/idle"
wait "$busy"
grep -A2 'recv GOAWAY frame' "$WORK/busy" | grep -q 'error_code=NO_ERROR' && pass "h2 busy connection: GOAWAY" ||
	fail "h2 busy connection: no GOAWAY: $(tail -5 "$WORK/busy")"
grep -q ':status: 200' "$WORK/busy" && pass "h2 busy connection: its stream completed with 200" ||
	fail "h2 busy connection: $(tail -5 "$WORK/busy")"
got=$(jq -r '"\(.goaway.error) \(.goaway.at) \(.eof_at)"' "$WORK/idle")
read -r err at eof <<<"$got"
[ "$err" = 0 ] && awk "BEGIN{exit !($at >= 0.9 && $at <= 1.3 && $eof <= 1.5)}" &&
	pass "h2 idle connection: GOAWAY at ${at}s, closed at ${eof}s" || fail "h2 idle connection: $got"
stop_gateway

start_gateway -c "$WORK/config.yaml" || exit 1
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.key == "frontend/http")][0].policy.frontend.hTTP.maxConnectionDuration')
[ "$got" = '"1s"' ] && pass "config_dump shows maxConnectionDuration" || fail "dump: $got"
stop_gateway
one_route_config age
start_gateway -c "$WORK/config.yaml" || exit 1
got=$(curl -s http://127.0.0.1:15000/config_dump | jq -c '[.. | objects | select(has("maxConnectionDuration"))] | length')
[ "$got" = 0 ] && pass "unset: not in the dump (the guides' objects unchanged)" || fail "unset dump: $got"
finish
