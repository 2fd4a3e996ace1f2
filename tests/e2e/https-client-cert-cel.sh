# CEL's source.* fields of a client certificate (agentgateway's TlsInfo), on an HTTPS listener that requires one: an authorization rule on source.subjectCn lets alice's certificate through and answers bob's 403; a transformation copies source.subject, source.issuer, source.subjectCn, source.spiffeId, source.identity's three parts (alice's SPIFFE ID is of Istio's form), source.subjectAltNames and the PEM's first line into request headers the backend sees, exactly; over HTTP/1.1 and HTTP/2. On a listener that asks for no certificate the fields are absent: the rule fails (403) and the headers are left unset.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/tlslib.sh"

start_backend certs || finish
B=$BACKEND_PORT
HP=$(free_port) # client certificates required
OP=$(free_port) # none asked

cert srv srv.test srv.test
cert ca client-ca
# client NAME SUBJECT SANS: $WORK/NAME.{crt,key} signed by the CA.
client() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" \
		-keyout "$WORK/$1.key" -out "$WORK/$1.csr" >/dev/null 2>&1 &&
		openssl x509 -req -in "$WORK/$1.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
			-CAcreateserial -days 2 -extfile <(echo "subjectAltName=$3") \
			-out "$WORK/$1.crt" >/dev/null 2>&1 || fail "client certificate $1"
}
client alice "/O=Example/CN=alice" "DNS:alice.test,URI:spiffe://example.org/ns/default/sa/alice,IP:10.1.2.3"
client bob "/O=Example/CN=bob" "DNS:bob.test"

ROUTE="routes:
    - policies:
        authorization: {rules: ['source.subjectCn == \"alice\"']}
        transformations:
          request:
            set:
              x-cn: source.subjectCn
              x-subject: source.subject
              x-issuer: source.issuer
              x-spiffe: source.spiffeId
              x-identity: 'source.identity.namespace + \"/\" + source.identity.serviceAccount + \"@\" + source.identity.trustDomain'
              x-sans: 'source.subjectAltNames.join(\",\")'
              x-pem: 'source.certificate.split(\"\\n\")[0]'
      backends: [{host: 127.0.0.1:$B}]"
cat >"$WORK/config.yaml" <<YAML
binds:
- port: $HP
  listeners:
  - name: mtls
    protocol: HTTPS
    tls: {cert: $WORK/srv.crt, key: $WORK/srv.key, root: $WORK/ca.crt}
    $ROUTE
- port: $OP
  listeners:
  - name: open
    protocol: HTTPS
    tls: {cert: $WORK/srv.crt, key: $WORK/srv.key}
    $ROUTE
YAML
out=$("$SG_BIN" check -c "$WORK/config.yaml" 2>&1)
check "check accepts rules and transformations over source.*" "$out" "configuration ok"
start_gateway -c "$WORK/config.yaml" || finish
wait_port "$HP" 5 && wait_port "$OP" 5 || fail "HTTPS ports did not open"

# get VERSION PORT [curl args]: "STATUS" then the backend's view of the
# x- headers, one "name=value" a line.
get() {
	local v=$1 port=$2
	shift 2
	rm -f "$WORK/body"
	curl -sk --http"$v" --max-time 10 -o "$WORK/body" -w '%{http_code}\n' "$@" \
		"https://127.0.0.1:$port/who"
	jq -r '.headers | to_entries[] | select(.key | test("^x-(cn|subject|issuer|spiffe|identity|sans|pem)$"; "i")) | "\(.key | ascii_downcase)=\(.value[0])"' \
		"$WORK/body" 2>/dev/null | sort
}

for v in 1.1 2; do
	check "HTTP/$v: alice's certificate: allowed, her fields in the headers" \
		"$(get "$v" "$HP" --cert "$WORK/alice.crt" --key "$WORK/alice.key")" \
		"200
x-cn=alice
x-identity=default/alice@example.org
x-issuer=CN=client-ca
x-pem=-----BEGIN CERTIFICATE-----
x-sans=alice.test,spiffe://example.org/ns/default/sa/alice,10.1.2.3
x-spiffe=spiffe://example.org/ns/default/sa/alice
x-subject=O=Example, CN=alice"
	check "HTTP/$v: bob's certificate: 403 (source.subjectCn is bob)" \
		"$(get "$v" "$HP" --cert "$WORK/bob.crt" --key "$WORK/bob.key" | head -1)" 403
	check "HTTP/$v: no certificate asked: the rule fails, 403" "$(get "$v" "$OP" | head -1)" 403
done
stop_gateway

# Without the rule, the open listener's request goes through with the
# headers left unset (the fields are absent, not empty).
sed -i "/authorization:/d" "$WORK/config.yaml"
start_gateway -c "$WORK/config.yaml" || finish
wait_port "$OP" 5 || fail "HTTPS port did not open"
check "no client certificate: 200, no x- header set" "$(get 1.1 "$OP")" 200
stop_gateway
finish
