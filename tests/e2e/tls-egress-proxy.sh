# agentgateway's egress proxy (examples/traffic-egress-proxy/config.yaml at 75b4e6c, loaded as written), in every engine, with real HTTPS origins made here (sgbackend over TLS on [::1]:443, a private /etc/hosts naming pypi.org, api.github.com and github.com there): the README's `curl --proxy http://127.0.0.1:3000 --head https://pypi.org/` gets the origin's 200 through a CONNECT 200 and an SNI allow-list, spliced byte for byte (a 1 MiB download identical); `curl --proxy ... https://example.com/` fails, its hello refused before any byte goes out (a tripwire listener at example.com's address sees no connection; /metrics counts tls_no_route); an allowed name that does not resolve, or a hello without SNI, gets the connection closed; a CONNECT to a port no bind serves gets agentgateway's 404 "bind not found", a CONNECT to port 99999 400 "invalid request" (without a port, the HTTP/1 parser's 400 "bad request"), any other method 405 "method not allowed"; the 443 gateway also serves TLS clients directly, as agentgateway's standard bind does; with `mode: internal` the same bind has no socket and is reached only through CONNECT; config_dump shows the binds' tunnelProtocol and mode, the route's dynamic backend and the backend list as agentgateway does.
if [ -z "${SG_HOSTS_MOUNT_NS:-}" ]; then
	# A mount namespace of this scenario's own, for a private /etc/hosts.
	exec env SG_HOSTS_MOUNT_NS=1 unshare --mount bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

# The origins: [::1]:443 answers for the allowed names; [::2]:443, where
# example.com points, is a tripwire that records every connection. The
# gateway's own 443 is 0.0.0.0 (IPv4), so [::1]:443 is free for an origin.
ip addr add ::2/128 dev lo 2>/dev/null
printf '::1 pypi.org\n::1 api.github.com\n::1 github.com\n::2 example.com\n' >"$WORK/hosts"
mount --bind "$WORK/hosts" /etc/hosts || {
	fail "cannot bind a private /etc/hosts"
	finish
}

ca_and_cert origin DNS:pypi.org,DNS:api.github.com,DNS:github.com,DNS:example.com,DNS:files.pythonhosted.org

start_backend_at origin ::1 443 --tls "$WORK/srv.pem" "$WORK/srv.key" ||
	{
		fail "the origin did not start"
		finish
	}
cat >"$WORK/tripwire.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::2", 443))
s.listen(16)
open(sys.argv[1] + ".ready", "w").close()
while True:
    c, a = s.accept()
    with open(sys.argv[1], "a") as f:
        f.write("connection from %s\n" % a[0])
    c.close()
PY
: >"$WORK/tripwire.log"
/usr/bin/python3 "$WORK/tripwire.py" "$WORK/tripwire.log" &
PIDS+=("$!")
for _ in $(seq 100); do
	[ -e "$WORK/tripwire.log.ready" ] && break
	sleep 0.05
done

# The example's config.yaml, as agentgateway's repository has it.
cat >"$WORK/config.yaml" <<'YAML'
# yaml-language-server: $schema=https://agentgateway.dev/schema/config

# Handle CONNECT requests on port 3000
binds:
- port: 3000
  tunnelProtocol: connect
  listeners: []

# Accept any `CONNECT *:443` requests
gateways:
  secure:
    port: 443
    listeners:
    # Inspect SNI without terminating TLS
    - name: public-egress
      hostname: "*"
      protocol: TLS

# Allow only the listed TLS hostnames
tcpRoutes:
- name: public-egress-allowlist
  gateways: secure/public-egress
  hostnames:
  - pypi.org
  - files.pythonhosted.org
  - api.github.com
  - github.com
  - raw.githubusercontent.com
  - objects.githubusercontent.com
  backends:
  # Send it to the hostname from SNI on the original destination port
  - dynamic: {}
YAML
out=$("$SG_BIN" check -c "$WORK/config.yaml" 2>&1)
check "splicegate check takes the example's config.yaml" "$out" "configuration ok"

# raw REQUEST: what the proxy port answers to REQUEST (its status line and
# body, the head's other lines left out).
cat >"$WORK/raw.py" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", 3000), timeout=5)
s.sendall(sys.argv[1].encode().decode("unicode_escape").encode())
data = b""
while True:
    try:
        b = s.recv(65536)
    except socket.timeout:
        break
    if not b:
        break
    data += b
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode(), "|", body.decode())
PY
raw() {
	/usr/bin/python3 "$WORK/raw.py" "$1"
}

