# Admission bounds (agentgateway's frontendPolicies.tcp.maxConnections and frontendPolicies.http.maxConcurrentRequests), gateway on its default workers (one per core, accepting on SO_REUSEPORT sockets): with maxConnections 4, 4 keep-alive connections are served while a burst of 40 more (10x) is closed unread, the 4 are still served during and after it, and once one closes a new one is let in; the same on a TCP route's bind and on an HTTPS one (the refused get no handshake); 4 held HTTP/2 connections fill it too (h2load's 20 connections and an HTTP/1 one refused), and h2load is served in full once they are gone; every refusal counted in splicegate_connections_refused_total{reason="max_connections"}. With maxConcurrentRequests 3, a burst of 30 slow requests on 30 connections gets 3 200s and 27 503s "request limit exceeded"; on one HTTP/2 connection (h2load -m 30) 3 streams get 200 and 27 get 503 on their stream; an HTTP/2 request while 3 HTTP/1 ones are in progress gets the 503 and its body, and the 3 complete; a request after a burst is served; refusals counted in splicegate_requests_refused_total{reason="max_concurrent_requests"}. config_dump shows both keys, and neither when unset.
. "$(dirname "$0")/lib.sh"

start_backend adm

# adm.py conns PORT HELD BURST [tls]: HELD keep-alive connections each answered
# once; then BURST new connections at once, each sending a GET and reading
# for up to 3 s, while each held connection sends another GET; then one held
# connection closes and a new one sends a GET. Prints JSON: {"held": answered
# first, "held_again": answered during the burst, "refused": burst
# connections closed without a byte, "served": burst connections answered,
# "after": the status the last connection got (0: none)}. With "tls" every
# connection is HTTPS (any certificate): a refused one fails its handshake.
# adm.py reqs PORT N PATH: N connections send "GET PATH" at once (a barrier);
# prints JSON {"codes": {status: count}, "bodies": [distinct bodies of the
# non-200 answers]}.
cat >"$WORK/adm.py" <<'PY'
import json, socket, ssl, sys, threading, time

TLS = sys.argv[-1] == "tls"
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return ctx.wrap_socket(s, server_hostname="adm.test") if TLS else s

def get(s, path="/x"):
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return 0, b""
        buf += d
    head, _, body = buf.partition(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(body) < n:
        d = s.recv(65536)
        if not d:
            break
        body += d
    return int(head.split(b" ")[1]), body[:n]

def attempt(port, path, out, i, barrier=None):
    try:
        s = connect(port)
        s.settimeout(5)
        if barrier:
            barrier.wait()
        out[i] = get(s, path)
        s.close()
    except (ConnectionError, socket.timeout, OSError):
        out[i] = (0, b"")

mode, port = sys.argv[1], int(sys.argv[2])
if mode == "conns":
    nheld, nburst = int(sys.argv[3]), int(sys.argv[4])
    held = [connect(port) for _ in range(nheld)]
    first = sum(1 for s in held if get(s)[0] == 200)
    time.sleep(0.2)
    res = [None] * nburst
    ts = [threading.Thread(target=attempt, args=(port, "/x", res, i)) for i in range(nburst)]
    for t in ts:
        t.start()
    again = 0
    for s in held:
        try:
            again += get(s)[0] == 200
        except OSError:
            pass
    for t in ts:
        t.join()
    held[0].close()
    time.sleep(0.3)
    last = [None]
    attempt(port, "/x", last, 0)
    print(json.dumps({"held": first, "held_again": again,
                      "refused": sum(1 for r in res if r[0] == 0),
                      "served": sum(1 for r in res if r[0] != 0), "after": last[0][0]}))
else:
    n, path = int(sys.argv[3]), sys.argv[4]
    res = [None] * n
    barrier = threading.Barrier(n)
    ts = [threading.Thread(target=attempt, args=(port, path, res, i, barrier)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    codes = {}
    for c, _ in res:
        codes[str(c)] = codes.get(str(c), 0) + 1
    print(json.dumps({"codes": dict(sorted(codes.items())),
                      "bodies": sorted({b.decode() for c, b in res if c != 200})}))
PY

metric() {
	curl -s http://127.0.0.1:15020/metrics | awk -v m="$1" '$1 == m {print $2}'
}

# ---- maxConnections ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=adm.test \
	-keyout "$WORK/adm.key" -out "$WORK/adm.crt" >/dev/null 2>&1 || fail "openssl req"
cat >"$WORK/config.yaml" <<YAML
frontendPolicies:
  tcp: {maxConnections: 4}
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
- port: 9000
  listeners:
  - protocol: TCP
    tcpRoutes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
- port: 8443
  listeners:
  - protocol: HTTPS
    tls: {cert: $WORK/adm.crt, key: $WORK/adm.key}
    routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
start_gateway -c "$WORK/config.yaml" || exit 1
refused=0
for port in 8080 9000; do
	got=$(timeout 30 /usr/bin/python3 "$WORK/adm.py" conns $port 4 40)
	want='{"held": 4, "held_again": 4, "refused": 40, "served": 0, "after": 200}'
	[ "$got" = "$want" ] && pass ":$port maxConnections 4 under a burst of 40: $got" ||
		fail ":$port maxConnections 4 under a burst of 40: $got"
	refused=$((refused + 40))
done
# HTTPS: counted from accept, so connections in their handshake count and a
# refused one never gets a ServerHello.
got=$(timeout 30 /usr/bin/python3 "$WORK/adm.py" conns 8443 4 40 tls)
[ "$got" = "$want" ] && pass ":8443 (HTTPS) maxConnections 4 under a burst of 40: $got" ||
	fail ":8443 (HTTPS) maxConnections 4 under a burst of 40: $got"
refused=$((refused + 40))
n=$(metric 'splicegate_tls_handshakes_total{result="failed"}')
[ "${n:-0}" = 0 ] && pass "no TLS work for the refused ones (no failed handshakes)" ||
	fail "failed handshakes: $n"

# HTTP/2 connections count too: 4 held h2c connections fill the bind.
for i in 1 2 3 4; do
	/usr/bin/python3 "$E2E_DIR/h2_raw.py" keepalive 8080 3 --ack >"$WORK/h2held.$i" &
	PIDS+=("$!")
done
sleep 1
h2load -c 20 -n 20 -t 1 http://127.0.0.1:8080/x >"$WORK/h2load.refused" 2>&1
grep -q '^requests: 20 total, .* 0 succeeded, 20 failed' "$WORK/h2load.refused" &&
	pass "4 held HTTP/2 connections: h2load's 20 connections refused" ||
	fail "h2load while 4 h2 connections are held: $(grep '^requests:' "$WORK/h2load.refused")"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://127.0.0.1:8080/x)
[ "$code" = 000 ] && pass "4 held HTTP/2 connections: an HTTP/1 one refused" ||
	fail "HTTP/1 while 4 h2 connections are held: $code"
refused=$((refused + 21))
wait "${PIDS[@]: -4}" 2>/dev/null
sleep 0.3
h2load -c 4 -n 40 -m 4 -t 1 http://127.0.0.1:8080/x >"$WORK/h2load.ok" 2>&1
grep -q '^requests: 40 total, 40 started, 40 done, 40 succeeded' "$WORK/h2load.ok" &&
	pass "h2load (4 connections) served in full once the held ones closed" ||
	fail "h2load after: $(grep '^requests:' "$WORK/h2load.ok")"
n=$(metric 'splicegate_connections_refused_total{reason="max_connections"}')
[ "$n" = "$refused" ] && pass "every refusal counted ($n)" || fail "max_connections counter: '$n', want $refused"
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.key == "frontend/tcp")][0].policy.frontend.tCP.maxConnections')
[ "$got" = 4 ] && pass "config_dump shows maxConnections" || fail "dump: $got"
stop_gateway

# ---- maxConcurrentRequests ----
cat >"$WORK/config.yaml" <<YAML
frontendPolicies:
  http: {maxConcurrentRequests: 3}
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
start_gateway -c "$WORK/config.yaml" || exit 1
got=$(timeout 30 /usr/bin/python3 "$WORK/adm.py" reqs 8080 30 "/slow?delay=2s")
want='{"codes": {"200": 3, "503": 27}, "bodies": ["request limit exceeded"]}'
[ "$got" = "$want" ] && pass "HTTP/1: 30 requests at once, 3 served: $got" || fail "HTTP/1 burst: $got"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:8080/x)
[ "$code" = 200 ] && pass "after the burst: 200" || fail "after the burst: $code"

