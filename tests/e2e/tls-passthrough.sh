# TLS passthrough, standalone dialect (a listener with protocol TLS and tcpRoutes with hostnames), in every engine: each SNI reaches its backend untouched (openssl s_client sees that backend's own certificate and gets its line echoed; curl -k downloads the backend's files byte-identical), and under auto a download's tunnel stays in userspace (copied, or spliced while a busy machine holds the worker back), not moved into the kernel by its handshake's small turns, exact names before wildcards before a route without names; a ClientHello cut into 7-byte records and written in pieces is routed the same; no SNI, an SNI no route takes, or bytes that are not a ClientHello get the connection closed, and one that stalls is closed at --request-head-timeout while others are served, each counted in /metrics; config_dump shows the TLS bind, listener and routes as agentgateway does.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/tlslib.sh"

start_tls_backends a b || finish
TP=$(free_port)  # TLS listener with named routes
TP2=$(free_port) # TLS listener whose last route takes any name

mkdir -p "$WORK/standalone"
cat >"$WORK/standalone/config.yaml" <<YAML
binds:
- port: $TP
  listeners:
  - name: tls
    protocol: TLS
    tcpRoutes:
    - name: wild
      hostnames: ["*.wild.test"]
      backends: [{host: 127.0.0.1:${ECHO[b]}}]
    - name: exact
      hostnames: [a.example.test, exact.wild.test]
      backends: [{host: 127.0.0.1:${ECHO[a]}}]
    - name: files
      hostnames: [files-a.example.test]
      backends: [{host: 127.0.0.1:${WWW[a]}}]
    - hostnames: [files-b.example.test]
      backends: [{host: 127.0.0.1:${WWW[b]}, weight: 2}]
- port: $TP2
  listeners:
  - protocol: TLS
    tcpRoutes:
    - name: b-only
      hostnames: [b.example.test]
      backends: [{host: 127.0.0.1:${ECHO[b]}}]
    - name: any
      backends: [{host: 127.0.0.1:${ECHO[a]}}]
YAML

out=$("$SG_BIN" check -c "$WORK/standalone" 2>&1)
check "splicegate check accepts the TLS listeners" "$out" "configuration ok"

# The config_dump of the first bind: agentgateway's shapes (bind protocol
# "tls", listener protocol {"TLS": null}, routes with their hostnames).
want_dump=$(
	cat <<JSON
{
  "key": "bind/$TP",
  "address": "0.0.0.0:$TP",
  "protocol": "tls",
  "tunnelProtocol": "direct",
  "mode": "standard",
  "listeners": {
    "bind/$TP/tls": {
      "key": "bind/$TP/tls",
      "gatewayName": "default",
      "gatewayNamespace": "default",
      "listenerName": "tls",
      "hostname": "",
      "protocol": {"TLS": null},
      "routes": {},
      "tcpRoutes": {
        "bind/$TP/tls/wild": {"key": "bind/$TP/tls/wild", "name": "wild", "namespace": "default",
          "hostnames": ["*.wild.test"],
          "backends": [{"weight": 1, "host": "127.0.0.1:${ECHO[b]}"}]},
        "bind/$TP/tls/exact": {"key": "bind/$TP/tls/exact", "name": "exact", "namespace": "default",
          "hostnames": ["a.example.test", "exact.wild.test"],
          "backends": [{"weight": 1, "host": "127.0.0.1:${ECHO[a]}"}]},
        "bind/$TP/tls/files": {"key": "bind/$TP/tls/files", "name": "files", "namespace": "default",
          "hostnames": ["files-a.example.test"],
          "backends": [{"weight": 1, "host": "127.0.0.1:${WWW[a]}"}]},
        "bind/$TP/tls/tcproute3": {"key": "bind/$TP/tls/tcproute3", "name": "tcproute3",
          "namespace": "default", "hostnames": ["files-b.example.test"],
          "backends": [{"weight": 2, "host": "127.0.0.1:${WWW[b]}"}]}
      }
    }
  }
}
JSON
)

