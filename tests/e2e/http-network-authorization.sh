# frontendPolicies.networkAuthorization (agentgateway's CEL rules over a
# connection's source), decided when a connection is accepted, for HTTP/1,
# h2c and TCP listeners alike: a connection from the allowed address is
# served; one from another loopback address (127.0.0.2), or from a source
# port a deny rule names, is closed unread, with no HTTP answer (as
# agentgateway drops it), and counted in
# splicegate_connections_refused_total{reason="network_authorization"}.
# config_dump lists the policy as agentgateway prints it.
. "$(dirname "$0")/lib.sh"

E=$(free_port)
/usr/bin/python3 "$E2E_DIR/echo_server.py" "$E" &
PIDS+=("$!")
wait_port "$E" 10 || { fail "echo backend did not start"; finish; }
start_backend v1
V1=$BACKEND_PORT

cat >"$WORK/cfg.yaml" <<YAML
frontendPolicies:
  networkAuthorization:
    rules:
    - 'cidr("127.0.0.1/32").containsIP(source.address)'
    - deny: 'source.port == 20123'
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - backends: [{host: 127.0.0.1:$V1}]
- port: 9000
  listeners:
  - protocol: TCP
    tcpRoutes:
    - backends: [{host: 127.0.0.1:$E}]
YAML
if ! start_engine auto -p 8080 -p 9000 -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

# tcp_echo SOURCE: what the TCP listener echoes of "ping" for a client
# bound to SOURCE ("-" when the connection was closed without a byte).
tcp_echo() {
	/usr/bin/python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(5)
s.bind((sys.argv[1], 0))
try:
    s.connect(("127.0.0.1", 9000))
    s.sendall(b"ping")
    got = s.recv(16)
    print(got.decode() or "-")
except OSError:
    print("-")
PY
}

for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt http://127.0.0.1:8080/x
	check "$opt from 127.0.0.1: served" "$H_CODE" 200
	hcall $opt --interface 127.0.0.2 http://127.0.0.1:8080/x
	check "$opt from 127.0.0.2: closed, no answer" "$H_CODE" 000
done
# (A port below the kernel's ephemeral range, 32768-60999: no other socket
# of the scenario's namespace can hold it, so curl's bind cannot fail and
# pass for a refusal; 40123 did once, counted 3 refusals of 4.)
hcall --local-port 20123 http://127.0.0.1:8080/x
check "from a source port a deny rule names: closed" "$H_CODE" 000
check "TCP from 127.0.0.1: echoed" "$(tcp_echo 127.0.0.1)" ping
check "TCP from 127.0.0.2: closed unread" "$(tcp_echo 127.0.0.2)" -
n=$(curl -s http://127.0.0.1:15020/metrics |
	awk '/^splicegate_connections_refused_total\{reason="network_authorization"\}/{print $2}')
check "refused connections counted" "$n" 4

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.key == "frontend/networkAuthorization") | .policy]')
json_equal "config_dump: networkAuthorization as agentgateway prints it" "$got" \
	'[{"frontend": {"networkAuthorization": {"rules": {
	   "allow": ["cidr(\"127.0.0.1/32\").containsIP(source.address)"],
	   "deny": ["source.port == 20123"]}}}}]'
finish
