# HTTPS listeners, Kubernetes dialect, applied with `splicegate apply -f-` to a running gateway: a Gateway listener with protocol HTTPS and tls.certificateRefs to kubernetes.io/tls Secrets serves each hostname's certificate (openssl s_client) and routes HTTPRoutes over HTTP/1.1 and HTTP/2 (curl); a Secret in another namespace needs a ReferenceGrant (listener ResolvedRefs False RefNotPermitted, no certificate served, then served once granted); a missing Secret gives InvalidCertificateRef; a Secret applied again with a new certificate is served on new connections; a Secret whose key does not match, or that is not PEM, is taken by apply with a warning: that listener is ResolvedRefs False InvalidCertificateRef and serves nothing while the others serve on; an AgentgatewayPolicy frontend.tls (minProtocolVersion 1.3, alpnProtocols http/1.1) refuses TLS 1.2 and keeps HTTP/2 clients on HTTP/1.1, and config_dump shows it as agentgateway does.
. "$(dirname "$0")/lib.sh"

start_backend k8s || finish
HP=$(free_port)

# cert NAME CN: $WORK/NAME.crt, NAME.key; b64 FILE: one line of base64.
cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$2" \
		-keyout "$WORK/$1.key" -out "$WORK/$1.crt" >/dev/null 2>&1 || fail "openssl req $1"
}
b64() { base64 -w0 <"$1"; }
cert a a.example.test
cert b b.example.test
cert a2 a-renewed.example.test

# secret NS NAME CERT KEY
secret() {
	cat <<YAML
---
apiVersion: v1
kind: Secret
metadata: {name: $2, namespace: $1}
type: kubernetes.io/tls
data:
  tls.crt: $(b64 "$WORK/$3.crt")
  tls.key: $(b64 "$WORK/$4.key")
YAML
}

cat >"$WORK/base.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: infra}
spec:
  gatewayClassName: splicegate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
YAML

https_yaml() {
	cat <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: splicegate
  listeners:
  - name: a
    port: $HP
    protocol: HTTPS
    hostname: a.example.test
    tls: {mode: Terminate, certificateRefs: [{name: cert-a}]}
    allowedRoutes: {namespaces: {from: All}}
  - name: b
    port: $HP
    protocol: HTTPS
    hostname: b.example.test
    tls: {certificateRefs: [{kind: Secret, name: cert-b, namespace: certs}]}
    allowedRoutes: {namespaces: {from: All}}
  - name: c
    port: $HP
    protocol: HTTPS
    hostname: c.example.test
    tls: {certificateRefs: [{name: nowhere}]}
    allowedRoutes: {namespaces: {from: All}}
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: web}
spec: {clusterIP: 127.0.0.1, ports: [{name: http, port: 80, targetPort: $BACKEND_PORT}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: web}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  rules: [{backendRefs: [{name: echo, port: 80}]}]
YAML
	secret infra cert-a a a
	secret certs cert-b b b
}

# lcond NAME TYPE: "status reason" of listener NAME's TYPE condition.
lcond() {
	"$SG_BIN" get gateway edge -n infra -o json |
		jq -r --arg l "$1" --arg t "$2" '.status.listeners[] | select(.name == $l) | .conditions[] | select(.type == $t) | "\(.status) \(.reason)"'
}
subject() {
	timeout 10 openssl s_client -connect "127.0.0.1:$HP" -servername "$1" "${@:2}" </dev/null 2>/dev/null |
		sed -n 's/^subject=.*CN = //p' | head -1 | grep . || echo refused
}

start_engine auto -p 8080 -c "$WORK/base.yaml" || { fail "gateway did not start"; finish; }
out=$(https_yaml | "$SG_BIN" apply -f- 2>&1)
check "apply takes the HTTPS Gateway, Secrets and route (exit 0)" "$?" 0
grep -q '^secret/' <<<"$out" && pass "apply names Secrets as kubectl does (secret/NAME created)" ||
	fail "apply said: $out"
wait_port "$HP" 5 || fail "the HTTPS listener did not open after apply"

check "a.example.test: the Secret's certificate" "$(subject a.example.test)" a.example.test
check "listener a: ResolvedRefs True" "$(lcond a ResolvedRefs)" "True ResolvedRefs"
check "listener b: Secret in another namespace without a grant: RefNotPermitted" \
	"$(lcond b ResolvedRefs)" "False RefNotPermitted"
check "listener b: not programmed" "$(lcond b Programmed)" "False Invalid"
check "b.example.test: no certificate of its own (refused)" "$(subject b.example.test)" refused
check "listener c: missing Secret: InvalidCertificateRef" "$(lcond c ResolvedRefs)" \
	"False InvalidCertificateRef"

