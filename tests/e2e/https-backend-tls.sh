# TLS to backends: nginx serving TLS with a certificate signed by a CA made here. Standalone dialect (policies.backendTLS): verified with the CA file, GET and a 2 MiB download byte-identical (both engines' pumps take the copy path) and a POST body; a wrong CA and a wrong hostname are answered 503 "upstream call failed: tls: certificate verify failed: ..." and counted (kind="tls"), the system's CAs do not know the test CA, insecure skips verification; a hostname with a trailing dot verifies the certificate's name and is sent as SNI without the dot; a subjectAltNames list with an IP address takes any one of its entries; keep-alive TLS connections are pooled and reused (splicegate_pool_reuse_total, one nginx connection for many requests) and a new connection resumes the TLS session; a root file renewed (renamed over) is in force within seconds without a reload, and a broken one leaves it in force, reported once; config_dump shows backendTLS as agentgateway prints it. Kubernetes dialect, applied with `splicegate apply -f-`: a BackendTLSPolicy with its CA in a ConfigMap serves the Service over TLS, one whose ConfigMap is missing is a warning at apply, status ResolvedRefs False InvalidCACertificateRef in `get`, and 503 "tls: ConfigMap ... not found"; an AgentgatewayPolicy backend.tls with insecureSkipVerify All serves; a subjectAltNames URI is matched with the certificate's URI SAN (another URI: 503 hostname mismatch); the status ancestor is the Gateway, and a second policy on the same target is Accepted False Conflicted while the first serves; config_dump lists both policies.
. "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || {
	fail "nginx is not installed"
	finish
}
NP=$(free_port) # nginx, TLS, HTTP/1.1 keep-alive
GP=$(free_port) # the gateway's HTTP listener (standalone)

# A CA, a backend certificate it signs (backend.test and 127.0.0.1), and
# another CA that signed nothing here.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=e2e CA" \
	-keyout "$WORK/ca.key" -out "$WORK/ca.crt" >/dev/null 2>&1 || fail "openssl: CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=backend.test" \
	-keyout "$WORK/srv.key" -out "$WORK/srv.csr" >/dev/null 2>&1 || fail "openssl: CSR"
printf 'subjectAltName=DNS:backend.test,IP:127.0.0.1,URI:spiffe://backend.test/id\n' >"$WORK/srv.ext"
openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
	-days 2 -extfile "$WORK/srv.ext" -out "$WORK/srv.crt" >/dev/null 2>&1 || fail "openssl: sign"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=other CA" -keyout "$WORK/other.key" -out "$WORK/other.crt" >/dev/null 2>&1

