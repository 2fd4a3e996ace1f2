# PROXY protocol (frontendPolicies.proxyProtocol): behind HAProxy in TCP mode with send-proxy-v2, and from scripted clients writing v1 and v2 headers (before HTTP, before a TLS handshake, before a TCP route's bytes), the client the header names is the one X-Forwarded-For and the backend see, and the destination it names is what CEL's destination.* reads (agentgateway's local_addr); connections still waiting for their header hold places in maxConnections and, as their TCP peer, in --max-connections-per-source; the header's bytes never reach a backend; a connection without one (mode strict), a malformed, oversized or unsupported one, and one that stops mid-header are closed and counted while other clients keep being served; mode optional serves plain clients; config_dump prints the policy as agentgateway does, and a bad version is refused by `check`.
. "$(dirname "$0")/lib.sh"

start_backend pp
B=$BACKEND_PORT
E=$(free_port)
/usr/bin/python3 "$E2E_DIR/echo_server.py" "$E" &
PIDS+=("$!")
wait_port "$E" 10 || { fail "echo backend did not start"; finish; }
TP=$(free_port) # the gateway's TCP listener
SP=$(free_port) # its HTTPS listener
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=pp.test \
	-keyout "$WORK/pp.key" -out "$WORK/pp.crt" >/dev/null 2>&1 || fail "openssl req"
HP=$(free_port) # HAProxy's

config() { # MODE VERSION [MORE-FRONTEND-POLICIES]
	cat >"$WORK/cfg.yaml" <<YAML
frontendPolicies:
  proxyProtocol:
    version: $2
    mode: $1
${3:-}
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: pp
      policies:
        transformations:
          request:
            set:
              x-dst: 'destination.address + ":" + string(destination.port)'
      backends:
      - host: 127.0.0.1:$B
- port: $SP
  listeners:
  - name: https
    protocol: HTTPS
    tls: {cert: $WORK/pp.crt, key: $WORK/pp.key}
    routes:
    - name: pps
      backends:
      - host: 127.0.0.1:$B
- port: $TP
  listeners:
  - name: tcp
    protocol: TCP
    tcpRoutes:
    - name: echo
      backends:
      - host: 127.0.0.1:$E
YAML
}

# ppclient.py PORT KIND [SRC [tls]]: one connection to PORT that writes a
# header of KIND (v1, v2, v2-local, none, bad-v1, v2-long, v2-udp) naming
# SRC as the client, then (over TLS after the header, with "tls") a
# request for /echo, and prints the answer's
# status line and the X-Forwarded-For the backend saw (with PP_HEADER=NAME,
# that header instead), or "closed" when the gateway closed the connection
# without a byte.
cat >"$WORK/ppclient.py" <<'PY'
import json, os, socket, ssl, struct, sys
port, kind = int(sys.argv[1]), sys.argv[2]
src = sys.argv[3] if len(sys.argv) > 3 else "203.0.113.7"
SIG = b"\r\n\r\n\x00\r\nQUIT\n"
def v2(cmd=0x21, fam=0x11, body=None):
    if body is None:
        body = socket.inet_aton(src) + socket.inet_aton("10.0.0.1") + struct.pack("!HH", 40000, 8080)
    return SIG + bytes([cmd, fam]) + struct.pack("!H", len(body)) + body
hdr = {
    "v1": ("PROXY TCP4 %s 10.0.0.1 40000 8080\r\n" % src).encode(),
    "v2": v2(),
    "v2-local": v2(cmd=0x20, fam=0x00, body=b""),
    "none": b"",
    "bad-v1": b"PROXY TCP4 203.0.113.999 10.0.0.1 40000 8080\r\n",
    "v2-long": SIG + b"\x21\x11\x04\x00" + b"\x00" * 1024,
    "v2-udp": v2(fam=0x12),
}[kind]
req = b"GET /echo HTTP/1.1\r\nHost: pp.test\r\nConnection: close\r\n\r\n"
s = socket.create_connection(("127.0.0.1", port), timeout=10)
try:
    if len(sys.argv) > 4 and sys.argv[4] == "tls":
        s.sendall(hdr)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname="pp.test")
        s.sendall(req)
    else:
        s.sendall(hdr + req)
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
    data = b""
if not data:
    print("closed")
    sys.exit(0)
head, _, body = data.partition(b"\r\n\r\n")
status = head.split(b"\r\n")[0].decode()
try:
    want = os.environ.get("PP_HEADER", "X-Forwarded-For").lower()
    xff = ([v[0] for k, v in json.loads(body)["headers"].items() if k.lower() == want] + [""])[0]
except Exception:
    xff = "?"
print("%s|%s" % (status, xff))
PY