R=(--resolve "a.example.test:$HP:127.0.0.1" --resolve "b.example.test:$HP:127.0.0.1" -k -s)
for v in 1.1 2; do
	out=$(curl "${R[@]}" --http"$v" -o "$WORK/echo" -w '%{http_code} %{http_version}' \
		"https://a.example.test:$HP/k8s")
	check "curl --http$v to a.example.test: 200 over HTTP/$v" "$out" "200 $v"
	check "curl --http$v: the route's backend answered" "$(jq -r .pod "$WORK/echo")" k8s
done

"$SG_BIN" apply -f- >/dev/null <<YAML
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: gw-certs, namespace: certs}
spec:
  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}]
  to: [{group: "", kind: Secret}]
YAML
check "with a ReferenceGrant: listener b ResolvedRefs True" "$(lcond b ResolvedRefs)" \
	"True ResolvedRefs"
check "b.example.test: its Secret's certificate" "$(subject b.example.test)" b.example.test
check "curl to b.example.test: 200" \
	"$(curl "${R[@]}" -o /dev/null -w '%{http_code}' "https://b.example.test:$HP/")" 200

# A renewed Secret, applied: new connections get it.
secret infra cert-a a2 a2 | "$SG_BIN" apply -f- >/dev/null
check "the Secret applied again: its new certificate is served" "$(subject a.example.test)" \
	a-renewed.example.test

# A Secret whose key is another certificate's, or that is not PEM at all:
# that listener is ResolvedRefs False InvalidCertificateRef and serves
# nothing; the apply is taken and the other listeners serve on.
out=$(secret infra cert-a a b | "$SG_BIN" apply -f- 2>&1)
check "apply of a Secret whose key does not match: taken (exit 0)" "$?" 0
[[ "$out" == *"listener a: Secret infra/cert-a: key does not match the certificate"* ]] &&
	pass "apply warns why" || fail "apply said: $out"
check "listener a: InvalidCertificateRef" "$(lcond a ResolvedRefs)" "False InvalidCertificateRef"
check "listener a: not programmed" "$(lcond a Programmed)" "False Invalid"
check "a.example.test: no certificate served" "$(subject a.example.test)" refused
check "b.example.test: served on" "$(subject b.example.test)" b.example.test
out=$("$SG_BIN" apply -f- 2>&1 <<YAML
apiVersion: v1
kind: Secret
metadata: {name: cert-a, namespace: infra}
type: kubernetes.io/tls
data: {tls.crt: SGVsbG8gd29ybGQK, tls.key: SGVsbG8gd29ybGQK}
YAML
)
check "apply of a Secret that is not PEM: taken (exit 0)" "$?" 0
[[ "$out" == *"listener a: Secret infra/cert-a: certificate: no PEM certificate"* ]] &&
	pass "apply warns: no PEM certificate" || fail "apply said: $out"
check "listener a: InvalidCertificateRef" "$(lcond a ResolvedRefs)" "False InvalidCertificateRef"
check "b.example.test: still served" \
	"$(curl "${R[@]}" -o /dev/null -w '%{http_code}' "https://b.example.test:$HP/")" 200
check "the Gateway: Accepted, Programmed (listener b is)" \
	"$("$SG_BIN" get gateway edge -n infra -o json | jq -r '[.status.conditions[] | "\(.type) \(.status) \(.reason)"] | join(";")')" \
	"Accepted True ListenersNotValid;Programmed True Programmed"
secret infra cert-a a2 a2 | "$SG_BIN" apply -f- >/dev/null
check "a good Secret again: served" "$(subject a.example.test)" a-renewed.example.test

# The frontend TLS policy of the Gateway.
"$SG_BIN" apply -f- >/dev/null <<YAML
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: edge-tls, namespace: infra}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: edge}]
  frontend:
    tls: {minProtocolVersion: "1.3", alpnProtocols: [http/1.1], handshakeTimeout: 5s}
YAML
check "frontend.tls minProtocolVersion 1.3: TLS 1.2 refused" \
	"$(subject a.example.test -tls1_2)" refused
check "TLS 1.3 served" "$(subject a.example.test -tls1_3)" a-renewed.example.test
check "alpnProtocols [http/1.1]: an HTTP/2 client stays on HTTP/1.1" \
	"$(curl "${R[@]}" --http2 -o /dev/null -w '%{http_code} %{http_version}' "https://a.example.test:$HP/")" \
	"200 1.1"
check "config_dump: the policy as agentgateway prints it" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -c '.policies[] | select(.name.name == "edge-tls") | .policy')" \
	'{"frontend":{"tLS":{"handshakeTimeout":"5s","alpn":[[104,116,116,112,47,49,46,49]],"minVersion":"TLS_V1_3"}}}'

san_check
finish
