# request.body in CEL and a request body transformation: a route whose
# transformation rewrites a JSON body sends the backend exactly the new
# bytes with their Content-Length (no Transfer-Encoding), whether the
# client framed it with a length or chunks, to an HTTP/1 backend and to
# an HTTP/2 one, over HTTP/1 and HTTP/2 (one
# HTTP/2 request with no content-length); an authorization rule on
# request.body lets alice's body through (the backend gets it unchanged)
# and answers bob's 403; a body over maxBufferSize on such a route gets
# 413 "payload too large" (declared, chunked, or an HTTP/2 body with no
# length), while a route reading no body forwards it; the bodies one
# HTTP/2 connection holds together stay within 4 x maxBufferSize (the
# stream past it is refused, REFUSED_STREAM); a request pipelined
# after a held chunked body is served; a body that grows the connection's
# buffer leaves the normalised path as it was (the backend never gets the
# client's raw one). config_dump prints the body
# expression; request.body in a gateway-phase (listener) authorization
# rule is refused by name; a delay reading request.body waits by the
# body held for it. (Response bodies: http-cel-response-body.)
. "$(dirname "$0")/lib.sh"

start_httpbin
HB=$HTTPBIN_PORT
start_h2backend h2b || { fail "h2backend did not start"; finish; }
H2B=$H2B_PORT
u=http://127.0.0.1:8080
J="content-type: application/json"

cat >"$WORK/cfg.yaml" <<YAML
frontendPolicies:
  http: {maxBufferSize: 4096}
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: body
      matches: [{path: {pathPrefix: /anything/body}}]
      policies:
        transformations:
          request:
            set:
              x-model: json(request.body).model
            body: 'toJson({"model": json(request.body).model + "-v2", "n": size(request.body)})'
      backends: [{host: 127.0.0.1:$HB}]
    - name: h2
      matches: [{path: {pathPrefix: /h2}}]
      policies:
        transformations:
          request:
            body: 'toJson({"model": json(request.body).model + "-v2", "n": size(request.body)})'
      backends:
      - host: 127.0.0.1:$H2B
        policies:
          http: {version: HTTP/2.0}
    - name: authz
      matches: [{path: {pathPrefix: /anything/authz}}]
      policies:
        authorization:
          rules: ['json(request.body).user == "alice"']
      backends: [{host: 127.0.0.1:$HB}]
    - name: delay
      matches: [{path: {pathPrefix: /anything/delay}}]
      policies:
        delay: {duration: 'size(request.body) > 10 ? 600 : 0'}
      backends: [{host: 127.0.0.1:$HB}]
    - name: plain
      backends: [{host: 127.0.0.1:$HB}]
YAML
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

# seen: what httpbin received: its body, Content-Length, Transfer-Encoding
# and x-model, one line.
seen() {
	jq -c '[.data, .headers["Content-Length"], .headers["Transfer-Encoding"], .headers["X-Model"]]' \
		<<<"$H_BODY" 2>/dev/null
}