mkdir -p "$WORK/nginx/www" "$WORK/nginx/tmp"
echo "hello over tls" >"$WORK/nginx/www/who"
head -c $((2 << 20)) /dev/urandom >"$WORK/nginx/www/big"
# nginx's workers run as nobody when started as root: let them read.
chmod a+x "$WORK" "$WORK/nginx"
chmod -R a+rX "$WORK/nginx/www"
cat >"$WORK/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 256; }
http {
	access_log $WORK/nginx/access.log;
	log_format conn '\$connection \$ssl_session_reused \$request_uri \$status \$ssl_server_name';
	client_body_temp_path $WORK/nginx/tmp;
	proxy_temp_path $WORK/nginx/tmp;
	fastcgi_temp_path $WORK/nginx/tmp;
	uwsgi_temp_path $WORK/nginx/tmp;
	scgi_temp_path $WORK/nginx/tmp;
	keepalive_requests 1000;
	keepalive_timeout 60s;
	ssl_session_cache shared:e2e:1m;
	server {
		listen 127.0.0.1:$NP ssl;
		server_name backend.test;
		ssl_certificate $WORK/srv.crt;
		ssl_certificate_key $WORK/srv.key;
		access_log $WORK/nginx/conn.log conn;
		root $WORK/nginx/www;
		location /post { return 200 "posted \$content_length\n"; }
		# nginx closes after each response here: the next request
		# needs a new connection, which resumes the session.
		location /once { keepalive_timeout 0; return 200 "once\n"; }
	}
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/stderr.log" 2>&1 &
PIDS+=("$!")
wait_port "$NP" 10 || {
	fail "nginx did not start: $(cat "$WORK/nginx/error.log" "$WORK/nginx/stderr.log")"
	finish
}

cat >"$WORK/config.yaml" <<YAML
binds:
- port: $GP
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: ok
      matches: [{path: {pathPrefix: /ok/}}]
      policies: {urlRewrite: {path: {prefix: /}}}
      backends:
      - host: 127.0.0.1:$NP
        policies: {backendTLS: {root: $WORK/ca.crt, hostname: backend.test}}
    - name: ip
      matches: [{path: {pathPrefix: /ip/}}]
      policies: {urlRewrite: {path: {prefix: /}}}
      backends:
      - host: 127.0.0.1:$NP
        policies: {backendTLS: {root: $WORK/ca.crt}}
    - name: fqdn
      matches: [{path: {pathPrefix: /fqdn/}}]
      policies: {urlRewrite: {path: {prefix: /}}}
      backends:
      - host: 127.0.0.1:$NP
        policies: {backendTLS: {root: $WORK/ca.crt, hostname: backend.test.}}
    - name: sans
      matches: [{path: {pathPrefix: /sans/}}]
      policies: {urlRewrite: {path: {prefix: /}}}
      backends:
      - host: 127.0.0.1:$NP
        policies: {backendTLS: {root: $WORK/ca.crt, subjectAltNames: [backend.test, 10.9.9.9]}}
    - name: wrongca
      matches: [{path: {pathPrefix: /wrongca/}}]
      backends:
      - host: 127.0.0.1:$NP
        policies: {backendTLS: {root: $WORK/other.crt, hostname: backend.test}}
    - name: wronghost
      matches: [{path: {pathPrefix: /wronghost/}}]
      backends:
      - host: 127.0.0.1:$NP
        policies: {backendTLS: {root: $WORK/ca.crt, hostname: evil.test}}
    - name: system
      matches: [{path: {pathPrefix: /system/}}]
      backends:
      - host: 127.0.0.1:$NP
        policies: {backendTLS: {hostname: backend.test}}
    - name: insecure
      matches: [{path: {pathPrefix: /insecure/}}]
      policies: {urlRewrite: {path: {prefix: /}}}
      backends:
      - host: 127.0.0.1:$NP
        policies: {backendTLS: {insecure: true}}
YAML
check "check accepts the config" "$("$SG_BIN" check -c "$WORK/config.yaml" 2>&1)" "configuration ok"

# metric NAME{LABELS}: one /metrics sample (0 when absent).
metric() {
	curl -s --max-time 5 http://127.0.0.1:15020/metrics |
		awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

for engine in copy sockmap; do
	start_engine "$engine" -p "$GP" -c "$WORK/config.yaml" || {
		fail "gateway ($engine) did not start"
		continue
	}
	hcall "http://127.0.0.1:$GP/ok/who"
	expect "$engine: verified with the CA: nginx's file" 200 "hello over tls"
	hcall "http://127.0.0.1:$GP/ip/who"
	expect "$engine: no hostname: the IP address 127.0.0.1 is verified" 200 "hello over tls"
	check "$engine: 2 MiB download over TLS byte-identical" \
		"$(curl -s --max-time 20 "http://127.0.0.1:$GP/ok/big" | sha256sum | cut -d' ' -f1)" \
		"$(sha256sum <"$WORK/nginx/www/big" | cut -d' ' -f1)"
	check "$engine: a 300 kB POST body reaches the backend over TLS" \
		"$(head -c 300000 /dev/zero | curl -s --max-time 10 --data-binary @- \
			"http://127.0.0.1:$GP/ok/post")" "posted 300000"
	hcall "http://127.0.0.1:$GP/fqdn/who?fqdn"
	expect "$engine: hostname backend.test. (a trailing dot) verifies backend.test" 200 \
		"hello over tls"
	sleep 0.5 # nginx's log line follows the response
	check "$engine: ... and its SNI goes without the dot" \
		"$(awk '$3 == "/who?fqdn" { s = $5 } END { print s }' "$WORK/nginx/conn.log")" \
		"backend.test"
	hcall "http://127.0.0.1:$GP/sans/who"
	expect "$engine: subjectAltNames [backend.test, 10.9.9.9]: one of them is enough" 200 \
		"hello over tls"
	hcall "http://127.0.0.1:$GP/wrongca/who"
	expect "$engine: a CA that did not sign it: 503" 503 \
		"upstream call failed: tls: certificate verify failed: unable to get local issuer certificate"
	hcall "http://127.0.0.1:$GP/wronghost/who"
	expect "$engine: a hostname the certificate does not name: 503" 503 \
		"upstream call failed: tls: certificate verify failed: hostname mismatch"
	hcall "http://127.0.0.1:$GP/system/who"
	expect "$engine: the system's CAs do not know the test CA: 503" 503 \
		"upstream call failed: tls: certificate verify failed: *"
	hcall "http://127.0.0.1:$GP/insecure/who"
	expect "$engine: insecure: true skips verification" 200 "hello over tls"
	fails=$(metric 'splicegate_attempt_failures_total{kind="tls"}')
	[ "$fails" -ge 3 ] && pass "$engine: TLS failures counted ($fails, kind=\"tls\")" ||
		fail "$engine: splicegate_attempt_failures_total{kind=\"tls\"} is $fails, want >= 3"

	# Keep-alive: sequential requests ride one pooled TLS connection.
	before=$(metric splicegate_pool_reuse_total)
	lines0=$(wc -l <"$WORK/nginx/conn.log")
	for _ in $(seq 10); do curl -s -o /dev/null "http://127.0.0.1:$GP/ok/who"; done
	after=$(metric splicegate_pool_reuse_total)
	# At most one new connection per worker (2): the rest are pooled.
	[ $((after - before)) -ge 8 ] &&
		pass "$engine: 10 requests, $((after - before)) on a pooled TLS connection" ||
		fail "$engine: pool reuse went from $before to $after for 10 requests"
	conns=$(tail -n +$((lines0 + 1)) "$WORK/nginx/conn.log" | awk '{print $1}' | sort -u | wc -l)
	# Each worker has its pool: at most one connection per worker (2).
	[ "$conns" -ge 1 ] && [ "$conns" -le 2 ] &&
		pass "$engine: nginx saw the 10 requests on $conns connection(s)" ||
		fail "$engine: nginx saw the 10 requests on $conns connections, want 1 or 2"
	stop_gateway
done

# A new gateway process has no session; its second connection resumes the
# first one's (nginx logs $ssl_session_reused "r"). One worker: sessions
# are cached per worker.
start_engine copy -p "$GP" --workers 1 -c "$WORK/config.yaml" || fail "gateway did not start"
lines0=$(wc -l <"$WORK/nginx/conn.log")
# nginx closes each /once connection after its response: every request
# after the first opens a new connection, which resumes the session.
for _ in 1 2 3; do
	curl -s -o /dev/null "http://127.0.0.1:$GP/ok/once"
done
sleep 0.5 # nginx's log line follows the response
reused=$(tail -n +$((lines0 + 1)) "$WORK/nginx/conn.log" | awk '$2 == "r"' | wc -l)
[ "$reused" -ge 1 ] && pass "a new connection resumed the TLS session ($reused)" ||
	fail "no resumed session in nginx's log: $(tail -n +$((lines0 + 1)) "$WORK/nginx/conn.log")"

# A backendTLS file renewed in place is read again, as a listener's
# certificate is: the wrongca route's root becomes the CA that signed
# nginx's certificate (written aside and renamed over, as a renewal does),
# and its requests verify within seconds, without a reload or a restart.
cp "$WORK/ca.crt" "$WORK/other.crt.new"
mv "$WORK/other.crt.new" "$WORK/other.crt"
for _ in $(seq 40); do
	hcall "http://127.0.0.1:$GP/wrongca/who"
	[ "$H_CODE" = 503 ] || break
	sleep 0.2
done
# No rewrite on this route: nginx has no /wrongca/who, over a verified
# connection.
check "a renewed backendTLS root file is in force within seconds" "$H_CODE" 404
echo broken >"$WORK/other.crt"
sleep 2.5
hcall "http://127.0.0.1:$GP/wrongca/who"
check "a broken backendTLS file leaves the one in force" "$H_CODE" 404
check "... and is reported once" \
	"$(grep -c 'certificate files changed but do not load' "$WORK/gateway.log")" 1

dump=$(curl -s http://127.0.0.1:15000/config_dump)
check "config_dump: backendTLS inline policy as agentgateway prints it" \
	"$(jq -c --arg ca "$(cat "$WORK/ca.crt")" '[.binds[].listeners[].routes[] | select(.name == "ok") |
		.backends[0].inlinePolicies[] | select(.backendTLS) | .backendTLS |
		(.root == $ca or .root == ($ca + "\n")), .hostname] | .[]' <<<"$dump" | tr '\n' ' ')" \
	'true "backend.test" '
check "config_dump: systemRoots and insecure" \
	"$(jq -c '[.binds[].listeners[].routes[] | select(.name == "system" or .name == "insecure") |
		.backends[0].inlinePolicies[].backendTLS] ' <<<"$dump")" \
	'[{"hostname":"backend.test","systemRoots":true},{"insecure":true,"systemRoots":true}]'
stop_gateway

# ---- Kubernetes dialect --------------------------------------------------

cat >"$WORK/base.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: e2e}
spec:
  gatewayClassName: agentgateway
  listeners:
  - {name: http, port: $GP, protocol: HTTP}
YAML
k8s_yaml() {
	cat <<YAML
$(service_yaml secure "$NP")
---
$(service_yaml plain "$NP" | sed 's/name: plain/name: insecure/')
---
$(service_yaml lost "$NP")
---
$(service_yaml spiffe "$NP")
---
$(service_yaml spiffe2 "$NP")
---
apiVersion: v1
kind: ConfigMap
metadata: {name: e2e-ca, namespace: e2e}
data:
  ca.crt: |
$(sed 's/^/    /' "$WORK/ca.crt")
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: secure-tls, namespace: e2e}
spec:
  targetRefs: [{group: "", kind: Service, name: secure, sectionName: http}]
  validation:
    caCertificateRefs: [{group: "", kind: ConfigMap, name: e2e-ca}]
    hostname: backend.test
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: secure-tls-2, namespace: e2e}
spec:
  targetRefs: [{group: "", kind: Service, name: secure, sectionName: http}]
  validation: {wellKnownCACertificates: System, hostname: wrong.test}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: spiffe-tls, namespace: e2e}