# ppslow.py PORT: writes half a v2 header and waits; prints how long the
# gateway took to close the connection ("open" if not within 15 s).
cat >"$WORK/ppslow.py" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
t0 = time.monotonic()
s.sendall(b"\r\n\r\n\x00\r\nQUIT\n\x21")
try:
    d = s.recv(100)
    print("%.1f" % (time.monotonic() - t0) if not d else "data")
except ConnectionResetError:
    print("%.1f" % (time.monotonic() - t0))
except socket.timeout:
    print("open")
PY

# pptcp.py PORT: a v2 header, then 100 KB through a TCP route to the echo
# backend: "ok" when exactly those bytes (and not the header's) come back.
cat >"$WORK/pptcp.py" <<'PY'
import os, socket, struct, sys
SIG = b"\r\n\r\n\x00\r\nQUIT\n"
body = socket.inet_aton("198.51.100.20") + socket.inet_aton("10.0.0.1") + struct.pack("!HH", 1, 2)
data = os.urandom(100000)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(SIG + b"\x21\x11" + struct.pack("!H", len(body)) + body + data)
got = b""
while len(got) < len(data):
    d = s.recv(65536)
    if not d:
        break
    got += d
print("ok" if got == data else "got %d bytes, first %r" % (len(got), got[:16]))
PY

refused() {
	curl -s http://127.0.0.1:15000/metrics |
		awk '$1 == "splicegate_connections_refused_total{reason=\"proxy_protocol\"}" { print $2 }'
}

config strict all
if ! start_engine auto -p 8080 -p "$TP" -p "$SP" -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

check "v1 header: the backend sees the client it names" \
	"$(python3 "$WORK/ppclient.py" 8080 v1 203.0.113.7)" "HTTP/1.1 200 OK|203.0.113.7"
check "v2 header: the backend sees the client it names" \
	"$(python3 "$WORK/ppclient.py" 8080 v2 198.51.100.9)" "HTTP/1.1 200 OK|198.51.100.9"
check "v2 LOCAL (a balancer's health check): the connection's own address" \
	"$(python3 "$WORK/ppclient.py" 8080 v2-local)" "HTTP/1.1 200 OK|127.0.0.1"
check "v1 header: CEL's destination is the one it names (agentgateway's local_addr)" \
	"$(PP_HEADER=x-dst python3 "$WORK/ppclient.py" 8080 v1)" "HTTP/1.1 200 OK|10.0.0.1:8080"
check "v2 header: CEL's destination is the one it names" \
	"$(PP_HEADER=x-dst python3 "$WORK/ppclient.py" 8080 v2)" "HTTP/1.1 200 OK|10.0.0.1:8080"
check "v2 LOCAL: CEL's destination is the gateway's own address" \
	"$(PP_HEADER=x-dst python3 "$WORK/ppclient.py" 8080 v2-local)" "HTTP/1.1 200 OK|127.0.0.1:8080"
check "HTTPS: the header, then the TLS handshake on the same connection" \
	"$(python3 "$WORK/ppclient.py" "$SP" v2 198.51.100.30 tls)" "HTTP/1.1 200 OK|198.51.100.30"
check "HTTPS, mode strict: a handshake without a header is closed" \
	"$(python3 "$WORK/ppclient.py" "$SP" none 127.0.0.1 tls)" closed
check "a TCP route after a v2 header: exactly the bytes after it, both ways" \
	"$(python3 "$WORK/pptcp.py" "$TP")" ok

# The refusals, with a client kept busy meanwhile.
python3 "$WORK/ppslow.py" 8080 >"$WORK/slow" &
SLOW=$!
before=$(refused)
for kind in none bad-v1 v2-long v2-udp; do
	check "$kind: closed without an answer (mode strict)" \
		"$(python3 "$WORK/ppclient.py" 8080 "$kind")" closed
	check "a client with a header is served meanwhile" \
		"$(python3 "$WORK/ppclient.py" 8080 v2 192.0.2.44)" "HTTP/1.1 200 OK|192.0.2.44"
done
check "the 4 refusals counted (connections_refused_total reason=proxy_protocol)" \
	"$(($(refused) - ${before:-0}))" 4
wait "$SLOW"
took=$(cat "$WORK/slow")
if [ "$took" != open ] && [ "$took" != data ] && time_in "$took" 4.5 10; then
	pass "half a header: closed after ${took} s (the 5 s bound)"
else
	fail "half a header: '$took' (want closed after 4.5-10 s)"
fi
check "timeouts_total kind=proxy_protocol counts it" \
	"$(curl -s http://127.0.0.1:15000/metrics |
		awk '$1 == "splicegate_timeouts_total{kind=\"proxy_protocol\"}" { print $2 }')" 1

json_equal "config_dump: the policy as agentgateway prints it" \
	"$(curl -s http://127.0.0.1:15000/config_dump |
		jq -c '.policies[] | select(.key == "frontend/proxyProtocol") | .policy')" \
	'{"frontend":{"proxy":{"version":"all","mode":"strict"}}}'

