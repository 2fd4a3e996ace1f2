# An HTTP/2 header block begun and never finished is bounded by --request-head-timeout as an HTTP/1 head is: with 1s, a client that sends HEADERS without END_HEADERS and nothing more, or a HEADERS frame whose payload stops half way, gets GOAWAY ("request header timeout") and its connection closes about a second later (before, neither any timer nor the idle timeout, which waits for no stream, ended it); counted as a request_head timeout; a client that finishes its block within the bound (CONTINUATION after 0.5 s) is answered.
. "$(dirname "$0")/lib.sh"

start_backend head || finish
cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes: [{backends: [{host: 127.0.0.1:$BACKEND_PORT}]}]
YAML
start_gateway -c "$WORK/config.yaml" --request-head-timeout 1s || finish
wait_http http://127.0.0.1:8080/ || finish

# stall KIND: prints "goaway CODE DEBUG at SECONDS closed BOOL status S"
# (S "headers" once the answer's HEADERS came).
cat >"$WORK/stall.py" <<'PY'
import socket, struct, sys, time

kind = sys.argv[1]
def frame(ftype, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload
s = socket.create_connection(("127.0.0.1", 8080), timeout=10)
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(0x4, 0, 0, b""))
block = b"\x82\x86\x84\x41\x01a"  # GET http / :authority a (indexed, literal)
if kind == "no_end_headers":
    s.sendall(frame(0x1, 0x1, 1, block))  # END_STREAM, no END_HEADERS
elif kind == "half_payload":
    s.sendall(frame(0x1, 0x5, 1, block)[:9 + 3])
elif kind == "finished_late":
    s.sendall(frame(0x1, 0x1, 1, block[:3]))
    time.sleep(0.5)
    s.sendall(frame(0x9, 0x4, 1, block[3:]))
t0, got, code, debug, at, closed, status = time.monotonic(), b"", None, "", None, False, None
s.settimeout(0.2)
while time.monotonic() - t0 < 6 and not closed:
    try:
        d = s.recv(65536)
    except socket.timeout:
        continue
    except OSError:
        d = b""
    if not d:
        closed = True
        break
    got += d
    while len(got) >= 9:
        n = int.from_bytes(got[:3], "big")
        if len(got) < 9 + n:
            break
        ftype, flags, payload = got[3], got[4], got[9:9 + n]
        got = got[9 + n:]
        if ftype == 0x7 and code is None:
            code = int.from_bytes(payload[4:8], "big")
            debug = payload[8:].decode("latin-1")
            at = time.monotonic() - t0
        if ftype == 0x1 and status is None:
            status = "headers"  # the answer's head
    if kind == "finished_late" and status is not None:
        break
print("goaway %s %s at %s closed %s status %s" % (code, debug.replace(" ", "_"),
      "%.1f" % at if at is not None else None, closed, status))
PY
for kind in no_end_headers half_payload; do
	out=$(timeout 20 /usr/bin/python3 "$WORK/stall.py" "$kind")
	read -r _ code debug _ at _ closed _ <<<"$out"
	check "$kind: GOAWAY (NO_ERROR, request header timeout), then closed" \
		"$code $debug $closed" "0 request_header_timeout True"
	time_in "$at" 0.8 3.5 && pass "$kind: after ${at}s (bound 1s)" || fail "$kind: GOAWAY at '$at' s"
done
out=$(timeout 20 /usr/bin/python3 "$WORK/stall.py" finished_late)
check "a block finished within the bound is answered, no GOAWAY" \
	"$(awk '{ print $2, $NF }' <<<"$out")" "None headers"
n=$(curl -s http://127.0.0.1:15020/metrics |
	awk '$1 == "splicegate_timeouts_total{kind=\"request_head\"}" { print $2 }')
check "both counted as request_head timeouts" "$n" 2
stop_gateway
san_check
finish