WANT_SHA=$(printf '%s' '{"model":"gpt-v2","n":21}' | sha256_of)
for how in "HTTP/1 length" "HTTP/1 chunked" "HTTP/2"; do
	case $how in
	"HTTP/1 length") args=() ;;
	"HTTP/1 chunked") args=(-H "transfer-encoding: chunked") ;;
	"HTTP/2") args=(--http2-prior-knowledge) ;;
	esac
	hcall "${args[@]}" -H "$J" -d '{"model":"gpt","x":1}' "$u/anything/body"
	check "$how: transformed: 200" "$H_CODE" 200
	check "$how: the backend got the new body, its length, no chunks, a header from the old" \
		"$(seen)" '["{\"model\":\"gpt-v2\",\"n\":21}","25",null,"gpt"]'
	hcall "${args[@]}" -H "$J" -d '{"model":"gpt","x":1}' "$u/h2/x"
	check "$how: to an HTTP/2 backend: the new body, its content-length" \
		"$H_CODE $(jq -c '[.body_bytes, .sha256, [.headers[] | select(.[0] == "content-length" or .[0] == "transfer-encoding")]]' <<<"$H_BODY")" \
		"200 [25,\"$WANT_SHA\",[[\"content-length\",\"25\"]]]"
	hcall "${args[@]}" -H "$J" -d '{"user":"alice"}' "$u/anything/authz"
	check "$how: authorized by request.body: 200" "$H_CODE" 200
	check "$how: the backend got the body as it came" "$(seen)" '["{\"user\":\"alice\"}","16",null,null]'
	hcall "${args[@]}" -H "$J" -d '{"user":"bob"}' "$u/anything/authz"
	expect "$how: refused by request.body" 403 "authorization failed"
	hcall "${args[@]}" -H "$J" -d '{"user":"carol"}' "$u/anything/delay"
	t=$H_TIME
	check "$how: a delay over request.body (16 bytes: 600 ms): the body as it came" \
		"$H_CODE $(seen)" '200 ["{\"user\":\"carol\"}","16",null,null]'
	time_in "$t" 0.55 5 && pass "$how: delayed by its body (${t}s)" ||
		fail "$how: a delay reading request.body did not wait: ${t}s"
	hcall "${args[@]}" -H "$J" -d '{}' "$u/anything/delay"
	time_in "$H_TIME" 0 0.5 && pass "$how: a short body, no delay (${H_TIME}s)" ||
		fail "$how: a 2-byte body waited ${H_TIME}s"
done

# A held body that grows the connection's buffer (head and body past its
# first 4 KiB) keeps what was made of the head: the path normalised for
# routing is the one the backend gets (httpbin answers 404 to the raw one).
printf '{"user":"alice","pad":"%s"}' "$(head -c 4000 /dev/zero | tr '\0' x)" >"$WORK/alice"
hcall --path-as-is -H "$J" --data-binary @"$WORK/alice" "$u/x/../anything/authz"
check "HTTP/1: a held body past the first buffer: the normalised path goes on" \
	"$H_CODE $(jq -r .url <<<"$H_BODY")" "200 http://127.0.0.1:8080/anything/authz"
hcall --path-as-is -H "$J" --data-binary @"$WORK/alice" "$u/x/../anything/plain"
check "HTTP/1: a body kept for retries past the first buffer: the same" \
	"$H_CODE $(jq -r .url <<<"$H_BODY")" "200 http://127.0.0.1:8080/anything/plain"

head -c 5000 /dev/zero | tr '\0' a >"$WORK/big"
hcall --data-binary @"$WORK/big" "$u/anything/authz"
expect "HTTP/1: a declared length over maxBufferSize" 413 "payload too large"
hcall -H "transfer-encoding: chunked" --data-binary @"$WORK/big" "$u/anything/authz"
expect "HTTP/1: a chunked body over maxBufferSize" 413 "payload too large"
hcall --http2-prior-knowledge --data-binary @"$WORK/big" "$u/anything/body"
expect "HTTP/2: a declared length over maxBufferSize" 413 "payload too large"
hcall -H "$J" --data-binary @"$WORK/big" "$u/anything/plain"
check "a route reading no body forwards a larger one" "$H_CODE $(jq -r '.data | length' <<<"$H_BODY")" \
	"200 5000"

# HTTP/2 with no content-length: the body is bounded as it comes.
h2post() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, socket, sys
import h2.config, h2.connection, h2.events
path, size = sys.argv[1], int(sys.argv[2])
body = b'{"model":"gpt","x":1}' if size < 0 else b"a" * size
s = socket.create_connection(("127.0.0.1", 8080), timeout=10)
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
c.send_headers(1, [(":method", "POST"), (":path", path), (":scheme", "http"),
                   (":authority", "x"), ("content-type", "application/json")])
for i in range(0, len(body), 1000):
    c.send_data(1, body[i:i + 1000])
c.end_stream(1)
s.sendall(c.data_to_send())
status, data, done = None, b"", False
while not done:
    d = s.recv(65536)
    if not d:
        break
    for e in c.receive_data(d):
        if isinstance(e, h2.events.ResponseReceived):
            status = dict(e.headers)[b":status"].decode()
        elif isinstance(e, h2.events.DataReceived):
            data += e.data
            c.acknowledge_received_data(len(e.data), 1)
        elif isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)):
            done = True
    s.sendall(c.data_to_send())