spec:
  targetRefs: [{group: "", kind: Service, name: spiffe}]
  validation:
    caCertificateRefs: [{group: "", kind: ConfigMap, name: e2e-ca}]
    hostname: other.test
    subjectAltNames: [{type: URI, uri: "spiffe://backend.test/id"}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: spiffe-wrong, namespace: e2e}
spec:
  targetRefs: [{group: "", kind: Service, name: spiffe2}]
  validation:
    caCertificateRefs: [{group: "", kind: ConfigMap, name: e2e-ca}]
    hostname: backend.test
    subjectAltNames: [{type: URI, uri: "spiffe://backend.test/other"}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: lost-tls, namespace: e2e}
spec:
  targetRefs: [{group: "", kind: Service, name: lost}]
  validation:
    caCertificateRefs: [{group: "", kind: ConfigMap, name: no-such-ca}]
    hostname: backend.test
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: insecure-tls, namespace: e2e}
spec:
  targetRefs: [{group: "", kind: Service, name: insecure}]
  backend:
    tls: {insecureSkipVerify: All}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: e2e}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /who}}]
    backendRefs: [{name: secure, port: $NP}]
  - matches: [{path: {type: PathPrefix, value: /lost}}]
    backendRefs: [{name: lost, port: $NP}]
  - matches: [{path: {type: PathPrefix, value: /insecure}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /who}}}]
    backendRefs: [{name: insecure, port: $NP}]
  - matches: [{path: {type: PathPrefix, value: /spiffe}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /who}}}]
    backendRefs: [{name: spiffe, port: $NP}]
  - matches: [{path: {type: PathPrefix, value: /wrong-spiffe}}]
    backendRefs: [{name: spiffe2, port: $NP}]
