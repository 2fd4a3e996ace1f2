# response.body in CEL and a response body transformation: a route whose
# response transformation reads the body holds the response whole and
# the client gets exactly the new bytes with their Content-Length (no
# Transfer-Encoding), whether the backend framed it with a length, chunks
# or its close, over HTTP/1 from an HTTP/1 backend and an HTTP/2 one, and
# over HTTP/2 from both; header expressions read the body too. Past the
# listener's maxBufferSize the response goes as it came (as agentgateway:
# response.body absent, response.bodyPrefix its first maxBufferSize
# bytes), declared or chunked (to an HTTP/1.0 client as the data and its
# close), except that a body transformation still replaces it; and it is
# read from the backend only as the client takes it (64 MiB to a client
# that waits 2 s grow the gateway's memory by under 16 MiB). A body the backend cuts short is answered 503; a HEAD
# request's response (its response.body empty bytes) and a route that
# reads no body are not held.
# config_dump prints the response body expression.
. "$(dirname "$0")/lib.sh"

start_backend v1
B=$BACKEND_PORT
start_h2backend h2b || { fail "h2backend did not start"; finish; }
H2B=$H2B_PORT
u=http://127.0.0.1:8080

REWRITE='
        transformations:
          response:
            set:
              x-method: json(response.body).method
              x-size: string(size(response.body))
            body: '"'"'toJson({"method": json(response.body).method, "path": json(response.body).path})'"'"
cat >"$WORK/cfg.yaml" <<YAML
frontendPolicies:
  http: {maxBufferSize: 4096}
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: rewrite
      matches: [{path: {pathPrefix: /h1}}]
      policies:$REWRITE
      backends: [{host: 127.0.0.1:$B}]
    - name: rewrite-h2
      matches: [{path: {pathPrefix: /h2}}]
      policies:$REWRITE
      backends:
      - host: 127.0.0.1:$H2B
        policies:
          http: {version: HTTP/2.0}
    - name: peek
      matches: [{path: {pathPrefix: /peek}}]
      policies:
        transformations:
          response:
            set:
              x-size: string(size(response.body))
              x-prefix: string(size(response.bodyPrefix))
      backends: [{host: 127.0.0.1:$B}]
    - name: replace
      matches: [{path: {pathPrefix: /replace}}]
      policies:
        transformations:
          response:
            body: '"n=" + string(size(response.bodyPrefix))'
      backends: [{host: 127.0.0.1:$B}]
    - name: plain
      backends: [{host: 127.0.0.1:$B}]
YAML
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

# framing: what the client was told of the body's length: its
# Content-Length, and "chunked" when it came in chunks.
framing() {
	echo "$(resp_header content-length) $(resp_header transfer-encoding)"
}

# bcall CURL-ARGS...: hcall for a binary body, left in $WORK/body (H_BODY
# not set: the shell cannot hold its NUL bytes).
bcall() {
	H_HEADERS=$WORK/headers
	H_CODE=$(curl -s -o "$WORK/body" -D "$H_HEADERS" -w '%{http_code}' --max-time 20 "$@")
}

# pattern_sha N: SHA-256 of sgbackend's N pattern bytes.
pattern_sha() {
	/usr/bin/python3 -c 'import hashlib, sys; n = int(sys.argv[1]); print(hashlib.sha256(bytes(i % 251 for i in range(n))).hexdigest())' "$1"
}
SHA5000=$(pattern_sha 5000)
SHA100=$(pattern_sha 100)

