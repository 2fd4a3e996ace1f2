# response.body in CEL and a response body transformation: a route whose
# response transformation reads the body holds the response whole and
# the client gets exactly the new bytes with their Content-Length (no
# Transfer-Encoding), whether the backend framed it with a length, chunks
# or its close, over HTTP/1 from an HTTP/1 backend and an HTTP/2 one, and
# over HTTP/2 from both; header expressions read the body too. Past the
# listener's maxBufferSize the response goes as it came (as agentgateway:
# response.body absent, response.bodyPrefix its first maxBufferSize
# bytes), declared or chunked, except that a body transformation still
# replaces it. A body the backend cuts short is answered 503; a HEAD
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
