# A request the gateway answers itself (404 route not found, a filter's direct response) followed at once by the next request on the same keep-alive connection, 40 times in every engine: every answer arrives and the gateway keeps running (the next head used to be parsed into the request state the first answer had released: a crash one time in five). A HEAD the gateway answers itself (404, 503 of a refused connect, a direct response) gets the head alone, byte for byte, and the next response on the connection starts right after it (the 404 and 503 bodies used to follow the head and be read as the next status line); over HTTP/2 its HEADERS end the stream with no DATA. A direct response of 204 sends neither its configured body nor a Content-Length, over HTTP/1 (the body used to follow and be read as the next response) and HTTP/2 (the stream used to be malformed).
. "$(dirname "$0")/lib.sh"

cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: refused
      matches: [{path: {pathPrefix: /refused}}]
      backends: [{host: 127.0.0.1:$(free_port)}]
    - name: direct
      matches: [{path: {pathPrefix: /direct}}]
      policies:
        directResponse: {body: "here", status: 200}
    - name: nocontent
      matches: [{path: {pathPrefix: /nocontent}}]
      policies:
        directResponse: {body: "xyz", status: 204}
YAML

for engine in $(engines); do
	start_engine "$engine" -c "$WORK/config.yaml" || {
		fail "$engine: gateway did not start"
		continue
	}
	got=""
	for _ in $(seq 40); do
		got="$got$(curl -s --max-time 5 -o /dev/null -w '%{http_code} ' \
			-o /dev/null http://127.0.0.1:8080/missing http://127.0.0.1:8080/direct)"
	done
	check "$engine: 40 x (404, then 200 on the same connection)" \
		"$(tr ' ' '\n' <<<"$got" | grep . | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" \
		"200:40 404:40 "
	# One connection: three HEADs the gateway answers, then a GET. Prints
	# each response's status line and what followed its head before the
	# next status line.
	out=$(timeout 20 /usr/bin/python3 - <<'PY'
import socket
s = socket.create_connection(("127.0.0.1", 8080), timeout=10)
reqs = [b"HEAD /missing", b"HEAD /refused", b"HEAD /direct", b"GET /nocontent",
        b"HEAD /nocontent", b"GET /direct"]
s.sendall(b"".join(r + b" HTTP/1.1\r\nHost: a\r\n\r\n" for r in reqs))
data = b""
while data.count(b"HTTP/1.1 ") < 6 or not data.endswith(b"here"):
    d = s.recv(65536)
    if not d:
        break
    data += d
for part in data.split(b"HTTP/1.1 ")[1:]:
    head, _, rest = part.partition(b"\r\n\r\n")
    length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
    print(head.split(b"\r\n")[0].decode(), length[0].decode() if length else "-",
          "body=%r" % rest.decode())
PY
)
	# A 204 has no content (RFC 9110 §15.3.5): its configured body is not
	# sent, nor a Content-Length (the body once followed it, to be read
	# as the next response).
	check "$engine: HEADs answered by the gateway carry the head alone, a 204 no body, then the GET's answer" \
		"$out" "404 Not Found content-length: 15 body=''
503 Service Unavailable content-length: 49 body=''
200 OK content-length: 4 body=''
204 No Content - body=''
204 No Content - body=''
200 OK content-length: 4 body='here'"
	# An HTTP/1.0 client that asked for keep-alive is told so by the
	# gateway's own answers too, and is served on the same connection.
	out=$(printf 'GET /missing HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /direct HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' |
		raw_http 8080 GET,GET 0.3)
	check "$engine: HTTP/1.0 keep-alive: 404 and direct response say keep-alive on one connection" \
		"$(jq -r '[.responses[] | "\(.status) \(.headers.connection)"] | join(", ")' <<<"$out")" \
		"404 keep-alive, 200 keep-alive"
	if kill -0 "$GW_PID" 2>/dev/null; then
		pass "$engine: the gateway is still running"
	else
		fail "$engine: the gateway died"
	fi
	stop_gateway
done

# HTTP/2: a HEAD the gateway answers ends with its HEADERS, no DATA.
start_engine copy -c "$WORK/config.yaml" || finish
out=$(timeout 20 /usr/bin/python3 - <<'PY'
import socket
import h2.config, h2.connection, h2.events
s = socket.create_connection(("127.0.0.1", 8080), timeout=10)
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
ids = {}
for method, path in (("HEAD", "/missing"), ("HEAD", "/refused"), ("HEAD", "/direct"),
                     ("GET", "/nocontent")):
    sid = c.get_next_available_stream_id()
    ids[sid] = path
    c.send_headers(sid, [(":method", method), (":path", path), (":scheme", "http"),
                         (":authority", "a")], end_stream=True)
s.sendall(c.data_to_send())
got, done = {}, set()
while len(done) < len(ids):
    d = s.recv(65536)
    if not d:
        break
    for e in c.receive_data(d):
        if isinstance(e, h2.events.ResponseReceived):
            h = dict(e.headers)
            got[e.stream_id] = [h[b":status"].decode(), 0,
                                h.get(b"content-length", b"-").decode()]
        elif isinstance(e, h2.events.DataReceived):
            got[e.stream_id][1] += len(e.data)
        elif isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)):
            done.add(e.stream_id)
    s.sendall(c.data_to_send())
for sid in sorted(ids):
    print(ids[sid], *got.get(sid, ["none", 0, "-"]))
PY
)
check "HTTP/2 HEADs answered by the gateway and a 204: no DATA bytes (the 204 was malformed)" \
	"$out" "/missing 404 0 15
/refused 503 0 49
/direct 200 0 4
/nocontent 204 0 -"
stop_gateway
finish
