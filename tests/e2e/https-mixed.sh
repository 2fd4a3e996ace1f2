# The three kinds of listener side by side on one gateway, in every engine: HTTP, HTTPS (terminated, the listener without hostname serving a certificate signed by a CA the scenario makes, verified by curl --cacert over HTTP/1.1 and HTTP/2, by nghttp over TLS with ALPN h2 and by Python's ssl with hostname checking) and TLS passthrough (openssl s_server behind it: the client sees the backend's own certificate); an 8 MiB body byte-identical through each, the access log saying which engine moved it (copy for HTTPS, whatever the engine for HTTP). A handshake flood (200 new TLS connections, each one request) while a keep-alive HTTPS client and an HTTP client go on being served. An expired certificate is served as configured (the gateway does not judge its own dates) and curl --cacert refuses it.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/tlslib.sh"

start_backend mixed || finish
start_tls_backends pass || finish
HTTP_PORT=8080
HTTPS_PORT=$(free_port)
PASS_PORT=$(free_port)

# A CA, and a server certificate it signs (SAN site.test); one more that
# expired yesterday.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=test CA" \
	-keyout "$WORK/ca.key" -out "$WORK/ca.crt" >/dev/null 2>&1 || fail "CA"
# signed NAME CN START END: NAME.crt/.key for CN (also its SAN), signed by
# the CA, valid from START to END (openssl ca: x509 -req has no start date).
mkdir -p "$WORK/ca"
: >"$WORK/ca/index.txt"
echo 01 >"$WORK/ca/serial"
cat >"$WORK/ca/ca.cnf" <<CNF
[ca]
default_ca = c
[c]
dir = $WORK/ca
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = p
copy_extensions = copy
unique_subject = no
[p]
commonName = supplied
CNF
signed() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
		-addext "subjectAltName=DNS:$2" -keyout "$WORK/$1.key" -out "$WORK/$1.csr" \
		>/dev/null 2>&1 &&
		openssl ca -batch -notext -config "$WORK/ca/ca.cnf" -cert "$WORK/ca.crt" \
			-keyfile "$WORK/ca.key" -in "$WORK/$1.csr" -out "$WORK/$1.crt" \
			-startdate "$3" -enddate "$4" >/dev/null 2>&1 ||
		fail "certificate $1"
}
signed site site.test "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" "$(date -u -d '+2 day' +%Y%m%d%H%M%SZ)"
signed old old.test "$(date -u -d '-3 day' +%Y%m%d%H%M%SZ)" "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)"

cat >"$WORK/config.yaml" <<YAML
binds:
- port: $HTTP_PORT
  listeners:
  - {name: http, protocol: HTTP, routes: [{backends: [{host: 127.0.0.1:$BACKEND_PORT}]}]}
- port: $HTTPS_PORT
  listeners:
  - name: site
    protocol: HTTPS
    tls: {cert: $WORK/site.crt, key: $WORK/site.key}
    routes: [{backends: [{host: 127.0.0.1:$BACKEND_PORT}]}]
  - name: old
    protocol: HTTPS
    hostname: old.test
    tls: {cert: $WORK/old.crt, key: $WORK/old.key}
    routes: [{backends: [{host: 127.0.0.1:$BACKEND_PORT}]}]
- port: $PASS_PORT
  listeners:
  - name: pass
    protocol: TLS
    tcpRoutes: [{hostnames: [pass.test], backends: [{host: 127.0.0.1:${WWW[pass]}}]}]
YAML

SIZE=8388608
want=$(/usr/bin/python3 -c 'import hashlib; n=8388608; b=bytes(i%251 for i in range(251))*(n//251+1); print(hashlib.sha256(b[:n]).hexdigest())')
wantpass=$(sha256sum <"$WORK/www-pass/big" | cut -c1-64)
C=(-s --cacert "$WORK/ca.crt" --resolve "site.test:$HTTPS_PORT:127.0.0.1" --resolve "old.test:$HTTPS_PORT:127.0.0.1")