for client in HTTP/1.1 HTTP/2; do
	case $client in
	HTTP/1.1) args=() ;;
	HTTP/2) args=(--http2-prior-knowledge) ;;
	esac
	for how in "length:/h1/a" "chunks:/h1/a?mode=chunked&chunk=7" "close:/h1/a?mode=closedelim" \
		"HTTP/2 backend:/h2/a"; do
		what="$client, $how"
		path=${how#*:}
		want="{\"method\":\"GET\",\"path\":\"$path\"}"
		hcall "${args[@]}" "$u$path"
		check "$what: 200" "$H_CODE" 200
		check "$what: the new body, exactly" "$H_BODY" "$want"
		check "$what: its Content-Length, no chunks" "$(framing)" "${#want} "
		check "$what: a header from the body" "$(resp_header x-method)" GET
		size=$(resp_header x-size)
		check "$what: response.body was the whole echo" "$([ "${size:-0}" -gt 100 ] && echo yes)" yes
	done

	# past maxBufferSize: as it came, bodyPrefix its first 4096 bytes
	for how in "length:" "chunks:&mode=chunked&chunk=1000"; do
		what="$client, past maxBufferSize, $how"
		bcall "${args[@]}" "$u/peek/a?size=5000${how#*:}"
		check "$what: 200, the body as it came" \
			"$H_CODE $(sha256_of <"$WORK/body")" "200 $SHA5000"
		check "$what: response.body absent, bodyPrefix 4096 bytes" \
			"[$(resp_header x-size)] $(resp_header x-prefix)" "[] 4096"
	done
	bcall "${args[@]}" "$u/peek/a?size=5000"
	check "$client: a declared length past the bound keeps it" "$(framing)" "5000 "
	if [ "$client" = HTTP/1.1 ]; then
		bcall "$u/peek/a?size=5000&mode=chunked&chunk=1000"
		check "$client: chunks past the bound stay chunks" "$(framing)" " chunked"
	fi
	bcall "${args[@]}" "$u/peek/a?size=100&mode=chunked&chunk=30"
	check "$client: within the bound: held, body as it came, its length" \
		"$H_CODE $(sha256_of <"$WORK/body") $(framing) $(resp_header x-size) $(resp_header x-prefix)" \
		"200 $SHA100 100  100 100"

	hcall "${args[@]}" "$u/replace/a?size=5000&mode=chunked&chunk=1000"
	check "$client: a body transformation past the bound still replaces it" \
		"$H_CODE $H_BODY $(framing)" "200 n=4096 6 "
	hcall "${args[@]}" "$u/replace/a?size=10"
	check "$client: and within it" "$H_CODE $H_BODY $(framing)" "200 n=10 4 "

	hcall "${args[@]}" "$u/h1/a?mode=closemid&size=1000"
	expect "$client: a body cut short" 503 "upstream call failed: closed: broken pipe"
	hcall "${args[@]}" -I "$u/h1/a"
	check "$client: HEAD is not held (response.body empty bytes, as agentgateway's)" \
		"$H_CODE [$(resp_header x-method)] [$(resp_header x-size)]" "200 [] [0]"
	hcall "${args[@]}" "$u/plain/a?mode=chunked&chunk=7"
	check "$client: a route reading no body relays it" \
		"$H_CODE $(jq -r .path <<<"$H_BODY")" "200 /plain/a?mode=chunked&chunk=7"
done

# HTTP/1.0 past maxBufferSize: an HTTP/1 backend's chunks go on as the
# body's data, delimited by the close (no Transfer-Encoding to a 1.0
# client, RFC 9112 §6.1), whole.
bcall --http1.0 "$u/peek/a?size=5000&mode=chunked&chunk=1000"
check "HTTP/1.0, past maxBufferSize, chunks: 200, the data as it came, no framing field" \
	"$H_CODE $(sha256_of <"$WORK/body") [$(framing)]" "200 $SHA5000 [ ]"

# Released past maxBufferSize to a client that stops reading, the body
# is read from the backend only as the client takes it: 64 MiB released
# to a client that reads its head and waits 2 s grow the gateway's
# memory by under 16 MiB, and then arrive whole.
out=$(/usr/bin/python3 - "$GW_PID" <<'PY'
import hashlib, socket, sys, time
def rss():
    for line in open("/proc/%s/status" % sys.argv[1]):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
n = 64 << 20
s = socket.create_connection(("127.0.0.1", 8080), timeout=20)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
before = rss()
s.sendall(b"GET /peek/big?size=%d&mode=chunked&chunk=65536 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % n)
got = bytearray(s.recv(4096))
time.sleep(2)
grown = rss() - before
while True:  # into a bytearray: bytes += would copy 64 MiB a read
    d = s.recv(1 << 20)
    if not d:
        break
    got += d
body = got[got.find(b"\r\n\r\n") + 4:]
data, i = bytearray(), 0
while True:  # the client's chunks
    j = body.index(b"\r\n", i)
    size = int(body[i:j], 16)
    if size == 0:
        break
    data += body[j + 2:j + 2 + size]
    i = j + 2 + size + 2
want = bytes(range(251)) * (n // 251 + 1)
print("%s %s" % ("small" if grown < 16384 else "grew %d KiB" % grown, data == want[:n]))
PY
)
check "HTTP/1.1, past maxBufferSize, a client that waits: read as it takes it, whole" "$out" "small True"

# HTTP/1 keep-alive: a held response, then the next request on the same
# connection and backend connection.
out=$(curl -s "$u/h1/k?mode=chunked&chunk=5" "$u/h1/k2")
check "HTTP/1: two held responses on one connection" "$out" \
	'{"method":"GET","path":"/h1/k?mode=chunked&chunk=5"}{"method":"GET","path":"/h1/k2"}'

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.binds[0].listeners[].routes[] | select(.name == "replace") | .inlinePolicies[0].transformations.response.body]')
check "config_dump: the response body expression" "$got" \
	'["\"n=\" + string(size(response.bodyPrefix))"]'
stop_gateway

# In each engine, on one client connection: large bodies relayed by the
# engine between held responses, each whole.
for engine in $(engines); do
	if ! start_engine "$engine" -c "$WORK/cfg.yaml"; then
		fail "[$engine] gateway did not start"
		continue
	fi
	out=$(/usr/bin/python3 - <<'PY'
import http.client
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=10)
out = []
for path in ["/plain/a?size=300000", "/h1/e?mode=chunked&chunk=50", "/plain/b?size=300000",
             "/h1/f", "/peek/g?size=300000"]:
    c.request("GET", path)
    r = c.getresponse()
    b = r.read()
    out.append("%d:%s" % (r.status, b.decode() if path.startswith("/h1") else len(b)))
print(" ".join(out))
PY
	)
	check "[$engine] held responses between relayed ones on one connection" "$out" \
		'200:300000 200:{"method":"GET","path":"/h1/e?mode=chunked&chunk=50"} 200:300000 200:{"method":"GET","path":"/h1/f"} 200:300000'
	stop_gateway
done
finish