for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -p "$TP" -p "$TP2" --request-head-timeout 1s \
		-c "$WORK/standalone"; then
		fail "gateway ($engine) did not start with the TLS listeners"
		continue
	fi
	check "exact name: backend a's certificate, line echoed" \
		"$(sclient "$TP" a.example.test)" "backend-a hello-a.example.test"
	check "wildcard: backend b" "$(sclient "$TP" x.wild.test)" "backend-b hello-x.wild.test"
	check "wildcard, two labels deep: backend b" "$(sclient "$TP" y.x.wild.test)" \
		"backend-b hello-y.x.wild.test"
	check "exact name listed after a matching wildcard still wins: backend a" \
		"$(sclient "$TP" EXACT.wild.test)" "backend-a hello-exact.wild.test"
	check "curl -k to files-a: backend a's file" "$(curl_tls "$TP" files-a.example.test /who)" \
		backend-a
	check "curl -k to files-b: backend b's file" "$(curl_tls "$TP" files-b.example.test /who)" \
		backend-b
	check "curl -k: 4 MiB from backend a byte-identical" \
		"$(curl_sha "$TP" files-a.example.test /big)" \
		"$(sha256sum <"$WORK/www-a/big" | cut -d' ' -f1)"
	check "ClientHello in 7-byte records, written in pieces: routed, verified, echoed" \
		"$(/usr/bin/python3 "$WORK/split_hello.py" "$TP" x.wild.test "$WORK/b.crt" 7)" \
		"backend-b olleh-tilps"
	check "ClientHello in 1-byte records" \
		"$(/usr/bin/python3 "$WORK/split_hello.py" "$TP" a.example.test "$WORK/a.crt" 1)" \
		"backend-a olleh-tilps"

	before_sni=$(metric 'splicegate_connections_refused_total{reason="tls_no_sni"}')
	before_route=$(metric 'splicegate_connections_refused_total{reason="tls_no_route"}')
	before_bad=$(metric 'splicegate_connections_refused_total{reason="tls_bad_client_hello"}')
	before_to=$(metric 'splicegate_timeouts_total{kind="tls_client_hello"}')
	check "no SNI: closed" "$(sclient "$TP" -)" closed
	check "unknown SNI: closed" "$(sclient "$TP" nope.example.test)" closed
	check "the bare wildcard domain is no match: closed" "$(sclient "$TP" wild.test)" closed
	check "plain HTTP on the TLS port: closed, nothing answered" \
		"$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$TP/")" 000
	check "catch-all route: an unknown name reaches backend a" \
		"$(sclient "$TP2" who.knows.test)" "backend-a hello-who.knows.test"
	check "catch-all listener: a named route first" "$(sclient "$TP2" b.example.test)" \
		"backend-b hello-b.example.test"
	check "catch-all route: no SNI is still closed" "$(sclient "$TP2" -)" closed

	# A client that stalls inside its hello, and one that sends nothing,
	# are closed after the 1 s timeout; another is served meanwhile.
	/usr/bin/python3 "$WORK/stall.py" "$TP" 20 >"$WORK/stall1" &
	s1=$!
	/usr/bin/python3 "$WORK/stall.py" "$TP" 0 >"$WORK/stall2" &
	s2=$!
	sleep 0.3
	check "served while two hellos stall" "$(sclient "$TP" a.example.test)" \
		"backend-a hello-a.example.test"
	wait "$s1" "$s2"
	t1=$(cat "$WORK/stall1")
	t2=$(cat "$WORK/stall2")
	if time_in "$t1" 0.9 3 && time_in "$t2" 0.9 4; then
		pass "stalled hellos closed after the timeout (${t1}s, ${t2}s)"
	else
		fail "stalled hellos: closed after '$t1' and '$t2' (want 0.9-3 s and 0.9-4 s)"
	fi
	check "no-SNI refusals counted" \
		"$(metric 'splicegate_connections_refused_total{reason="tls_no_sni"}')" \
		$((before_sni + 2))
	check "unknown-SNI refusals counted" \
		"$(metric 'splicegate_connections_refused_total{reason="tls_no_route"}')" \
		$((before_route + 2))
	check "bad hello refusals counted" \
		"$(metric 'splicegate_connections_refused_total{reason="tls_bad_client_hello"}')" \
		$((before_bad + 1))
	check "hello timeouts counted" \
		"$(metric 'splicegate_timeouts_total{kind="tls_client_hello"}')" $((before_to + 2))
	check "still serving after all that" "$(sclient "$TP" q.wild.test)" \
		"backend-b hello-q.wild.test"
	json_equal "config_dump: the TLS bind" \
		"$(curl -s http://127.0.0.1:15000/config_dump | jq --arg k "bind/$TP" '.binds[] | select(.key == $k)')" \
		"$want_dump"
	stop_gateway
done

# auto: a download through TLS passthrough is bulk once its handshake is
# done. The handshake's small turns alone must not move the tunnel into the
# kernel (a socket map is slower for bulk): its bytes are copied. The
# client waits for the server's session tickets before it sends its
# request, so the tunnel sees four small turns (ClientHello, the server's
# flight, Finished, tickets, then the request) before the 4 MiB.
cat >"$WORK/tls_get.py" <<'PY'
import hashlib, socket, ssl, sys, time
port, host, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                    server_hostname=host)
time.sleep(0.3)
t.sendall(b"GET %s HTTP/1.0\r\n\r\n" % path.encode())
got = bytearray()
while True:
    try:
        d = t.recv(1 << 16)
    except ssl.SSLError:
        break
    if not d:
        break
    got += d
print(hashlib.sha256(bytes(got).partition(b"\r\n\r\n")[2]).hexdigest())
PY
if start_engine auto -p "$TP" -p "$TP2" -c "$WORK/standalone"; then
	check "auto: 4 MiB from backend a byte-identical, request after the tickets" \
		"$(/usr/bin/python3 "$WORK/tls_get.py" "$TP" files-a.example.test /big)" \
		"$(sha256sum <"$WORK/www-a/big" | cut -d' ' -f1)"
	kernel=$(metric 'splicegate_body_bytes_total{engine="sockmap"}')
	copied=$(metric 'splicegate_body_bytes_total{engine="copy"}')
	# (spliced when a busy machine held the worker back: still userspace's)
	spliced=$(metric 'splicegate_body_bytes_total{engine="splice"}')
	if [ "$kernel" = 0 ] && [ $((copied + spliced)) -ge 4194304 ]; then
		pass "auto: the download copied ($copied bytes, $spliced spliced), none through the socket map"
	else
		fail "auto: $kernel bytes through the socket map, $copied copied, $spliced spliced"
	fi
	stop_gateway
else
	fail "gateway (auto) did not start with the TLS listeners"
fi
finish