YAML
}

start_engine auto -p "$GP" -c "$WORK/base.yaml" || {
	fail "gateway (k8s) did not start"
	finish
}
out=$(k8s_yaml | "$SG_BIN" apply -f- 2>&1)
check "apply -f- takes the BackendTLSPolicies (exit 0)" "$?" 0
[[ "$out" == *"ConfigMap e2e/no-such-ca not found"* ]] &&
	pass "apply warns: ConfigMap e2e/no-such-ca not found" ||
	fail "apply output lacks the missing ConfigMap: $out"
hcall "http://127.0.0.1:$GP/who"
expect "k8s: BackendTLSPolicy with the ConfigMap's CA: served over TLS" 200 "hello over tls"
hcall "http://127.0.0.1:$GP/lost"
expect "k8s: missing ConfigMap: 503 naming it" 503 \
	"upstream call failed: tls: ConfigMap e2e/no-such-ca not found"
hcall "http://127.0.0.1:$GP/insecure"
expect "k8s: AgentgatewayPolicy backend.tls insecureSkipVerify All" 200 "hello over tls"

conds() {
	"$SG_BIN" get backendtlspolicy "$1" -n e2e -o json |
		jq -r '.status.ancestors[0].conditions[] | "\(.type) \(.status) \(.reason)"' | tr '\n' ';'
}
check "get: secure-tls Accepted and ResolvedRefs" "$(conds secure-tls)" \
	"Accepted True Accepted;ResolvedRefs True ResolvedRefs;"
