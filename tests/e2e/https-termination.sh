# HTTPS listeners, standalone dialect: certificates chosen by SNI (exact name, then wildcard, then the listener without a hostname; no SNI: that one) as openssl s_client sees them; curl over HTTP/1.1 and HTTP/2 (ALPN) gets the backend's echo, a redirect keeping the https scheme, a 6 MiB download byte-identical and a 6 MiB upload whole (sha256) both ways; h2load over TLS completes every request; a session ticket resumes; a one-request connection gets no pure ACK from the gateway (its ACKs ride on the handshake, tickets and response); an SNI no listener takes is refused on a port without a catch-all, TLS 1.2 on a listener with minTLSVersion TLS_V1_3 is refused, a plaintext request on the HTTPS port gets no answer and a silent client is closed at handshakeTimeout, each counted in /metrics while others are served; config_dump shows the HTTPS listener and frontend TLS policy as agentgateway prints them; a certificate file replaced on disk is served within seconds without a restart, a broken one leaves the old in force; check refuses a key that does not match its certificate.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/tlslib.sh"

start_backend tls || finish
HP=$(free_port)  # HTTPS with a catch-all
HP2=$(free_port) # HTTPS, named listeners only, TLS 1.3 minimum on one

cert exact exact.test exact.test
cert wild wild.test '*.wild.test'
cert dflt default.test
cert other other.test

cat >"$WORK/config.yaml" <<YAML
frontendPolicies:
  tls: {handshakeTimeout: 1s}
binds:
- port: $HP
  listeners:
  - name: exact
    protocol: HTTPS
    hostname: exact.test
    tls: {cert: $WORK/exact.crt, key: $WORK/exact.key}
    routes:
    - name: moved
      matches: [{path: {pathPrefix: /old}}]
      policies: {requestRedirect: {path: {prefix: /new}}}
    - name: segs
      matches: [{path: {exact: /segs}}]
      policies: {directResponse: {body: "segs", status: 200}}
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
  - name: wild
    protocol: HTTPS
    hostname: "*.wild.test"
    tls: {cert: $WORK/wild.crt, key: $WORK/wild.key}
    routes: [{backends: [{host: 127.0.0.1:$BACKEND_PORT}]}]
  - name: any
    protocol: HTTPS
    tls: {cert: $WORK/dflt.crt, key: $WORK/dflt.key}
    routes: [{backends: [{host: 127.0.0.1:$BACKEND_PORT}]}]
- port: $HP2
  listeners:
  - name: only
    protocol: HTTPS
    hostname: only.test
    tls: {cert: $WORK/other.crt, key: $WORK/other.key, minTLSVersion: TLS_V1_3}
    routes: [{backends: [{host: 127.0.0.1:$BACKEND_PORT}]}]
YAML

# A key that is not the certificate's: refused with the reason.
sed "s#$WORK/dflt.key#$WORK/other.key#" "$WORK/config.yaml" >"$WORK/bad.yaml"
out=$("$SG_BIN" check -c "$WORK/bad.yaml" 2>&1)
check "check refuses a key that does not match (exit 1)" "$?" 1
[[ "$out" == *"port $HP: listener any: key does not match the certificate"* ]] &&
	pass "the refusal names the port, the listener and why" || fail "refusal: $out"
check "check accepts the config" "$("$SG_BIN" check -c "$WORK/config.yaml" 2>&1)" "configuration ok"

start_gateway -c "$WORK/config.yaml" || finish
wait_port "$HP" 5 || fail "HTTPS port $HP did not open"

# subject SNI|- [PORT] [extra s_client args]: the CN the gateway served,
# or "refused".
subject() {
	local sni=$1 port=${2:-$HP} args=()
	shift 2 2>/dev/null || shift $#
	if [ "$sni" = - ]; then args=(-noservername); else args=(-servername "$sni"); fi
	timeout 10 openssl s_client -connect "127.0.0.1:$port" "${args[@]}" "$@" </dev/null 2>/dev/null |
		sed -n 's/^subject=.*CN = //p' | head -1 | grep . || echo refused
}
check "SNI exact.test: the exact listener's certificate" "$(subject exact.test)" exact.test
check "SNI exact.test. (a fully qualified name): the same" "$(subject exact.test.)" exact.test
check "SNI a.wild.test: the wildcard's" "$(subject a.wild.test)" wild.test
check "SNI nothing.test: the listener without hostname" "$(subject nothing.test)" default.test
check "no SNI: the listener without hostname" "$(subject -)" default.test
check "SNI no listener takes, no catch-all: refused" "$(subject nope.test "$HP2")" refused
check "SNI only.test on the second port" "$(subject only.test "$HP2")" other.test
check "TLS 1.2 to a listener with minTLSVersion TLS_V1_3: refused" \
	"$(subject only.test "$HP2" -tls1_2)" refused
