# WebSocket through an HTTP route, every engine: a client that checks the opening handshake as browsers do (RFC 6455 4.1: 101, Upgrade: websocket, Connection: Upgrade, the backend's Sec-WebSocket-Accept) gets it from the gateway (the 101 went out without Upgrade and Connection, and browsers refused it), then 200 masked frames of 1 KiB and 5 of 256 KiB come back echoed byte for byte, and a close frame is answered; 20 such clients at once.
. "$(dirname "$0")/lib.sh"

/usr/bin/python3 "$E2E_DIR/websocket.py" serve "$WORK/ws.port" >"$WORK/ws.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do [ -s "$WORK/ws.port" ] && break; sleep 0.05; done
WS=$(cat "$WORK/ws.port")
cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes: [{backends: [{host: 127.0.0.1:$WS}]}]
YAML
check "direct to the backend, the client's checks pass" \
	"$(timeout 20 /usr/bin/python3 "$E2E_DIR/websocket.py" client "$WS" 3 100)" "ok 3"
for engine in $(engines); do
	start_engine "$engine" -c "$WORK/config.yaml" || continue
	check "$engine: handshake as browsers check it, 200 frames of 1 KiB echoed" \
		"$(timeout 30 /usr/bin/python3 "$E2E_DIR/websocket.py" client 8080 200 1024)" "ok 200"
	check "$engine: 5 frames of 256 KiB echoed" \
		"$(timeout 30 /usr/bin/python3 "$E2E_DIR/websocket.py" client 8080 5 262144)" "ok 5"
	mkdir -p "$WORK/many"
	clients=()
	for i in $(seq 20); do
		timeout 30 /usr/bin/python3 "$E2E_DIR/websocket.py" client 8080 20 4096 >"$WORK/many/$i" &
		clients+=("$!")
	done
	wait "${clients[@]}"
	check "$engine: 20 clients at once" \
		"$(cat "$WORK"/many/* | sort | uniq -c | awk '{print $1, $2, $3}')" "20 ok 20"
	rm -rf "$WORK/many"
	stop_gateway
done
san_check
finish