hcall "http://127.0.0.1:$GP/spiffe"
expect "k8s: BackendTLSPolicy subjectAltNames URI matched against the certificate's URI SAN" \
	200 "hello over tls"
hcall "http://127.0.0.1:$GP/wrong-spiffe"
expect "k8s: a URI SAN the certificate lacks: 503" 503 \
	"upstream call failed: tls: certificate verify failed: hostname mismatch"
check "get: the ancestor is the Gateway whose route sends to the Service" \
	"$("$SG_BIN" get backendtlspolicy secure-tls -n e2e -o json | jq -c '[.status.ancestors[].ancestorRef]')" \
	'[{"group":"gateway.networking.k8s.io","kind":"Gateway","namespace":"e2e","name":"gw"}]'
check "get: secure-tls-2, on secure-tls's target, Accepted False Conflicted" "$(conds secure-tls-2)" \
	"Accepted False Conflicted;ResolvedRefs True ResolvedRefs;"
check "get: spiffe-tls Accepted" "$(conds spiffe-tls)" \
	"Accepted True Accepted;ResolvedRefs True ResolvedRefs;"
check "get: lost-tls not accepted, ResolvedRefs False InvalidCACertificateRef" "$(conds lost-tls)" \
	"Accepted False NoValidCACertificate;ResolvedRefs False InvalidCACertificateRef;"

dump=$(curl -s http://127.0.0.1:15000/config_dump)
check "config_dump: BackendTLSPolicy with its port, hostname and CA" \
	"$(jq -c --arg ca "$(cat "$WORK/ca.crt")" '.policies[] | select(.name.name == "secure-tls") |
		[.key, .name.kind, .target.backend.service.port, .policy.backend.backendTLS.hostname,
		 (.policy.backend.backendTLS.root | startswith($ca))]' <<<"$dump")" \
	"[\"e2e/secure-tls:backend-tls:e2e/secure.e2e.svc.cluster.local/$NP\",\"BackendTLSPolicy\",$NP,\"backend.test\",true]"
check "config_dump: the missing CA is agentgateway's \"invalid\" root" \
	"$(jq -c '.policies[] | select(.name.name == "lost-tls") | .policy.backend.backendTLS' <<<"$dump")" \
	'{"root":"invalid","hostname":"backend.test"}'
check "config_dump: AgentgatewayPolicy backend.tls" \
	"$(jq -c '.policies[] | select(.name.name == "insecure-tls") | .policy' <<<"$dump")" \
	'{"backend":{"backendTLS":{"insecure":true,"systemRoots":true}}}'
stop_gateway
finish