check "ALPN offering only a protocol the listener does not serve: refused" \
	"$(subject exact.test "$HP" -alpn foo)" refused
check "ALPN offering it beside http/1.1: served" "$(subject exact.test "$HP" -alpn foo,http/1.1)" \
	exact.test

# curl over both HTTP versions, by name.
R=(--resolve "exact.test:$HP:127.0.0.1" --resolve "x.wild.test:$HP:127.0.0.1" -k -s)
for v in 1.1 2; do
	out=$(curl "${R[@]}" --http"$v" -o "$WORK/echo" -w '%{http_code} %{http_version}' \
		"https://x.wild.test:$HP/hello?x=1")
	check "curl --http$v: 200 over HTTP/$v" "$out" "200 $v"
	check "curl --http$v: the backend saw the request" \
		"$(jq -r '.path + " " + .host + " " + .pod' "$WORK/echo")" "/hello?x=1 x.wild.test:$HP tls"
	sum=$(curl "${R[@]}" --http"$v" "https://exact.test:$HP/d?size=6291456" | sha256sum | cut -c1-64)
	want=$(/usr/bin/python3 -c 'import hashlib,sys; n=6291456; b=bytes(i%251 for i in range(251))*(n//251+1); print(hashlib.sha256(b[:n]).hexdigest())')
	check "curl --http$v: 6 MiB download byte-identical" "$sum" "$want"
	head -c 6291456 /dev/urandom >"$WORK/up.bin"
	got=$(curl "${R[@]}" --http"$v" --data-binary @"$WORK/up.bin" "https://exact.test:$HP/upload" |
		jq -r '"\(.bytes) \(.sha256)"')
	check "curl --http$v: 6 MiB upload whole" "$got" "6291456 $(sha256sum <"$WORK/up.bin" | cut -c1-64)"
done

# A redirect without a scheme keeps the request's: https.
check "a redirect on an HTTPS listener says https" \
	"$(curl "${R[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "https://exact.test:$HP/old/x")" \
	"302 https://exact.test:$HP/new/x"

out=$(timeout 60 h2load -n 2000 -c 4 -m 8 "https://127.0.0.1:$HP/h2load" 2>&1)
grep -q "Application protocol: h2" <<<"$out" && pass "h2load negotiated h2 by ALPN" ||
	fail "h2load: no h2: $out"
grep -q "requests: 2000 total, 2000 started, 2000 done, 2000 succeeded" <<<"$out" &&
	pass "h2load over TLS: 2000 of 2000 succeeded" || fail "h2load: $(grep requests: <<<"$out")"

# Each client asks for a page and reads to the close: the server's
# tickets, which follow its handshake, are in by then whatever the load.
get='GET / HTTP/1.1\r\nHost: exact.test\r\nConnection: close\r\n\r\n'
printf "$get" | timeout 10 openssl s_client -connect "127.0.0.1:$HP" -servername exact.test \
	-ign_eof -sess_out "$WORK/sess.pem" >/dev/null 2>&1
out=$(printf "$get" | timeout 10 openssl s_client -connect "127.0.0.1:$HP" \
	-servername exact.test -ign_eof -sess_in "$WORK/sess.pem" 2>/dev/null)
grep -q "^Reused" <<<"$out" && pass "a session ticket resumes" || fail "not resumed: $(grep -E '^(New|Reused)' <<<"$out")"

# A one-request TLS connection as its client sees it on the wire: the
# gateway's ACKs ride on its handshake flight, tickets and response (no
# quick ACKs on the listener), so the only segments without data the
# client receives are the SYN-ACK and the FIN; with quick ACKs every
# connection also got a pure ACK of its Finished or request (3). /segs is
# answered by the gateway itself (directResponse): a backend's latency on
# a busy machine let the delayed ACK (40 ms) fire first on half of the
# connections. A delayed ACK may still fire on a late one, so: most of ten.
# Prints "STATUS BODY NODATA" per connection, NODATA = tcpi_segs_in -
# tcpi_data_segs_in.
out=$(timeout 30 /usr/bin/python3 - "$HP" <<'PY'
import socket, ssl, struct, sys
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
for _ in range(10):
    raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s = ctx.wrap_socket(raw, server_hostname="exact.test")
    s.sendall(b"GET /segs HTTP/1.1\r\nHost: exact.test\r\nConnection: close\r\n\r\n")
    data = b""
    while d := s.recv(65536):
        data += d
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    segs_in = struct.unpack_from("I", info, 140)[0]  # tcpi_segs_in
    data_in = struct.unpack_from("I", info, 152)[0]  # tcpi_data_segs_in
    head, _, body = data.partition(b"\r\n\r\n")
    print(head.split(b" ")[1].decode(), "body" if body else "empty", segs_in - data_in)
    s.close()
PY
)
check "one request per TLS connection: ten answered" "$(grep -c '^200 body ' <<<"$out")" 10
n=$(grep -cE '^200 body [0-2]$' <<<"$out")
if [ "$n" -ge 6 ]; then
	pass "no pure ACKs from the gateway on $n of 10 TLS connections"
else
	fail "pure ACKs (segments without data beyond SYN-ACK and FIN): $(awk '{print $3}' <<<"$out" | tr '\n' ' ')"
fi

# Plaintext HTTP to the HTTPS port: no HTTP answer, the connection ends.
out=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 5 /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read())
s.settimeout(4)
data = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        data += d
except ConnectionResetError:
    pass
