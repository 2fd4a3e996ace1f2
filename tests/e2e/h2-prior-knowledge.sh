# HTTP/2 by prior knowledge (h2c): nghttp and curl --http2-prior-knowledge get httpbin's and sgbackend's answers over HTTP/2 (Host from :authority, X-Forwarded-For added, hop-by-hop response headers gone); request bodies arrive byte-exact (httpbin POST /anything, one sent after "100 Continue", 100 KiB with content-length, a streamed upload without one), a 16 MiB download arrives intact; a standard method in another case ("head") or a :path with a fragment gets 400, as over HTTP/1; a zero-padded content-length reaches the backend alone, never beside chunked framing.
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
start_httpbin || { fail "httpbin did not start"; finish; }

cat >"$WORK/cfg.yaml" <<YAML
frontendPolicies:
  http:
    http2WindowSize: 262144
    http2FrameSize: 32768
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: echo
      matches: [{path: {pathPrefix: /echo}}]
      backends: [{host: 127.0.0.1:$B}]
    - name: bin
      backends: [{host: 127.0.0.1:$HTTPBIN_PORT}]
YAML

G=http://127.0.0.1:8080
printf 'splicegate h2 body \001\002 end' >"$WORK/text.bin"
head -c 102400 /dev/urandom >"$WORK/100k.bin"
head -c 300000 /dev/urandom >"$WORK/300k.bin"
for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg.yaml"; then
		fail "gateway ($engine) did not start"
		continue
	fi

	body=$(timeout 20 nghttp "$G/get?via=nghttp" 2>&1)
	check "nghttp: httpbin /get over h2c" "$(jq -r .url <<<"$body")" "http://127.0.0.1:8080/get?via=nghttp"
	out=$(timeout 20 nghttp -v "$G/get" 2>&1)
	grep -q 'recv (stream_id=[0-9]*) :status: 200' <<<"$out" && pass "nghttp -v: :status 200" ||
		fail "nghttp -v: $(tail -5 <<<"$out")"

	hcall --http2-prior-knowledge "$G/echo/pk?x=1" -H 'X-Forwarded-For: 10.1.2.3'
	expect "curl --http2-prior-knowledge: sgbackend echo" 200 '{*"path": "/echo/pk?x=1"*'
	check "the response is HTTP/2" "$(head -1 "$H_HEADERS" | tr -d '\r')" "HTTP/2 200 "
	check "Host comes from :authority" "$(jq -r .host <<<"$H_BODY")" "127.0.0.1:8080"
	check "X-Forwarded-For appended" "$(echo_header x-forwarded-for)" "10.1.2.3, 127.0.0.1"
	check "the backend speaks HTTP/1.1" "$(jq -r .proto <<<"$H_BODY")" "HTTP/1.1"
	grep -qi '^x-backend: echo' "$H_HEADERS" && pass "backend headers reach the client" ||
		fail "no x-backend header"

	# A close-delimited and a chunked backend response become DATA frames.
	code=$(curl -s --http2-prior-knowledge --max-time 20 -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' \
		"$G/echo/cd?mode=closedelim&size=70000")
	check "close-delimited body over h2" "$code $(sha256_of <"$WORK/b")" "200 $(pattern 70000 | sha256_of)"
	grep -qi '^connection:' "$WORK/h" && fail "connection header forwarded over h2" ||
		pass "no connection header over h2"
	code=$(curl -s --http2-prior-knowledge --max-time 20 -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' \
		"$G/echo/ch?mode=chunked&size=50000&chunk=777")
	check "chunked body over h2, framing removed" "$code $(sha256_of <"$WORK/b")" \
		"200 $(pattern 50000 | sha256_of)"
	# The chunked body's trailer arrives as HTTP/2 trailers (it was
	# dropped while the head still announced it).
	out=$(timeout 20 nghttp -v "$G/echo/tr?mode=chunked&size=1000&chunk=300" 2>&1)
	grep -Eq 'recv \(stream_id=[0-9]+\) x-trailer: yes' <<<"$out" &&
		pass "an HTTP/1 backend's trailer reaches the HTTP/2 client as trailers" ||
		fail "no x-trailer in HTTP/2 trailers: $(grep -E 'x-trailer|HEADERS' <<<"$out" | head -5)"
	grep -qi '^transfer-encoding:' "$WORK/h" && fail "transfer-encoding forwarded over h2" ||
		pass "no transfer-encoding over h2"

	hcall --http2-prior-knowledge --data-binary @"$WORK/text.bin" -H 'Content-Type: text/plain' "$G/anything"
	check "httpbin POST /anything: body byte-exact" "$H_CODE $(jq -r .data <<<"$H_BODY")" \
		"200 $(cat "$WORK/text.bin")"
	check "httpbin saw the content-length" "$(jq -r '.headers["Content-Length"]' <<<"$H_BODY")" \
		"$(stat -c %s "$WORK/text.bin")"

	hcall --http2-prior-knowledge --data-binary @"$WORK/100k.bin" "$G/echo/upload"
	check "100 KiB POST (content-length, streamed)" "$(jq -r '"\(.bytes) \(.sha256)"' <<<"$H_BODY")" \
		"102400 $(sha256_of <"$WORK/100k.bin")"
	# A client waiting for "100 Continue" gets it from the gateway, which
	# buffers small bodies before any backend sees the request.
	hcall --http2-prior-knowledge -H 'Expect: 100-continue' --expect100-timeout 3 \
		--data-binary @"$WORK/text.bin" "$G/echo/upload"
	expect "Expect: 100-continue over h2: answered without waiting out the client's 3s" 200 \
		'{"bytes": 25, *' 0 1
	hcall --http2-prior-knowledge -T - "$G/echo/upload" <"$WORK/300k.bin"
	check "300 KiB PUT without content-length (chunked to the backend)" \
		"$(jq -r '"\(.bytes) \(.sha256)"' <<<"$H_BODY")" "300000 $(sha256_of <"$WORK/300k.bin")"

	# "head" is refused as over HTTP/1: the gateway framed the HTTP/1
	# backend's answer as HEAD's, so its body was left on the connection.
	hcall --http2-prior-knowledge -X head "$G/echo/m"
	expect ":method head over h2 -> 400, as over HTTP/1" 400 "bad request"
	# A fragment is routed on by no one: "/echo/f#x" missed exact routes
	# and reached the backend as sent.
	hcall --http2-prior-knowledge --request-target '/echo/f#x' "$G/"
	expect ":path with a fragment over h2 -> 400, as over HTTP/1" 400 "bad request"
	# A content-length of 19 digits or more went on beside the gateway's
	# own "transfer-encoding: chunked" (a backend may read either).
	hcall --http2-prior-knowledge -H 'content-length: 0000000000000000005' --data-binary hello \
		"$G/echo/cl"
	check "zero-padded content-length over h2: the backend gets it alone" \
		"$H_CODE $(echo_header content-length)/$(echo_header transfer-encoding)/$(jq -r .body_bytes <<<"$H_BODY")" \
		"200 0000000000000000005//5"

	sum=$(curl -s --http2-prior-knowledge --max-time 30 "$G/echo/big?size=16777216" | sha256_of)
	check "16 MiB download over h2 intact" "$sum" "$(pattern 16777216 | sha256_of)"
	stop_gateway
done
finish
