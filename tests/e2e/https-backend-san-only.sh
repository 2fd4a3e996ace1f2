# TLS to backends names the host by the certificate's SANs only (issue 63,
# RFC 9525): a certificate from the trusted CA with CN=backend.test and no
# SAN is refused for backendTLS hostname backend.test (503 "hostname
# mismatch"), and one with CN=127.0.0.1 and no SAN for an IP endpoint
# without hostname; the same CA's certificate with DNS:backend.test and
# IP:127.0.0.1 SANs serves both. Certificates are made here by openssl;
# `openssl s_server -www` serves each.
. "$(dirname "$0")/lib.sh"

GP=$(free_port)
# cert NAME SUBJECT [SAN]: $WORK/NAME.{key,crt} signed by the CA.
cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" \
		-keyout "$WORK/$1.key" -out "$WORK/$1.csr" >/dev/null 2>&1 || fail "openssl: $1 CSR"
	if [ -n "${3:-}" ]; then
		printf 'subjectAltName=%s\n' "$3" >"$WORK/$1.ext"
	else
		: >"$WORK/$1.ext"
	fi
	openssl x509 -req -in "$WORK/$1.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
		-CAcreateserial -days 2 -extfile "$WORK/$1.ext" -out "$WORK/$1.crt" \
		>/dev/null 2>&1 || fail "openssl: sign $1"
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=e2e CA" \
	-keyout "$WORK/ca.key" -out "$WORK/ca.crt" >/dev/null 2>&1 || fail "openssl: CA"
cert cn "/CN=backend.test"
cert cnip "/CN=127.0.0.1"
cert san "/CN=whatever" "DNS:backend.test,IP:127.0.0.1"
check "the CN-only certificate has no SAN" \
	"$(openssl x509 -in "$WORK/cn.crt" -noout -ext subjectAltName 2>&1 | grep -c DNS)" 0

# serve NAME: openssl s_server with NAME's certificate; sets PORT_NAME.
serve() {
	local p
	p=$(free_port)
	openssl s_server -quiet -www -accept "127.0.0.1:$p" -cert "$WORK/$1.crt" \
		-key "$WORK/$1.key" >"$WORK/s_server-$1.log" 2>&1 &
	PIDS+=("$!")
	wait_port "$p" 10 || fail "s_server $1 did not start"
	eval "PORT_$1=$p"
}
serve cn
serve cnip
serve san

route() { # NAME PORT POLICY
	cat <<YAML
    - name: $1
      matches: [{path: {pathPrefix: /$1/}}]
      policies: {urlRewrite: {path: {prefix: /}}}
      backends:
      - host: 127.0.0.1:$2
        policies: {backendTLS: $3}
YAML
}
{
	cat <<YAML
binds:
- port: $GP
  listeners:
  - name: http
    protocol: HTTP
    routes:
YAML
	route cn "$PORT_cn" "{root: $WORK/ca.crt, hostname: backend.test}"
	route cnip "$PORT_cnip" "{root: $WORK/ca.crt}"
	route san "$PORT_san" "{root: $WORK/ca.crt, hostname: backend.test}"
	route sanip "$PORT_san" "{root: $WORK/ca.crt}"
} >"$WORK/config.yaml"
start_gateway -c "$WORK/config.yaml" || finish
u=http://127.0.0.1:$GP
hcall "$u/cn/"
expect "CN=backend.test without a SAN does not name backend.test" 503 \
	"upstream call failed: tls: certificate verify failed: hostname mismatch"
hcall "$u/cnip/"
expect "CN=127.0.0.1 without a SAN does not name the IP endpoint" 503 \
	"upstream call failed: tls: certificate verify failed: IP address mismatch"
hcall "$u/san/"
expect "a DNS SAN names backend.test" 200 "*s_server*"
hcall "$u/sanip/"
expect "an IP SAN names the IP endpoint" 200 "*s_server*"
stop_gateway
san_check
finish
