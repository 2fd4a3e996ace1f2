# HTTP/2 floods of frames that make no progress (CVE-2019-9513 and -9518): a client that sends 20,000 PRIORITY frames, or 20,000 WINDOW_UPDATEs with nothing sent to it, or 2,000 empty DATA frames on one stream, or a header block that goes on in CONTINUATION frames past the 8 nghttp2 takes (CVE-2024-28182; before, the connection closed without a GOAWAY), gets GOAWAY(ENHANCE_YOUR_CALM) and its connection closes, each counted in /metrics as an h2_frame_flood; clients that work hard within reason are not cut: nghttp downloads 16 MiB with a 64 KiB window (a WINDOW_UPDATE every few DATA frames) byte-exact, h2load makes 2,000 requests over 100 streams, and the gateway serves on.
. "$(dirname "$0")/lib.sh"

start_backend flood || finish
cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes: [{backends: [{host: 127.0.0.1:$BACKEND_PORT}]}]
YAML
start_engine copy -c "$WORK/config.yaml" || finish

# flood KIND: prints "goaway CODE" (the gateway's GOAWAY, and that the
# connection then closed) or what happened instead.
cat >"$WORK/flood.py" <<'PY'
import socket, struct, sys, time
import h2.config, h2.connection, h2.events

kind = sys.argv[1]
s = socket.create_connection(("127.0.0.1", 8080), timeout=10)
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
c.send_headers(1, [(":method", "POST"), (":path", "/upload"), (":scheme", "http"),
                   (":authority", "a")], end_stream=False)
s.sendall(c.data_to_send())

def frame(ftype, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload

one = {"priority": frame(0x2, 0, 3, b"\0\0\0\0\x10"),
       "window_update": frame(0x8, 0, 0, b"\0\0\0\x01"),
       "empty_data": frame(0x0, 0, 1, b""),
       # a header block (GET, no END_HEADERS) on stream 3 that goes on in
       # CONTINUATIONs of one indexed field each, never ending
       "continuation": frame(0x9, 0, 3, b"\x84")}[kind]
count = {"empty_data": 2000, "continuation": 500}.get(kind, 20000)
if kind == "continuation":
    s.sendall(frame(0x1, 0, 3, b"\x82\x86\x84"))
got, code, closed = b"", None, False
try:
    for i in range(0, count, 500):
        s.sendall(one * 500)
except OSError:
    pass
deadline = time.monotonic() + 5
s.settimeout(1)
while time.monotonic() < deadline:
    try:
        d = s.recv(65536)
    except socket.timeout:
        continue
    except OSError:
        closed = True
        break
    if not d:
        closed = True
        break
    for e in c.receive_data(d):
        if isinstance(e, h2.events.ConnectionTerminated):
            code = int(e.error_code)
print("goaway %s closed %s" % (code, closed))
PY
for kind in priority window_update empty_data continuation; do
	check "$kind flood: GOAWAY ENHANCE_YOUR_CALM (11), then closed" \
		"$(timeout 20 /usr/bin/python3 "$WORK/flood.py" "$kind" 2>&1 | tail -1)" "goaway 11 closed True"
done
n=$(curl -s http://127.0.0.1:15020/metrics |
	awk '$1 == "splicegate_connections_refused_total{reason=\"h2_frame_flood\"}" { print $2 }')
check "each flood counted as an h2_frame_flood" "$n" 4

# Heavy but honest clients.
out=$(timeout 30 nghttp -w 16 -W 16 "http://127.0.0.1:8080/?size=16777216" | sha256_of)
check "nghttp: 16 MiB through a 64 KiB window, byte-exact" "$out" "$(pattern 16777216 | sha256_of)"
out=$(timeout 60 h2load -n 2000 -c 4 -m 25 "http://127.0.0.1:8080/h2load" 2>&1)
grep -q "requests: 2000 total, 2000 started, 2000 done, 2000 succeeded" <<<"$out" &&
	pass "h2load: 2000 of 2000 over 100 streams" || fail "h2load: $(grep requests: <<<"$out")"
check "no honest client was cut" "$(curl -s http://127.0.0.1:15020/metrics |
	awk '$1 == "splicegate_connections_refused_total{reason=\"h2_frame_flood\"}" { print $2 }')" 4
stop_gateway
san_check
finish