# HAProxy in front, as a load balancer: TCP mode, send-proxy-v2. The client
# connects from 127.0.0.2; the gateway's peer is HAProxy at 127.0.0.1.
cat >"$WORK/haproxy.cfg" <<CFG
global
  maxconn 100
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
listen lb
  bind 127.0.0.1:$HP
  server gw 127.0.0.1:8080 send-proxy-v2
CFG
haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
HAP=$!
PIDS+=("$HAP")
if wait_port "$HP" 10; then
	hcall --interface 127.0.0.2 "http://127.0.0.1:$HP/echo"
	check "behind HAProxy (send-proxy-v2): 200" "$H_CODE" 200
	check "behind HAProxy: X-Forwarded-For is the client HAProxy saw" \
		"$(echo_header X-Forwarded-For)" 127.0.0.2
	hcall --interface 127.0.0.2 "http://127.0.0.1:$HP/echo"
	check "behind HAProxy: again, on a new connection" "$(echo_header X-Forwarded-For)" 127.0.0.2
else
	fail "haproxy did not start: $(cat "$WORK/haproxy.log")"
fi
kill "$HAP" && wait "$HAP" 2>/dev/null # HAProxy exits 143 on SIGTERM
stop_gateway

# mode optional, version v2: plain clients are served as they are; a v1
# header is not v2.
config optional v2
if ! start_engine auto -p 8080 -p "$TP" -p "$SP" -c "$WORK/cfg.yaml"; then
	fail "gateway did not start (optional)"
	finish
fi
check "optional: a plain client is served, as itself" \
	"$(python3 "$WORK/ppclient.py" 8080 none)" "HTTP/1.1 200 OK|127.0.0.1"
check "optional: a v2 header still names the client" \
	"$(python3 "$WORK/ppclient.py" 8080 v2 198.51.100.10)" "HTTP/1.1 200 OK|198.51.100.10"
check "optional, v2 only: a v1 header is refused" \
	"$(python3 "$WORK/ppclient.py" 8080 v1)" closed
hcall http://127.0.0.1:8080/echo
check "optional: curl without a header gets 200" "$H_CODE" 200
hcall -k --resolve "pp.test:$SP:127.0.0.1" "https://pp.test:$SP/echo"
check "optional: HTTPS without a header gets 200" "$H_CODE" 200
stop_gateway

# Connections still waiting for their header hold their places: in the
# port's maxConnections, and in --max-connections-per-source as their TCP
# peer (HAProxy's connection-level view), until the header names the client.
# pphold.py PORT N SECS: N connections each sending the start of a v1
# header (deferred accept hands a silent one over only after ~1 s), held
# SECS seconds.
cat >"$WORK/pphold.py" <<'PY'
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(int(sys.argv[2]))]
for s in socks:
    s.sendall(b"PROXY TCP4 ")
time.sleep(float(sys.argv[3]))
PY
max_conn_refused() {
	curl -s http://127.0.0.1:15000/metrics | awk -v k="$1" \
		'$1 == "splicegate_connections_refused_total{reason=\"" k "\"}" { print $2 }'
}
# held_places WHAT REASON [GATEWAY-ARGS...]: with the gateway started on
# cfg.yaml and those arguments, 2 connections mid-header from 127.0.0.1 fill
# WHAT (a bound of 2): a third from it is closed and counted as REASON, and
# once they are gone a client with a header is served.
held_places() {
	local what=$1 reason=$2 hold
	shift 2
	if ! start_engine auto -p 8080 -p "$TP" -p "$SP" -c "$WORK/cfg.yaml" "$@"; then
		fail "gateway did not start ($what)"
		return
	fi
	python3 "$WORK/pphold.py" 8080 2 3 &
	hold=$!
	sleep 1
	check "$what 2, 2 connections mid-header from 127.0.0.1: a third is closed unread" \
		"$(python3 "$WORK/ppclient.py" 8080 v1)" closed
	check "counted as refused ($reason)" "$(max_conn_refused "$reason")" 1
	wait "$hold"
	sleep 0.5
	check "once they are gone, its header's client is served" \
		"$(python3 "$WORK/ppclient.py" 8080 v1 203.0.113.7)" "HTTP/1.1 200 OK|203.0.113.7"
	stop_gateway
}
config strict all "  tcp: {maxConnections: 2}"
held_places maxConnections max_connections
config strict all
held_places --max-connections-per-source per_source --max-connections-per-source 2

config strict v3
"$SG_BIN" check -c "$WORK/cfg.yaml" >"$WORK/check.out" 2>&1
rc=$?
check "check refuses version v3 (exit 1)" "$rc" 1
if grep -q 'proxyProtocol.version.*v1, v2 or all' "$WORK/check.out"; then
	pass "the refusal names the key and the choices"
else
	fail "check said: $(head -3 "$WORK/check.out")"
fi
finish
