# agentgateway's egress proxy that terminates every HTTPS stream (examples/traffic-egress-proxy/config-dynamic-tls.yaml at 75b4e6c, loaded as written from a directory laid out as its README runs it, with a CA made here): the README's `curl --proxy http://127.0.0.1:3000 --cacert examples/mcp-tls/certs/ca-cert.pem --include https://httpbingo.org/headers` gets, through a CONNECT into the internal 443 bind, a certificate for httpbingo.org minted from that CA (curl verifies it; its subject and SAN are the name, its issuer the CA), the response header x-agentgateway-resp-message and the origin's echo of the request header x-agentgateway-req-message, both "Hello from AgentGateway!"; the origin is a real HTTPS server made here ([::1]:443 by a private /etc/hosts, verified by the gateway's backendTLS {} against its CA as the system's roots through SSL_CERT_FILE); a second name gets its own certificate, the same one again is served from the cache; a hello without SNI is refused; config_dump shows certificateSource DynamicCa.
if [ -z "${SG_HOSTS_MOUNT_NS:-}" ]; then
	# A mount namespace of this scenario's own, for a private /etc/hosts.
	exec env SG_HOSTS_MOUNT_NS=1 unshare --mount bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

printf '::1 httpbingo.org\n::1 api.example.org\n' >"$WORK/hosts"
mount --bind "$WORK/hosts" /etc/hosts || {
	fail "cannot bind a private /etc/hosts"
	finish
}

# The proxy's CA, where the example looks for it; the origin's own CA,
# which the gateway trusts as its system roots.
mkdir -p "$WORK/ex/examples/mcp-tls/certs"
certs=$WORK/ex/examples/mcp-tls/certs
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=egress-inspection-ca" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign" \
	-keyout "$certs/ca-key.pem" -out "$certs/ca-cert.pem" 2>/dev/null
ca_and_cert origin DNS:httpbingo.org,DNS:api.example.org
start_backend_at origin ::1 443 --tls "$WORK/srv.pem" "$WORK/srv.key" || {
	fail "the origin did not start"
	finish
}

# The example's config-dynamic-tls.yaml, as agentgateway's repository has it.
cat >"$WORK/ex/config-dynamic-tls.yaml" <<'YAML'
# yaml-language-server: $schema=https://agentgateway.dev/schema/config

# Handle CONNECT requests on port 3000
binds:
- port: 3000
  tunnelProtocol: connect
  listeners: []

# Accept any `CONNECT *:443` requests
- port: 443
  mode: internal
  listeners:
  # Terminate each HTTPS stream, with a dynamic TLS certificate
  - protocol: HTTPS
    tls:
      mode: dynamicCa
      cert: examples/mcp-tls/certs/ca-cert.pem
      key: examples/mcp-tls/certs/ca-key.pem
    routes:
    - backends:
      # Send it to the hostname of the request
      - dynamic: {}
        policies:
          # Add TLS back to the outgoing request.
          backendTLS: {}
      policies:
        # Inject headers into the request and response to show we can operate on the HTTP traffic.
        transformations:
          request:
            set:
              x-agentgateway-req-message: "'Hello from AgentGateway!'"
          response:
            set:
              x-agentgateway-resp-message: "'Hello from AgentGateway!'"
YAML
cd "$WORK/ex" || finish
out=$("$SG_BIN" check -c config-dynamic-tls.yaml 2>&1)
check "splicegate check takes the example's config-dynamic-tls.yaml" "$out" "configuration ok"

export SSL_CERT_FILE=$WORK/ca.pem
for engine in $(engines); do
	start_gateway -c config-dynamic-tls.yaml --splice "$engine" || continue
	# The README's command.
	curl -s --max-time 10 --proxy http://127.0.0.1:3000 \
		--cacert examples/mcp-tls/certs/ca-cert.pem \
		--include https://httpbingo.org/headers >"$WORK/resp" 2>"$WORK/err"
	rc=$?
	check "[$engine] the README's curl succeeds, verifying the minted certificate" "$rc" 0
	check "[$engine] the response carries x-agentgateway-resp-message" \
		"$(tr -d '\r' <"$WORK/resp" | grep -i '^x-agentgateway-resp-message:')" \
		"x-agentgateway-resp-message: Hello from AgentGateway!"
	check "[$engine] the origin saw x-agentgateway-req-message and Host httpbingo.org" \
		"$(tail -n 1 "$WORK/resp" |
			jq -c '[.host, (.headers | to_entries[] | select(.key | ascii_downcase == "x-agentgateway-req-message") | .value)]')" \
		'["httpbingo.org",["Hello from AgentGateway!"]]'
	# The certificate the client saw: minted for the name, by the CA.
	got=$(/usr/bin/python3 "$E2E_DIR/egress_connect.py" 3000 api.example.org api.example.org \
		examples/mcp-tls/certs/ca-cert.pem 2>&1)
	check "[$engine] another name gets a certificate of its own from the CA" "$got" \
		"HTTP/1.1 200 OK handshake api.example.org egress-inspection-ca api.example.org"
	got=$(curl -s --max-time 10 --proxy http://127.0.0.1:3000 \
		--cacert examples/mcp-tls/certs/ca-cert.pem -o /dev/null -w '%{http_code}' \
		https://api.example.org/x)
	check "[$engine] and its requests reach the origin" "$got" 200
	# No SNI: no name to mint a certificate for.
	got=$(/usr/bin/python3 "$E2E_DIR/egress_connect.py" 3000 httpbingo.org -)
	check "[$engine] a hello without SNI is refused (unrecognized_name)" "$got" \
		"HTTP/1.1 200 OK refused TLSV1_UNRECOGNIZED_NAME"
	stop_gateway
done

start_gateway -c config-dynamic-tls.yaml || finish
check "config_dump: the internal bind's HTTPS listener takes its certificates from the CA" \
	"$(curl -s http://127.0.0.1:15000/config_dump |
		jq -c '.binds[] | select(.key == "bind/443") | [.mode, (.listeners[] | .protocol)]')" \
	'["internal",{"HTTPS":{"certificateSource":"DynamicCa"}}]'
stop_gateway
finish
