# A client that stops reading does not stall other clients sharing the worker's HTTP/2 backend connection (RFC 9113 5.2.2): one gateway worker, client A opens 90 downloads of 100 MB each over two HTTP/2 connections with a stream window of 0 and never reads; client B's 2 MB download then arrives whole within seconds, over HTTP/2 and HTTP/1.1 (before, ~64 stalled streams filled the backend connection's window and B got its head and no byte until A went away); A's buffered bytes stay bounded by its streams' first windows, 64 KiB each, as a stream that never reads never grows its backend stream's window (gateway RSS grows by less than 12 MiB: 90 x 64 KiB is 5.6 MiB; with the 256 KiB windows every stream had before, it grew by 24 MiB).
. "$(dirname "$0")/lib.sh"

start_h2backend slow || { fail "h2backend did not start"; finish; }
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
# KiB; sanitized, ASan's quarantine and padding: 18 MiB measured.
limit=12288
[ -z "${SG_SANITIZED:-}" ] || limit=32768
before=$(rss_kib)

# A: two connections that open 45 streams each and never grant a byte of
# window; it stays connected (stdin open) until the scenario says so.
cat >"$WORK/a.py" <<'PY'
import socket, sys
import h2.config, h2.connection, h2.settings
conns = []
for _ in range(2):
    s = socket.create_connection(("127.0.0.1", 8080), timeout=10)
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    c.local_settings = h2.settings.Settings(client=True, initial_values={
        h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    c.initiate_connection()
    for _ in range(45):
        c.send_headers(c.get_next_available_stream_id(),
                       [(":method", "GET"), (":path", "/x?size=100000000"),
                        (":scheme", "http"), (":authority", "a")], end_stream=True)
    s.sendall(c.data_to_send())
    conns.append(s)
open(sys.argv[1], "w").write("ready\n")
sys.stdin.read()  # until the scenario closes the fifo
PY
mkfifo "$WORK/a-stop"
/usr/bin/python3 "$WORK/a.py" "$WORK/a-ready" <"$WORK/a-stop" &
A_PID=$!
PIDS+=("$A_PID")
exec 7>"$WORK/a-stop"
for _ in $(seq 50); do [ -s "$WORK/a-ready" ] && break; sleep 0.1; done
sleep 2 # the backend fills every stream window A's streams have

want=$(pattern 2000000 | sha256_of)
for v in --http2-prior-knowledge --http1.1; do
	out=$(curl -s "$v" --max-time 10 -o "$WORK/b.bin" -w '%{http_code} %{size_download}' \
		"http://127.0.0.1:8080/x?size=2000000")
	check "while A stalls 90 streams, B's 2 MB download ($v) arrives whole" \
		"$out $(sha256_of <"$WORK/b.bin")" "200 2000000 $want"
done
grown=$(($(rss_kib) - before))
[ "$grown" -lt "$limit" ] && pass "gateway RSS grew by ${grown} KiB with A's 90 stalled streams" ||
	fail "gateway RSS grew by ${grown} KiB (want < $((limit / 1024)) MiB)"
exec 7>&-
wait "$A_PID"
stop_gateway
finish
