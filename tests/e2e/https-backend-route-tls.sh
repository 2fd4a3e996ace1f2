# Route-level backendTLS, standalone (issue 68: agentgateway's FilterOrPolicy backendTLS): a route's policies.backendTLS is the TLS of each of its backends that has none of its own, in the binds: and the gateways:/routes: forms; a backend's own backendTLS wins over the route's. `openssl s_server -www` serves a certificate for DNS:backend.test signed by a CA made here: the route's {root, hostname: backend.test} gets its page (200), the route's {hostname: other.test} is refused by hostname (503 "tls: certificate verify failed: hostname mismatch"), unless the backend names backend.test itself; config_dump shows the route's TLS on the backend.
. "$(dirname "$0")/lib.sh"

GP=$(free_port)
GP2=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=e2e CA" \
	-keyout "$WORK/ca.key" -out "$WORK/ca.crt" >/dev/null 2>&1 || fail "openssl: CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=backend" \
	-keyout "$WORK/b.key" -out "$WORK/b.csr" >/dev/null 2>&1 || fail "openssl: CSR"
printf 'subjectAltName=DNS:backend.test\n' >"$WORK/b.ext"
openssl x509 -req -in "$WORK/b.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
	-days 2 -extfile "$WORK/b.ext" -out "$WORK/b.crt" >/dev/null 2>&1 || fail "openssl: sign"
BP=$(free_port)
openssl s_server -quiet -www -accept "127.0.0.1:$BP" -cert "$WORK/b.crt" -key "$WORK/b.key" \
	>"$WORK/s_server.log" 2>&1 &
PIDS+=("$!")
wait_port "$BP" 10 || fail "s_server did not start"

cat >"$WORK/config.yaml" <<YAML
binds:
- port: $GP
  listeners:
  - routes:
    - name: good
      matches: [{path: {pathPrefix: /good/}}]
      policies:
        urlRewrite: {path: {prefix: /}}
        backendTLS: {root: $WORK/ca.crt, hostname: backend.test}
      backends: [{host: 127.0.0.1:$BP}]
    - name: wrong-name
      matches: [{path: {pathPrefix: /wrong/}}]
      backends: [{host: 127.0.0.1:$BP}]
      policies:                 # after backends: applies all the same
        urlRewrite: {path: {prefix: /}}
        backendTLS: {root: $WORK/ca.crt, hostname: other.test}
    - name: backend-wins
      matches: [{path: {pathPrefix: /own/}}]
      policies:
        urlRewrite: {path: {prefix: /}}
        backendTLS: {root: $WORK/ca.crt, hostname: other.test}
      backends:
      - host: 127.0.0.1:$BP
        policies: {backendTLS: {root: $WORK/ca.crt, hostname: backend.test}}
gateways:
  default:
    port: $GP2
routes:
- policies:
    backendTLS: {root: $WORK/ca.crt, hostname: backend.test}
  backends: [{host: 127.0.0.1:$BP}]
YAML
out=$("$SG_BIN" check -c "$WORK/config.yaml" 2>&1)
check "check accepts route-level backendTLS" "$out" "configuration ok"
start_gateway -c "$WORK/config.yaml" || finish

hcall "http://127.0.0.1:$GP/good/"
expect "the route's backendTLS verifies backend.test" 200 "*s_server*"
hcall "http://127.0.0.1:$GP/wrong/"
expect "the route's backendTLS names other.test: refused" 503 \
	"upstream call failed: tls: certificate verify failed: hostname mismatch"
hcall "http://127.0.0.1:$GP/own/"
expect "the backend's own backendTLS wins over the route's" 200 "*s_server*"
hcall "http://127.0.0.1:$GP2/"
expect "a top-level route's backendTLS (gateways: form)" 200 "*s_server*"

dump=$(curl -s http://127.0.0.1:15000/config_dump)
check "config_dump: the route's backendTLS on its backends, the backend's own where it has one" \
	"$(jq -c '[.binds[].listeners[].routes[] | select(.name == "wrong-name" or .name == "backend-wins") |
		.backends[0].inlinePolicies[] | select(.backendTLS) | .backendTLS.hostname]' <<<"$dump")" \
	'["other.test","backend.test"]'
finish
