# HTTP/2 to a backend over TLS: nghttpd serving TLS (ALPN h2) with a certificate signed by a CA the scenario makes, behind a standalone backend with `http.version: HTTP/2.0` and `backendTLS {root, hostname}`: curl HTTP/1.1 and --http2-prior-knowledge clients get a 2 MiB file byte-exact, 10 requests share one backend connection (splicegate_backend_connects_total 1, the rest pool reuse), a wrong CA and a wrong hostname are answered 503 `upstream call failed: tls: <cause>` and counted as kind="tls", and a TLS backend that does not offer h2 by ALPN (openssl s_server) is refused with the reason, never spoken to in clear text; an HTTP/1 backend whose alpn offers h2 and gets it is refused with the reason, never spoken HTTP/1 to.
. "$(dirname "$0")/lib.sh"

# A CA and the backend's certificate for b.test (SAN), and another CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=CA" \
	-keyout "$WORK/ca.key" -out "$WORK/ca.crt" >/dev/null 2>&1 || fail "CA"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=other" \
	-keyout "$WORK/other.key" -out "$WORK/other.crt" >/dev/null 2>&1 || fail "other CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=b.test \
	-keyout "$WORK/b.key" -out "$WORK/b.csr" >/dev/null 2>&1 &&
	openssl x509 -req -in "$WORK/b.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
		-CAcreateserial -days 2 -extfile <(printf 'subjectAltName=DNS:b.test') \
		-out "$WORK/b.crt" >/dev/null 2>&1 || fail "backend certificate"

mkdir -p "$WORK/www"
head -c 2097152 /dev/urandom >"$WORK/www/big"
H2S=$(free_port)
nghttpd -a 127.0.0.1 -n 1 -d "$WORK/www" "$H2S" "$WORK/b.key" "$WORK/b.crt" \
	>"$WORK/nghttpd.log" 2>&1 &
PIDS+=("$!")
S1=$(free_port)
openssl s_server -accept "127.0.0.1:$S1" -cert "$WORK/b.crt" -key "$WORK/b.key" -alpn http/1.1 \
	-WWW -quiet </dev/null >"$WORK/s_server.log" 2>&1 &
PIDS+=("$!")
wait_port "$H2S" 10 && wait_port "$S1" 10 || { fail "backends did not start"; finish; }

backend() { # NAME PREFIX PORT ROOT HOSTNAME
	cat <<YAML
    - name: $1
      matches: [{path: {pathPrefix: /$2/}}]
      policies: {urlRewrite: {path: {prefix: /}}}
      backends:
      - host: 127.0.0.1:$3
        policies:
          http: {version: HTTP/2.0}
          backendTLS: {root: $4, hostname: $5}
YAML
}
{
	cat <<YAML
binds:
- port: 8080
  listeners:
  - routes:
YAML
	backend ok ok "$H2S" "$WORK/ca.crt" b.test
	backend wrongca wrongca "$H2S" "$WORK/other.crt" b.test
	backend wronghost wronghost "$H2S" "$WORK/ca.crt" c.test
	backend noh2 noh2 "$S1" "$WORK/ca.crt" b.test
	cat <<YAML
    - name: h1alpn
      matches: [{path: {pathPrefix: /h1alpn/}}]
      policies: {urlRewrite: {path: {prefix: /}}}
      backends:
      - host: 127.0.0.1:$H2S
        policies:
          backendTLS: {root: $WORK/ca.crt, hostname: b.test, alpn: [h2, http/1.1]}
YAML
} >"$WORK/config.yaml"

start_gateway -c "$WORK/config.yaml" --workers 1 || finish
want=$(sha256sum <"$WORK/www/big" | cut -c1-64)
check "HTTP/1.1 client, HTTP/2 over TLS backend: 2 MiB byte-exact" \
	"$(curl -s --max-time 20 http://127.0.0.1:8080/ok/big | sha256sum | cut -c1-64)" "$want"
check "HTTP/2 client: 2 MiB byte-exact" \
	"$(curl -s --max-time 20 --http2-prior-knowledge http://127.0.0.1:8080/ok/big | sha256sum | cut -c1-64)" "$want"
for _ in $(seq 8); do curl -s -o /dev/null http://127.0.0.1:8080/ok/big; done
metric() {
	curl -s http://127.0.0.1:15020/metrics | awk -v k="$1" '$1 == k { print $2 }'
}
check "10 requests, one TLS connection to the backend" "$(metric splicegate_backend_connects_total)" 1
check "... the other 9 on it" "$(metric splicegate_pool_reuse_total)" 9

hcall http://127.0.0.1:8080/wrongca/big
expect "a CA that did not sign the backend's certificate: 503 with the cause" 503 \
	"upstream call failed: tls: certificate verify failed: *"
hcall http://127.0.0.1:8080/wronghost/big
expect "a name the certificate does not carry: 503 with the cause" 503 \
	"upstream call failed: tls: certificate verify failed: *"
# Refused by the backend's own alert (OpenSSL's s_server: no common
# protocol), or by the gateway when a backend picks another one.
hcall http://127.0.0.1:8080/noh2/big
case "$H_CODE $H_BODY" in
"503 upstream call failed: tls: tlsv1 alert no application protocol" | \
	"503 upstream call failed: tls: the backend chose "*" by ALPN, not h2")
	pass "a TLS backend without h2 by ALPN: 503 with the cause, never clear text" ;;
*) fail "a TLS backend without h2 by ALPN: $H_CODE '$H_BODY'" ;;
esac
hcall http://127.0.0.1:8080/h1alpn/big
expect "an HTTP/1 backend that chose h2 by ALPN: 503 with the cause" 503 \
	"upstream call failed: tls: the backend chose h2 by ALPN, and this backend speaks HTTP/1.1 (http.version: HTTP/2.0 makes it HTTP/2)"
check "TLS failures counted" "$(metric 'splicegate_attempt_failures_total{kind="tls"}')" 4

san_check
finish