P="--proxy http://127.0.0.1:3000 --cacert $WORK/ca.pem --max-time 10"
for engine in $(engines); do
	start_gateway -c "$WORK/config.yaml" --splice "$engine" || continue
	# The README's first command.
	got=$(curl -s $P --head https://pypi.org/ -o /dev/null -w '%{http_connect} %{http_code}')
	check "[$engine] curl --proxy ... --head https://pypi.org/: CONNECT 200, then the origin's 200" \
		"$got" "200 200"
	got=$(curl -s $P -D - https://api.github.com/x -o /dev/null | tr -d '\r' | grep -i '^x-backend:')
	check "[$engine] api.github.com reaches the origin, whose certificate curl verified" \
		"$got" "x-backend: origin"
	want=$(curl -s --cacert "$WORK/ca.pem" --resolve github.com:443:::1 \
		"https://github.com/x?size=1048576" | sha256sum | cut -d' ' -f1)
	got=$(curl -s $P "https://github.com/x?size=1048576" | sha256sum | cut -d' ' -f1)
	check "[$engine] a 1 MiB body through the tunnel is the origin's, byte for byte" "$got" "$want"

	# The README's second command: no route for example.com.
	before=$(curl -s http://127.0.0.1:15020/metrics |
		awk '$1 == "splicegate_connections_refused_total{reason=\"tls_no_route\"}" { v = $2 } END { print v + 0 }')
	curl -s $P https://example.com/ -o /dev/null -w '%{http_connect}' >"$WORK/out" 2>/dev/null
	rc=$?
	check "[$engine] curl --proxy ... https://example.com/ fails after the CONNECT's 200 (exit $rc)" \
		"$(cat "$WORK/out") $([ $rc != 0 ] && echo failed)" "200 failed"
	after=$(curl -s http://127.0.0.1:15020/metrics |
		awk '$1 == "splicegate_connections_refused_total{reason=\"tls_no_route\"}" { v = $2 } END { print v + 0 }')
	check "[$engine] the hello for example.com is counted as tls_no_route" "$((after - before))" 1
	check "[$engine] no connection reached example.com's address" "$(cat "$WORK/tripwire.log")" ""

	# An allowed name the resolver does not know: the tunnel closes.
	curl -s $P https://files.pythonhosted.org/ -o /dev/null 2>/dev/null
	rc=$?
	[ $rc != 0 ] && pass "[$engine] an allowed name that does not resolve: the connection closes (curl exit $rc)" ||
		fail "[$engine] files.pythonhosted.org answered"

	# agentgateway's answers to CONNECTs it cannot serve.
	check "[$engine] CONNECT to a port no bind serves" \
		"$(raw 'CONNECT pypi.org:8443 HTTP/1.1\r\nHost: pypi.org:8443\r\n\r\n')" \
		"HTTP/1.1 404 Not Found | bind not found"
	check "[$engine] CONNECT to the CONNECT bind's own port" \
		"$(raw 'CONNECT pypi.org:3000 HTTP/1.1\r\nHost: pypi.org:3000\r\n\r\n')" \
		"HTTP/1.1 404 Not Found | bind not found"
	check "[$engine] CONNECT to a port that is no port" \
		"$(raw 'CONNECT pypi.org:99999 HTTP/1.1\r\nHost: pypi.org\r\n\r\n')" \
		"HTTP/1.1 400 Bad Request | invalid request"
	# The HTTP/1 parser refuses a CONNECT target without a port first,
	# as any malformed head.
	check "[$engine] CONNECT without a port" \
		"$(raw 'CONNECT pypi.org HTTP/1.1\r\nHost: pypi.org\r\n\r\n')" \
		"HTTP/1.1 400 Bad Request | bad request"
	check "[$engine] a GET to the proxy port" \
		"$(raw 'GET http://pypi.org/ HTTP/1.1\r\nHost: pypi.org\r\n\r\n')" \
		"HTTP/1.1 405 Method Not Allowed | method not allowed"
	# A hello without SNI gets nothing past the 200.
	got=$(/usr/bin/python3 "$E2E_DIR/egress_connect.py" 3000 pypi.org -)
	check "[$engine] a hello without SNI after the CONNECT's 200 is closed" "$got" "HTTP/1.1 200 OK closed"

	# The 443 gateway is a standard bind: TLS clients reach it directly.
	got=$(curl -s --cacert "$WORK/ca.pem" --max-time 10 --resolve pypi.org:443:127.0.0.1 \
		-o /dev/null -w '%{http_code}' https://pypi.org/)
	check "[$engine] a TLS client of the 443 gateway itself goes to pypi.org as well" "$got" 200
	stop_gateway
done

# config_dump: the binds, the route's dynamic backend, the backend list.
start_gateway -c "$WORK/config.yaml" || finish
dump=$(curl -s http://127.0.0.1:15000/config_dump)
json_equal "config_dump shows the CONNECT bind as agentgateway does" \
	"$(jq -c '.binds[] | select(.key == "bind/3000")' <<<"$dump")" \
	'{"key":"bind/3000","address":"0.0.0.0:3000","protocol":"http","tunnelProtocol":"connect","mode":"standard","listeners":{}}'
json_equal "config_dump shows the 443 bind's route with its dynamic backend" \
	"$(jq -c '.binds[] | select(.key == "bind/443") | [.tunnelProtocol, .mode, .listeners[].tcpRoutes[].backends]' <<<"$dump")" \
	'["direct","standard",[{"weight":1,"dynamic":{}}]]'
json_equal "config_dump lists the dynamic backend" \
	"$(jq -c '.backends' <<<"$dump")" \
	'[{"dynamic":{"name":"gateway/secure/public-egress/public-egress-allowlist/backend0","target":null}}]'
stop_gateway

# mode: internal: the same gateway as an internal bind, no socket of its
# own, reached through CONNECT only.
cat >"$WORK/internal.yaml" <<'YAML'
binds:
- port: 3000
  tunnelProtocol: connect
  listeners: []
- port: 443
  mode: internal
  listeners:
  - name: public-egress
    protocol: TLS
    tcpRoutes:
    - name: allowlist
      hostnames: [pypi.org]
      backends:
      - dynamic: {}
YAML
start_gateway -c "$WORK/internal.yaml" || finish
got=$(curl -s $P --head https://pypi.org/ -o /dev/null -w '%{http_connect} %{http_code}')
check "mode internal: curl --proxy ... --head https://pypi.org/ gets the origin's 200" "$got" "200 200"
curl -s --max-time 5 --cacert "$WORK/ca.pem" --resolve pypi.org:443:127.0.0.1 https://pypi.org/ \
	-o /dev/null 2>/dev/null
rc=$?
check "mode internal: nothing listens on 127.0.0.1:443 (curl exit 7)" "$rc" 7
check "mode internal: config_dump says so" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -c '[.binds[] | [.key, .tunnelProtocol, .mode]]')" \
	'[["bind/3000","connect","standard"],["bind/443","direct","internal"]]'
stop_gateway
finish
