# HTTPS listeners sharing a port answer 421 to a request whose Host another listener takes than the one the handshake's SNI chose (Gateway API's HTTPRouteHTTPSListenerDetectMisdirectedRequests table, over HTTP/1.1 and HTTP/2; without SNI too), 404 when no listener takes it; so a listener that requires client certificates cannot be reached through a neighbour's handshake: without a certificate its SNI is refused and its Host through the other's SNI gets 421, with one signed by its CA it serves, and a session made on the neighbour does not resume on it (TLS 1.3 and 1.2) while its own sessions do; 421s counted in /metrics as misdirected.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/tlslib.sh"

declare -A BACKEND_PORTS
for b in one two three api public; do
	start_backend "$b" || finish
	BACKEND_PORTS[$b]=$BACKEND_PORT
done
HP=$(free_port)
MP=$(free_port)

cert srv example.org example.org second-example.org '*.wildcard.org' api.example.com public.example.com
# A CA for the api listener's clients, and a client certificate it signs.
cert ca client-ca
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=client" \
	-keyout "$WORK/client.key" -out "$WORK/client.csr" >/dev/null 2>&1 &&
	openssl x509 -req -in "$WORK/client.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
		-CAcreateserial -days 2 -out "$WORK/client.crt" >/dev/null 2>&1 ||
	fail "client certificate"

# The conformance test's Gateway: a listener without hostname, one with a
# hostname, a wildcard and a hostname the wildcard also matches; and a
# port whose api listener wants client certificates.
TLS="tls: {cert: $WORK/srv.crt, key: $WORK/srv.key}"
cat >"$WORK/config.yaml" <<YAML
binds:
- port: $HP
  listeners:
  - name: https
    protocol: HTTPS
    $TLS
    routes: [{hostnames: [example.org], backends: [{host: 127.0.0.1:${BACKEND_PORTS[one]}}]}]
  - name: https-with-hostname
    protocol: HTTPS
    hostname: second-example.org
    $TLS
    routes: [{backends: [{host: 127.0.0.1:${BACKEND_PORTS[two]}}]}]
  - name: https-with-wildcard-hostname
    protocol: HTTPS
    hostname: "*.wildcard.org"
    $TLS
    routes: [{backends: [{host: 127.0.0.1:${BACKEND_PORTS[three]}}]}]
  - name: https-with-hostname-matching-wildcard
    protocol: HTTPS
    hostname: fourth-example.wildcard.org
    $TLS
    routes: [{backends: [{host: 127.0.0.1:${BACKEND_PORTS[one]}}]}]
- port: $MP
  listeners:
  - name: api
    protocol: HTTPS
    hostname: api.example.com
    tls: {cert: $WORK/srv.crt, key: $WORK/srv.key, root: $WORK/ca.crt}
    routes: [{backends: [{host: 127.0.0.1:${BACKEND_PORTS[api]}}]}]
  - name: public
    protocol: HTTPS
    hostname: public.example.com
    $TLS
    routes: [{backends: [{host: 127.0.0.1:${BACKEND_PORTS[public]}}]}]
YAML
start_gateway -c "$WORK/config.yaml" || finish
wait_port "$HP" 5 && wait_port "$MP" 5 || fail "HTTPS ports did not open"

# get VERSION PORT SNI HOST [curl args]: "STATUS BACKEND" (BACKEND the
# echo's pod; for an answer of the gateway's own, its body).
get() {
	local v=$1 port=$2 sni=$3 host=$4 code body
	shift 4
	rm -f "$WORK/body"
	code=$(curl -sk --http"$v" --max-time 10 --resolve "$sni:$port:127.0.0.1" -H "Host: $host" \
		-o "$WORK/body" -w '%{http_code}' "$@" "https://$sni:$port/detect-misdirected-requests")
	body=$(jq -r .pod "$WORK/body" 2>/dev/null) || body=$(cat "$WORK/body" 2>/dev/null)
	echo "$code $body"
}

for v in 1.1 2; do
	while read -r sni host want; do
		check "HTTP/$v SNI $sni, Host $host" "$(get "$v" "$HP" "$sni" "$host")" "${want//_/ }"
	done <<CASES
