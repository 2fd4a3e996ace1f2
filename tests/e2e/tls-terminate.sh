# TLS listeners in mode Terminate, both dialects: the gateway does the handshake with its own certificate (verified by the client against it, the name too) and relays the plaintext to a TCP backend, as a TCP route would: a megabyte echoed byte for byte in both directions, the client's close_notify passed on as a FIN and the backend's FIN as close_notify (no truncation), a 16 MiB download from a plain HTTP backend byte-identical; no ALPN is claimed for an opaque stream; a passthrough listener on the same port keeps its backend's own certificate; no SNI reaches only a listener that takes any name, an SNI no route takes is closed; config_dump shows {"TLS": {"certificateSource": "Static"}} beside {"TLS": null}. Kubernetes: a Gateway TLS listener with tls.mode Terminate and a kubernetes.io/tls Secret, applied to a running gateway with a TLSRoute, is Accepted, ResolvedRefs and Programmed with supportedKinds TLSRoute and serves the plaintext; one whose Secret is missing is ResolvedRefs False InvalidCertificateRef while the other serves on.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/tlslib.sh"

start_tls_backends a || finish
cert gw term.test "*.term.test" "*.k8s.test"
E=$(free_port) # plaintext echo: "<eof>" after the client's FIN, then closes
/usr/bin/python3 "$E2E_DIR/echo_server.py" "$E" --eof &
PIDS+=("$!")
H=$(free_port) # plaintext HTTP files
mkdir -p "$WORK/www"
head -c $((16 << 20)) /dev/urandom >"$WORK/www/big"
(cd "$WORK/www" && exec /usr/bin/python3 -m http.server --bind 127.0.0.1 "$H") \
	>"$WORK/http.log" 2>&1 &
PIDS+=("$!")
wait_port "$E" 10 && wait_port "$H" 10 || { fail "plaintext backends did not start"; finish; }
TP=$(free_port)  # named listeners: one terminates, one passes through
TP2=$(free_port) # one listener that terminates for any name

mkdir -p "$WORK/standalone"
cat >"$WORK/standalone/config.yaml" <<YAML
binds:
- port: $TP
  listeners:
  - name: term
    protocol: TLS
    hostname: "*.term.test"
    tls: {cert: $WORK/gw.crt, key: $WORK/gw.key}
    tcpRoutes:
    - name: echo
      hostnames: [echo.term.test]
      backends: [{host: 127.0.0.1:$E}]
    - name: files
      hostnames: [files.term.test]
      backends: [{host: 127.0.0.1:$H}]
  - name: pass
    protocol: TLS
    hostname: a.example.test
    tcpRoutes:
    - backends: [{host: 127.0.0.1:${ECHO[a]}}]
- port: $TP2
  listeners:
  - name: any
    protocol: TLS
    tls: {cert: $WORK/gw.crt, key: $WORK/gw.key}
    tcpRoutes:
    - backends: [{host: 127.0.0.1:$E}]
YAML

out=$("$SG_BIN" check -c "$WORK/standalone" 2>&1)
check "splicegate check accepts TLS listeners with tls" "$out" "configuration ok"

halfclose() {
	/usr/bin/python3 "$E2E_DIR/tls_halfclose.py" "$1" "$2" "$WORK/gw.crt" "$3"
}