h2load -c 1 -m 30 -n 30 -t 1 "http://127.0.0.1:8080/slow?delay=2s" >"$WORK/h2load.reqs" 2>&1
grep -q '^status codes: 3 2xx, 0 3xx, 0 4xx, 27 5xx' "$WORK/h2load.reqs" &&
	pass "HTTP/2: 30 streams on one connection, 3 get 200, 27 get 503 on their stream" ||
	fail "HTTP/2 burst: $(grep -E '^(requests|status codes):' "$WORK/h2load.reqs")"

for i in 1 2 3; do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 "http://127.0.0.1:8080/slow?delay=2s" \
		>"$WORK/slow.$i" &
	PIDS+=("$!")
done
sleep 0.7
got=$(curl -s --http2-prior-knowledge -w ' %{http_code} %{http_version}' --max-time 5 http://127.0.0.1:8080/x)
[ "$got" = "request limit exceeded 503 2" ] && pass "HTTP/2 request while 3 HTTP/1 ones run: $got" ||
	fail "HTTP/2 request while 3 HTTP/1 ones run: $got"
wait "${PIDS[@]: -3}" 2>/dev/null
got=$(cat "$WORK"/slow.1 "$WORK"/slow.2 "$WORK"/slow.3 | tr '\n' ' ')
[ "$got" = "200 200 200 " ] && pass "the 3 in progress completed: $got" || fail "the 3: $got"
code=$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 5 http://127.0.0.1:8080/x)
[ "$code" = 200 ] && pass "HTTP/2 after: 200" || fail "HTTP/2 after: $code"
n=$(metric 'splicegate_requests_refused_total{reason="max_concurrent_requests"}')
[ "$n" = 55 ] && pass "every 503 counted ($n)" || fail "max_concurrent_requests counter: '$n', want 55"
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.key == "frontend/http")][0].policy.frontend.hTTP.maxConcurrentRequests')
[ "$got" = 3 ] && pass "config_dump shows maxConcurrentRequests" || fail "dump: $got"
stop_gateway

one_route_config adm
start_gateway -c "$WORK/config.yaml" || exit 1
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.. | objects | select(has("maxConnections") or has("maxConcurrentRequests"))] | length')
[ "$got" = 0 ] && pass "unset: neither key in the dump" || fail "unset dump: $got"
finish