example.org example.org 200_one
example.org second-example.org 421_misdirected_request
example.org unknown-example.org 404_route_not_found
second-example.org second-example.org 200_two
second-example.org example.org 421_misdirected_request
second-example.org unknown-example.org 421_misdirected_request
third-example.wildcard.org third-example.wildcard.org 200_three
third-example.wildcard.org fith-example.wildcard.org 200_three
third-example.wildcard.org fourth-example.wildcard.org 421_misdirected_request
third-example.wildcard.org second-example.org 421_misdirected_request
third-example.wildcard.org unknown-example.org 421_misdirected_request
fourth-example.wildcard.org fourth-example.wildcard.org 200_one
fourth-example.wildcard.org fith-example.wildcard.org 421_misdirected_request
unknown-example.org example.org 200_one
unknown-example.org unknown-example.org 404_route_not_found
CASES
done

# Without SNI the handshake takes the listener without hostname, and so
# do requests: others' Hosts are misdirected. Two requests on one
# connection: a 421 leaves it open for the next.
out=$(timeout 20 /usr/bin/python3 - "$HP" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10))
f = s.makefile("rb")
for host in ("second-example.org", "example.org"):
    s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode())
    status = f.readline().split()[1].decode()
    n = 0
    while (line := f.readline()) != b"\r\n":
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    f.read(n)
    print(host, status)
PY
)
check "no SNI: Host second-example.org misdirected, then example.org served on the same connection" \
	"$(tr '\n' ' ' <<<"$out")" "second-example.org 421 example.org 200 "

# Client certificates: the api listener's own handshake wants one...
check "SNI api.example.com without a client certificate: refused in the handshake" \
	"$(get 1.1 "$MP" api.example.com api.example.com)" "000 "
check "SNI api.example.com with a client certificate its CA signed: served" \
	"$(get 1.1 "$MP" api.example.com api.example.com --cert "$WORK/client.crt" --key "$WORK/client.key")" \
	"200 api"
# ... and the neighbour's handshake does not lead to it.
for v in 1.1 2; do
	check "HTTP/$v SNI public.example.com, Host api.example.com, no certificate: 421" \
		"$(get "$v" "$MP" public.example.com api.example.com)" "421 misdirected request"
done
check "SNI public.example.com, Host public.example.com: served" \
	"$(get 2 "$MP" public.example.com public.example.com)" "200 public"

# Nor by resuming a session made on the neighbour: sessions resume only on
# the listener (certificate, client CA) they were made on. A session of
# the api listener itself, made with the client certificate, resumes.
out=$(timeout 30 /usr/bin/python3 - "$MP" "$WORK" 2>&1 <<'PY'
import socket, ssl, sys
port, work = int(sys.argv[1]), sys.argv[2]

contexts = {}

def get(version, sni, sess=None, cert=False):
    # A session resumes through the context that made it (Python's rule).
    ctx = contexts.get((version, cert))
    if not ctx:
        ctx = contexts[(version, cert)] = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        ctx.minimum_version = ctx.maximum_version = version
        if cert:
            ctx.load_cert_chain(work + "/client.crt", work + "/client.key")
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                            server_hostname=sni, session=sess)
        s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % sni.encode())
        out = b""
        while d := s.recv(4096):
            out += d
        return s.session, ("resumed " if s.session_reused else "full ") + out.split(b" ")[1].decode()
    except (ssl.SSLError, OSError):
        return None, "refused"

for name, v in (("1.3", ssl.TLSVersion.TLSv1_3), ("1.2", ssl.TLSVersion.TLSv1_2)):
    pub, _ = get(v, "public.example.com")
    print(name, "api with public's session:", get(v, "api.example.com", pub)[1])
    api, how = get(v, "api.example.com", cert=True)
    print(name, "api with its own session:", get(v, "api.example.com", api, cert=True)[1])
PY
)
check "a session made on the public listener does not resume on the api listener; the api's own does" \
	"$out" "1.3 api with public's session: refused
1.3 api with its own session: resumed 200
1.2 api with public's session: refused
1.2 api with its own session: resumed 200"

curl -s http://127.0.0.1:15020/metrics >"$WORK/metrics"
n=$(awk '$1 ~ /^splicegate_requests_total\{/ && /status="421"/ { n += $2 } END { print n + 0 }' "$WORK/metrics")
check "421s counted in splicegate_requests_total" "$n" 17
[ "$n" = 17 ] || grep 'status="421"' "$WORK/metrics"

stop_gateway
san_check
finish