for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -p "$TP" -p "$TP2" -c "$WORK/standalone"; then
		fail "gateway ($engine) did not start with the TLS listeners"
		continue
	fi
	check "terminated: 1 MiB echoed both ways, half-closes passed on, ended by close_notify" \
		"$(halfclose "$TP" echo.term.test 1048576)" "ok 1048576 clean"
	check "terminated: one byte, the same" "$(halfclose "$TP" echo.term.test 1)" "ok 1 clean"
	check "terminated: 16 MiB from a plain HTTP backend byte-identical (curl verifies the gateway)" \
		"$(curl -s --max-time 30 --cacert "$WORK/gw.crt" --resolve "files.term.test:$TP:127.0.0.1" \
			"https://files.term.test:$TP/big" | sha256sum | cut -d' ' -f1)" \
		"$(sha256sum <"$WORK/www/big" | cut -d' ' -f1)"
	out=$(timeout 10 openssl s_client -connect "127.0.0.1:$TP" -servername echo.term.test \
		-alpn h2,http/1.1 </dev/null 2>/dev/null)
	check "a client offering h2 and http/1.1: no ALPN chosen" \
		"$(grep -o 'No ALPN negotiated' <<<"$out")" "No ALPN negotiated"
	check "the gateway's own certificate" "$(sed -n 's/^subject=.*CN = //p' <<<"$out" | head -1)" \
		term.test
	check "passthrough beside it on the same port: backend a's certificate, line echoed" \
		"$(sclient "$TP" a.example.test)" "backend-a hello-a.example.test"
	check "a name the terminating listener covers but no route takes: closed" \
		"$(halfclose "$TP" nope.term.test 1)" "error: closed in the handshake"
	check "no SNI where every listener is named: closed" "$(sclient "$TP" -)" closed
	check "no SNI on a listener for any name: its certificate, served" \
		"$(halfclose "$TP2" - 4096)" "ok 4096 clean"
	check "still serving" "$(halfclose "$TP" echo.term.test 100)" "ok 100 clean"
	json_equal "config_dump: a terminating TLS listener beside a passthrough one" \
		"$(curl -s http://127.0.0.1:15000/config_dump |
			jq -c --arg k "bind/$TP" '.binds[] | select(.key == $k) | .listeners | map_values(.protocol)')" \
		"{\"bind/$TP/term\": {\"TLS\": {\"certificateSource\": \"Static\"}}, \"bind/$TP/pass\": {\"TLS\": null}}"
	stop_gateway
done

# Kubernetes: applied to a running gateway.
KP=$(free_port)
cat >"$WORK/base.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: infra}
spec:
  gatewayClassName: splicegate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
YAML
b64() { base64 -w0 <"$1"; }
if ! start_engine auto -p 8080 -c "$WORK/base.yaml"; then
	fail "gateway did not start"
	finish
fi
out=$("$SG_BIN" apply -f- 2>&1 <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: term-gw, namespace: infra}
spec:
  gatewayClassName: splicegate
  listeners:
  - name: tls-terminate
    port: $KP
    protocol: TLS
    hostname: "*.k8s.test"
    allowedRoutes: {namespaces: {from: All}, kinds: [{kind: TLSRoute}]}
    tls: {mode: Terminate, certificateRefs: [{name: gw-cert}]}
  - name: tls-nocert
    port: $KP
    protocol: TLS
    hostname: nocert.example.test
    allowedRoutes: {namespaces: {from: All}}
    tls: {certificateRefs: [{name: nowhere}]}
---
apiVersion: v1
kind: Secret
metadata: {name: gw-cert, namespace: infra}
type: kubernetes.io/tls
data:
  tls.crt: $(b64 "$WORK/gw.crt")
  tls.key: $(b64 "$WORK/gw.key")
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: web}
spec: {clusterIP: 127.0.0.1, ports: [{name: tcp, port: 9000, targetPort: $E}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: echo, namespace: web}
spec:
  parentRefs: [{name: term-gw, namespace: infra, sectionName: tls-terminate}]
  hostnames: [echo.k8s.test]
  rules: [{backendRefs: [{name: echo, port: 9000}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: nocert, namespace: web}
spec:
  parentRefs: [{name: term-gw, namespace: infra, sectionName: tls-nocert}]
  hostnames: [nocert.example.test]
  rules: [{backendRefs: [{name: echo, port: 9000}]}]
YAML
)
check "apply -f- takes the Terminate listeners (exit 0)" "$?" 0
wait_port "$KP" 5 || fail "the TLS listener did not open after apply"
gw=$("$SG_BIN" get gateway term-gw -n infra -o json)
check "tls-terminate: supportedKinds TLSRoute; Accepted, Programmed, ResolvedRefs True" \
	"$(jq -c '.status.listeners[] | select(.name == "tls-terminate") | [[.supportedKinds[].kind], (.conditions[] | select(.type == "Accepted" or .type == "ResolvedRefs" or .type == "Programmed") | "\(.type)=\(.status)/\(.reason)")]' <<<"$gw")" \
	'[["TLSRoute"],"Accepted=True/Accepted","Programmed=True/Programmed","ResolvedRefs=True/ResolvedRefs"]'
check "tls-nocert: ResolvedRefs False InvalidCertificateRef" \
	"$(jq -r '.status.listeners[] | select(.name == "tls-nocert") | .conditions[] | select(.type == "ResolvedRefs") | "\(.status) \(.reason)"' <<<"$gw")" \
	"False InvalidCertificateRef"
check "the TLSRoute on it: Accepted" \
	"$("$SG_BIN" get tlsroute echo -n web -o json | jq -r '.status.parents[0].conditions[] | select(.type == "Accepted") | .status')" \
	True
check "terminated: 1 MiB echoed both ways, ended by close_notify" \
	"$(halfclose "$KP" echo.k8s.test 1048576)" "ok 1048576 clean"
check "the listener without its Secret serves nothing" \
	"$(halfclose "$KP" nocert.example.test 1)" "error: closed in the handshake"
check "config_dump: the listener's protocol" \
	"$(curl -s http://127.0.0.1:15000/config_dump |
		jq -c --arg k "infra/term-gw.tls-terminate" '.binds[].listeners[] | select(.key == $k) | .protocol')" \
	'{"TLS":{"certificateSource":"Static"}}'
stop_gateway
finish
