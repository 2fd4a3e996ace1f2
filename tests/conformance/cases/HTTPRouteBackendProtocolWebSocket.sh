# httproute-backend-protocol-websocket.go: a Service port with appProtocol
# kubernetes.io/ws carries a WebSocket: the client's upgrade reaches it, and
# a text frame and a binary frame come back echoed. infra-backend-v1's port
# 8082 (in the upstream base) is tests/e2e/websocket.py's echo here.
/usr/bin/python3 "$REPO/tests/e2e/websocket.py" serve "$WORK/ws-echo.port" 2>"$WORK/ws-echo.log" &
PIDS+=("$!")
PORT[ws-echo]=$(ready_port ws-echo)
app_protocol_route backend-protocol-ws third-port 8082 kubernetes.io/ws "${PORT[ws-echo]}" | apply
APPLY_RC=$?
echoed() {
	local got
	route_ok $INFRA/backend-protocol-ws || return 1
	got=$(timeout 20 /usr/bin/python3 "$REPO/tests/e2e/websocket.py" suite 8080 /ws 2>&1)
	[ "$got" = "ok 2" ] || { echo "websocket: $got"; return 1; }
}
tcase "websocket connection should reach backend" echoed
