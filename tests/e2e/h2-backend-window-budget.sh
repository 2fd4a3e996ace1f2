# Through an HTTP/2 backend, a client's streams grow their backend streams' windows only within its connection's budget (4 x maxBufferSize, 8 MiB): one gateway worker; client C opens 100 downloads of 50 MB on one HTTP/2 connection with a stream window of 256 KiB, reads what it is sent and never opens a window again. Each stream passes its 256 KiB on, and would grow its backend stream's window from 64 KiB to 256 KiB, which the gateway would then buffer: 100 x 256 KiB is 25 MiB (RSS grew by 26 MiB when windows grew without the budget). Held to the budget, the gateway buffers at most 100 x 64 KiB + 8 MiB: its RSS grows by less than 20 MiB (15 MiB measured). Then C goes away and a 20 MB download over HTTP/2 arrives whole.
. "$(dirname "$0")/lib.sh"

start_h2backend budget || { fail "h2backend did not start"; finish; }
cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - backends:
      - host: 127.0.0.1:$H2B_PORT
        policies:
          http: {version: HTTP/2.0}
YAML
start_engine copy -c "$WORK/config.yaml" --workers 1 || finish
# KiB. ASan's quarantine and padding: 40 MiB measured sanitized (the
# bound itself is the plain build's to show).
limit=20480
[ -z "${SG_SANITIZED:-}" ] || limit=57344
before=$(rss_kib)

# C: 100 streams, 256 KiB of window each and 64 MiB for the connection;
# reads, acknowledging nothing, until it has all 100 windows (at most 30 s:
# a loaded machine's Python takes seconds over 25 MiB of frames) and then
# 1 s more, in which a gateway sending past a window would be caught; writes
# the DATA bytes it got, and stays connected until the scenario says so.
cat >"$WORK/c.py" <<'PY'
import socket, sys, time
import h2.config, h2.connection, h2.events, h2.settings
s = socket.create_connection(("127.0.0.1", 8080), timeout=10)
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.local_settings = h2.settings.Settings(client=True, initial_values={
    h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 262144})
c.initiate_connection()
c.increment_flow_control_window(64 << 20)
for _ in range(100):
    c.send_headers(c.get_next_available_stream_id(),
                   [(":method", "GET"), (":path", "/x?size=50000000"),
                    (":scheme", "http"), (":authority", "a")], end_stream=True)
s.sendall(c.data_to_send())
got, end, full = 0, time.monotonic() + 30, None
s.settimeout(0.2)
while time.monotonic() < end:
    if full is None and got >= 100 * 262144:
        full = end = time.monotonic() + 1
    try:
        b = s.recv(1 << 20)
    except socket.timeout:
        continue
    if not b:
        break
    for ev in c.receive_data(b):
        if isinstance(ev, h2.events.DataReceived):
            got += len(ev.data)
    s.sendall(c.data_to_send())
open(sys.argv[1], "w").write("%d\n" % got)
sys.stdin.read()  # until the scenario closes the fifo
PY
mkfifo "$WORK/c-stop"
/usr/bin/python3 "$WORK/c.py" "$WORK/c-got" <"$WORK/c-stop" &
C_PID=$!
PIDS+=("$C_PID")
exec 7>"$WORK/c-stop"
for _ in $(seq 350); do [ -s "$WORK/c-got" ] && break; sleep 0.1; done
check "C received each stream's 256 KiB window" "$(cat "$WORK/c-got" 2>/dev/null)" \
	$((100 * 262144))
sleep 1 # the backend fills the windows C's streams grew
grown=$(($(rss_kib) - before))
[ "$grown" -lt "$limit" ] && pass "gateway RSS grew by ${grown} KiB with C's 100 streams" ||
	fail "gateway RSS grew by ${grown} KiB (want < $((limit / 1024)) MiB)"
exec 7>&-
wait "$C_PID"

want=$(pattern 20000000 | sha256_of)
out=$(curl -s --http2-prior-knowledge --max-time 20 -o "$WORK/d.bin" \
	-w '%{http_code} %{size_download}' "http://127.0.0.1:8080/x?size=20000000")
check "then a 20 MB download over HTTP/2 arrives whole" "$out $(sha256_of <"$WORK/d.bin")" \
	"200 20000000 $want"
stop_gateway
finish