print(status, data.decode())
PY
}
out=$(h2post /anything/body -1)
check "HTTP/2 without content-length: transformed" "${out%% *} $(jq -c '[.data, .headers["Content-Length"]]' <<<"${out#* }")" \
	'200 ["{\"model\":\"gpt-v2\",\"n\":21}","25"]'
out=$(h2post /anything/authz 5000)
check "HTTP/2 without content-length, over maxBufferSize" "$out" "413 payload too large"

# Held bodies of one HTTP/2 connection, together, stay within its budget
# (4 x maxBufferSize): five streams each holding 4000 bytes, not ended, are
# 20000 bytes; the fifth is refused (RST_STREAM REFUSED_STREAM, 7), and the
# four others, once ended, are answered.
out=$(/usr/bin/python3 - <<'PY'
import json, socket
import h2.config, h2.connection, h2.events
s = socket.create_connection(("127.0.0.1", 8080), timeout=10)
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
c.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20})
ids = [1, 3, 5, 7, 9]
body = b'{"user":"alice","pad":"' + b"x" * 3975 + b'"}'
for i in ids:
    c.send_headers(i, [(":method", "POST"), (":path", "/anything/authz"), (":scheme", "http"),
                       (":authority", "x"), ("content-type", "application/json")])
    c.send_data(i, body)
s.sendall(c.data_to_send())
status, reset, ended = {}, {}, set()
def pump(until):
    while not until():
        d = s.recv(65536)
        if not d:
            return
        for e in c.receive_data(d):
            if isinstance(e, h2.events.ResponseReceived):
                status[e.stream_id] = dict(e.headers)[b":status"].decode()
            elif isinstance(e, h2.events.DataReceived):
                c.acknowledge_received_data(len(e.data), e.stream_id)
            elif isinstance(e, h2.events.StreamReset):
                reset[e.stream_id] = int(e.error_code)
            elif isinstance(e, h2.events.StreamEnded):
                ended.add(e.stream_id)
        s.sendall(c.data_to_send())
pump(lambda: reset)
for i in ids:
    if i not in reset:
        c.end_stream(i)
s.sendall(c.data_to_send())
pump(lambda: len(ended) + len(reset) >= len(ids))
print(json.dumps({"reset": reset, "status": status}, sort_keys=True))
PY
)
check "HTTP/2: the connection's held bodies stay within its budget" "$out" \
	'{"reset": {"9": 7}, "status": {"1": "200", "3": "200", "5": "200", "7": "200"}}'

# A request pipelined behind a held chunked body is the next one.
out=$(/usr/bin/python3 - <<'PY'
import socket, time
s = socket.create_connection(("127.0.0.1", 8080), timeout=10)
b = b'{"model":"gpt","x":1}'
s.sendall(b"POST /anything/body HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
          b"transfer-encoding: chunked\r\n\r\n5\r\n" + b[:5] + b"\r\n" +
          (b"%x\r\n" % (len(b) - 5)) + b[5:] + b"\r\n0\r\n\r\n"
          b"GET /anything/plain HTTP/1.1\r\nHost: x\r\nconnection: close\r\n\r\n")
got = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    got += d
t = got.decode()
print(t.count("HTTP/1.1 200"), '"data":"{\\"model\\":\\"gpt-v2\\",\\"n\\":21}"' in t,
      '"url":"http://x/anything/plain"' in t)
PY
)
check "HTTP/1: a request pipelined after a held chunked body" "$out" "2 True True"

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.binds[0].listeners[].routes[] | select(.name == "body") | .inlinePolicies[0].transformations.request.body]')
check "config_dump: the body expression" "$got" \
	'["toJson({\"model\": json(request.body).model + \"-v2\", \"n\": size(request.body)})"]'

cat >"$WORK/bad.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    policies:
      authorization: {rules: ['json(request.body).user == "alice"']}
    routes:
    - backends: [{host: 127.0.0.1:$HB}]
YAML
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "check refuses request.body in a listener's authorization: exit 1" "$?" 1
check "by name" \
	"$(grep -c "authorization: request.body is not supported in the gateway phase" "$WORK/err")" 1
stop_gateway
finish