print("http" if data.startswith(b"HTTP/") else "closed")' "$HP")
check "plaintext HTTP on the HTTPS port: closed without an HTTP answer" "$out" closed

# A client that connects and says nothing: closed at handshakeTimeout (1s).
out=$(timeout 10 /usr/bin/python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t = time.monotonic()
s.settimeout(8)
try:
    s.recv(1)
except OSError:
    pass
print("%.1f" % (time.monotonic() - t))' "$HP")
time_in "$out" 0.8 4 && pass "silent client closed at handshakeTimeout (${out}s)" ||
	fail "silent client closed after ${out}s (want 0.8..4)"
check "others are served meanwhile" \
	"$(curl "${R[@]}" -o /dev/null -w '%{http_code}' "https://exact.test:$HP/")" 200

metrics=$(curl -s http://127.0.0.1:15020/metrics)
m() { awk -v k="$1" '$1 == k { print $2 }' <<<"$metrics"; }
[ "$(m 'splicegate_tls_handshakes_total{result="failed"}')" -ge 3 ] 2>/dev/null &&
	pass "failed handshakes counted ($(m 'splicegate_tls_handshakes_total{result="failed"}'))" ||
	fail "failed handshakes: $(m 'splicegate_tls_handshakes_total{result="failed"}')"
[ "$(m 'splicegate_tls_handshakes_total{result="resumed"}')" -ge 1 ] 2>/dev/null &&
	pass "resumed handshakes counted" || fail "resumed: $(m 'splicegate_tls_handshakes_total{result="resumed"}')"
check "handshake timeouts counted" "$(m 'splicegate_timeouts_total{kind="tls_handshake"}')" 1

dump=$(curl -s http://127.0.0.1:15000/config_dump)
check "config_dump: the HTTPS bind's protocol" \
	"$(jq -c --arg k "bind/$HP" '.binds[] | select(.key == $k) | .protocol' <<<"$dump")" '"tls"'
check "config_dump: the listener's protocol" \
	"$(jq -c --arg k "bind/$HP" '.binds[] | select(.key == $k) | .listeners[$k + "/wild"].protocol' <<<"$dump")" \
	'{"HTTPS":{"certificateSource":"Static"}}'
check "config_dump: frontendPolicies.tls" \
	"$(jq -c '.policies[] | select(.key == "frontend/tls") | .policy' <<<"$dump")" \
	'{"frontend":{"tLS":{"handshakeTimeout":"1s","alpn":null}}}'

# A renewed certificate written over the file: served without a restart.
cert renewed renewed.test
cp "$WORK/renewed.key" "$WORK/dflt.key.new"
cp "$WORK/renewed.crt" "$WORK/dflt.crt.new"
mv "$WORK/dflt.key.new" "$WORK/dflt.key"
mv "$WORK/dflt.crt.new" "$WORK/dflt.crt"
got=refused
for _ in $(seq 40); do
	got=$(subject -)
	[ "$got" = renewed.test ] && break
	sleep 0.2
done
check "a renewed certificate file is served within seconds" "$got" renewed.test
echo broken >"$WORK/dflt.crt"
sleep 2.5
check "a broken certificate file leaves the one in force" "$(subject -)" renewed.test
grep -q "certificate files changed but do not load" "$WORK/gateway.log" &&
	pass "the broken file is reported" || fail "no report of the broken file"
check "reported once" "$(grep -c 'certificate files changed but do not load' "$WORK/gateway.log")" 1

san_check
finish