for engine in $(engines); do
	start_engine "$engine" -p "$HTTP_PORT" -p "$HTTPS_PORT" -p "$PASS_PORT" -c "$WORK/config.yaml" ||
		{ fail "$engine: gateway did not start"; continue; }
	check "$engine: HTTP, 8 MiB" \
		"$(curl -s "http://127.0.0.1:$HTTP_PORT/h?size=$SIZE" | sha256sum | cut -c1-64)" "$want"
	for v in 1.1 2; do
		check "$engine: HTTPS --http$v verified by --cacert, 8 MiB" \
			"$(curl "${C[@]}" --http"$v" "https://site.test:$HTTPS_PORT/s?size=$SIZE" | sha256sum | cut -c1-64)" "$want"
	done
	check "$engine: TLS passthrough, the backend's own 4 MiB file" \
		"$(curl -sk --resolve "pass.test:$PASS_PORT:127.0.0.1" "https://pass.test:$PASS_PORT/big" | sha256sum | cut -c1-64)" \
		"$wantpass"
	check "$engine: TLS passthrough: the backend's certificate" \
		"$(timeout 10 openssl s_client -connect "127.0.0.1:$PASS_PORT" -servername pass.test </dev/null 2>/dev/null | sed -n 's/^subject=.*CN = //p')" \
		backend-pass
	engines_seen=$(grep -o 'http.path=/s?size=[0-9]* http.version=[^ ]* http.status=200 .*engine=[a-z]*' "$WORK/gateway.log" | sed 's/.*engine=//' | sort -u | tr '\n' ' ')
	check "$engine: HTTPS bodies moved by copy (access log)" "$engines_seen" "copy "
	stop_gateway
done

start_engine auto -p "$HTTP_PORT" -p "$HTTPS_PORT" -p "$PASS_PORT" -c "$WORK/config.yaml" || finish

out=$(nghttp -nv "https://127.0.0.1:$HTTPS_PORT/nghttp" 2>&1)
grep -q "negotiated protocol: h2" <<<"$out" && pass "nghttp over TLS negotiates h2" ||
	fail "nghttp: $(head -5 <<<"$out")"
grep -q ':status: 200' <<<"$out" && pass "nghttp over TLS: 200" || fail "nghttp: no 200"

out=$(/usr/bin/python3 - "$HTTPS_PORT" "$WORK/ca.crt" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="site.test")
s.sendall(b"GET /py HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n")
d = b""
while True:
    x = s.recv(65536)
    if not x:
        break
    d += x
print(s.version(), d.split(b"\r\n")[0].decode())
PY
)
check "Python's ssl, hostname checked against the CA" "$out" "TLSv1.3 HTTP/1.1 200 OK"

out=$(curl "${C[@]}" -o /dev/null -w '%{http_code}' "https://old.test:$HTTPS_PORT/" 2>&1)
check "an expired certificate: curl --cacert refuses it (no answer)" "$out" 000
check "... it is the configured one (CN old.test)" \
	"$(timeout 10 openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername old.test </dev/null 2>/dev/null | sed -n 's/^subject=.*CN = //p')" \
	old.test

# A handshake flood: 200 new TLS connections (curl, each one request, at
# most 20 at a time) while a keep-alive HTTPS client and an HTTP client go on.
(for i in $(seq 200); do
	curl "${C[@]}" -o /dev/null "https://site.test:$HTTPS_PORT/flood" &
	[ $((i % 20)) = 0 ] && wait
done
wait) &
flood=$!
ok=0
for i in $(seq 20); do
	a=$(curl "${C[@]}" -o /dev/null -o /dev/null -w '%{http_code}' --max-time 5 \
		"https://site.test:$HTTPS_PORT/ka1" "https://site.test:$HTTPS_PORT/ka2")
	b=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$HTTP_PORT/plain")
	[ "$a$b" = 200200200 ] && ok=$((ok + 1))
done
wait "$flood"
check "during a handshake flood, the other clients are served (20 of 20 rounds)" "$ok" 20
n=$(grep -c 'http.path=/flood http.version=[^ ]* http.status=200' "$WORK/gateway.log")
check "every flood connection was answered 200" "$n" 200

san_check
finish
