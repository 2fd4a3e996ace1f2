# A route's timeout.responseIdleTimeout (1 s here; --body-idle-timeout stays at its 5 min default): in every engine a backend that sends the head and half a body then stalls is cut about 1 s after its last byte (status already sent, so the client sees a short body and the close), one that trickles a byte every 500 ms is not cut, a request body the client stops sending gets 408 "request body timeout" about 1 s after its last byte; in sockmap 1 GiB moved by the kernel completes whole; over HTTP/2 (prior knowledge) the stalled stream is reset at about 1 s while a trickling stream on the same connection completes; each cut counts in splicegate_timeouts_total{kind="response_idle"}; config_dump shows the key.
. "$(dirname "$0")/lib.sh"

start_backend idle
B=$BACKEND_PORT
G=http://127.0.0.1:8080

cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: idle
      policies:
        timeout: {requestTimeout: 60s, responseIdleTimeout: 1s}
      backends: [{host: 127.0.0.1:$B}]
YAML

# stalled_body: a POST promising 100 bytes that sends 3, then nothing.
# Prints the status line and the seconds from the last byte to the close.
stalled_body() {
	/usr/bin/python3 - <<'PY'
import socket, time
s = socket.create_connection(("127.0.0.1", 8080))
s.settimeout(6)
s.sendall(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc")
t = time.monotonic()
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except socket.timeout:
    data += b" (still open)"
except ConnectionResetError:
    pass
print("%s|%.2f" % (data.split(b"\r\n")[0].decode(), time.monotonic() - t))
PY
}

for engine in $(engines); do
	start_gateway -c "$WORK/config.yaml" --splice "$engine" || exit 1

	res=$(curl -s -o "$WORK/stalled" -w '%{http_code} %{size_download} %{time_total}' \
		--max-time 8 "$G/x?mode=stall&size=2000000&stall=10s")
	read -r code got took <<<"$res"
	if [ "$code" = 200 ] && [ "$got" -lt 2000000 ] && time_in "$took" 0.9 2.5; then
		pass "[$engine] stalled response body cut: $got of 2000000 bytes, ${took}s"
	else
		fail "[$engine] stalled response body: $res (want 200, short, 0.9-2.5 s)"
	fi

	res=$(curl -s -o "$WORK/trickled" -w '%{http_code} %{size_download} %{time_total}' \
		--max-time 10 "$G/x?mode=trickle&size=6&every=500ms")
	read -r code got took <<<"$res"
	if [ "$code" = 200 ] && [ "$got" = 6 ] && time_in "$took" 2.9 10; then
		pass "[$engine] a body trickling a byte every 500 ms is not cut (6 bytes in ${took}s)"
	else
		fail "[$engine] trickle: $res (want 200 6, >= 3 s)"
	fi

	res=$(stalled_body)
	if [[ "$res" == "HTTP/1.1 408 Request Timeout|"* ]] && time_in "${res##*|}" 0.9 2; then
		pass "[$engine] stalled request body: $res"
	else
		fail "[$engine] stalled request body: $res (want 408 after 0.9-2 s)"
	fi

	if [ "$engine" = sockmap ]; then
		# Read at 256 MB/s, so the body takes about 4 s: the watchdog
		# checks several times while only the kernel moves bytes (its
		# per-socket activity stamps keep the body alive).
		res=$(curl -s -o /dev/null --limit-rate 256M -w '%{http_code} %{size_download} %{time_total}' \
			--max-time 60 "$G/x?size=1073741824")
		read -r code got took <<<"$res"
		n=$(curl -s http://127.0.0.1:15020/metrics |
			awk '/^splicegate_body_bytes_total\{engine="sockmap"\}/{print $2}')
		if [ "$code" = 200 ] && [ "$got" = 1073741824 ] && time_in "$took" 2 60 &&
			[ "${n:-0}" -ge 1000000000 ]; then
			pass "[$engine] 1 GiB through a 1 s responseIdleTimeout completes in ${took}s ($n bytes by the kernel)"
		else
			fail "[$engine] 1 GiB download: $res, sockmap bytes '$n'"
		fi
	fi

	n=$(curl -s http://127.0.0.1:15020/metrics |
		awk '/^splicegate_timeouts_total\{kind="response_idle"\}/{print $2}')
	[ "${n:-0}" -ge 2 ] && pass "[$engine] response_idle timeouts counted ($n)" ||
		fail "[$engine] response_idle counter: '$n' (want >= 2)"
	stop_gateway
done

start_gateway -c "$WORK/config.yaml" || exit 1
dump=$(curl -s http://127.0.0.1:15000/config_dump)
got=$(jq -c '[.. | objects | select(has("responseIdleTimeout")) | .responseIdleTimeout]' <<<"$dump")
check "config_dump shows timeout.responseIdleTimeout" "$got" '["1s"]'

# HTTP/2: both requests on one connection; the stalled one is reset, the
# trickling one completes.
timeout 10 nghttp -v "$G/x?mode=stall&size=2000000&stall=10s" "$G/x?mode=trickle&size=6&every=500ms" \
	>"$WORK/h2.out" 2>&1
rst=$(sed -n 's/^\[ *\([0-9.]*\)\] recv RST_STREAM frame .*stream_id=\([0-9]*\)>.*/\2 \1/p' "$WORK/h2.out" | head -1)
ended=$(grep -c 'recv DATA frame <length=[0-9]*, flags=0x01' "$WORK/h2.out")
trickled=$(grep -c 'recv DATA frame <length=1, ' "$WORK/h2.out")
if [ -n "$rst" ] && time_in "${rst##* }" 0.9 2.5 && [ "$ended" = 1 ] && [ "$trickled" = 6 ]; then
	pass "h2: stalled stream ${rst% *} reset at ${rst##* }s, the trickling one completed (6 bytes)"
else
	fail "h2: reset '$rst', streams ended $ended, trickled DATA frames $trickled"
	grep -E 'RST_STREAM|recv DATA|:status' "$WORK/h2.out" | head -20
fi
n=$(curl -s http://127.0.0.1:15020/metrics |
	awk '/^splicegate_timeouts_total\{kind="response_idle"\}/{print $2}')
check "h2: the reset counted as response_idle" "$n" 1
stop_gateway
finish
