# Seed 002, TCP keepalive: with the seed's policy (retries 3, time 30s,
# interval 5s) on the Gateway it targets, sockets the gateway accepts carry
# SO_KEEPALIVE with a ~30s timer (ss -tonie shows timer:(keepalive,...)),
# and backend sockets carry the global default (3m0s).
. "$(dirname "$0")/lib.sh"

start_backend ka
# The seed's policy targets Gateway agentgateway-proxy in namespace httpbin.
cat >"$WORK/gw.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: agentgateway-proxy, namespace: httpbin}
spec:
  listeners: [{name: http, port: 8080, protocol: HTTP}]
---
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: httpbin}
spec:
  clusterIP: 127.0.0.1
  ports: [{port: $BACKEND_PORT, targetPort: $BACKEND_PORT}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: all, namespace: httpbin}
spec:
  parentRefs: [{name: agentgateway-proxy}]
  rules: [{backendRefs: [{name: httpbin, port: $BACKEND_PORT}]}]
YAML
cp seeds/002-tcp.yaml "$WORK/002.yaml"

# keepalive_secs FILTER: seconds left on the keepalive timer of the one
# established socket ss shows for FILTER (empty when none).
keepalive_secs() {
	ss -tonie state established "$1" | tr ' ' '\n' | grep -m1 '^timer:(keepalive,' |
		sed 's/^timer:(keepalive,\([^,]*\),.*/\1/' |
		awk '{ t = 0; s = $0
			if (match(s, /[0-9.]+min/)) { t += substr(s, RSTART, RLENGTH - 3) * 60 }
			if (match(s, /[0-9.]+sec/)) { t += substr(s, RSTART, RLENGTH - 3) }
			else if (match(s, /[0-9.]+ms/)) { t += substr(s, RSTART, RLENGTH - 2) / 1000 }
			print t }'
}

for engine in $(engines); do
	start_gateway -c "$WORK" --splice "$engine" || exit 1
	# A client that keeps its connection (and so the backend's) open.
	/usr/bin/python3 - <<'PY' &
import socket, time
s = socket.create_connection(("127.0.0.1", 8080))
s.sendall(b"GET /?delay=3s HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(4)
PY
	client=$!
	sleep 1
	front=$(keepalive_secs '( sport = :8080 )')
	back=$(keepalive_secs "( dport = :$BACKEND_PORT )")
	if [ -n "$front" ] && awk "BEGIN{exit !($front > 20 && $front <= 30)}"; then
		pass "[$engine] accepted socket: keepalive timer ${front}s (time 30s)"
	else
		fail "[$engine] accepted socket keepalive timer: '$front'"
		ss -tonie state established '( sport = :8080 )'
	fi
	if [ -n "$back" ] && awk "BEGIN{exit !($back > 150 && $back <= 180)}"; then
		pass "[$engine] backend socket: keepalive timer ${back}s (default 3m0s)"
	else
		fail "[$engine] backend socket keepalive timer: '$back'"
		ss -tonie state established "( dport = :$BACKEND_PORT )"
	fi
	wait "$client"
	stop_gateway
done
finish
