# HTTP/2 by "Upgrade: h2c": curl --http2 and nghttp -u get "101 Switching Protocols", then the upgraded request's answer as stream 1 and further requests as h2 streams on the same connection; a request with a body keeps HTTP/1.1 (the upgrade is ignored) and still works, and so does one whose HTTP2-Settings do not decode to valid settings.
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
start_httpbin || { fail "httpbin did not start"; finish; }

cat >"$WORK/cfg.yaml" <<YAML
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
for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg.yaml"; then
		fail "gateway ($engine) did not start"
		continue
	fi

	out=$(curl -sv --http2 --max-time 20 "$G/echo/up?n=1" "$G/echo/up?n=2" 2>&1)
	grep -q '^< HTTP/1.1 101 Switching Protocols' <<<"$out" && pass "curl --http2: 101 Switching Protocols" ||
		fail "no 101: $(head -20 <<<"$out")"
	check "the upgraded request and the next one answered over HTTP/2" \
		"$(grep -c '^< HTTP/2 200' <<<"$out")" 2
	check "both on one connection" "$(grep -c 'Connected to' <<<"$out")" 1
	check "upgraded request reached the backend as HTTP/1.1 without upgrade headers" \
		"$(grep -o '"path": "/echo/up?n=1".*' <<<"$out" | grep -ci 'upgrade\|http2-settings')" 0
	grep -q '"path": "/echo/up?n=2"' <<<"$out" && pass "second request answered on stream 3" ||
		fail "no answer for the second request"

	hcall --http2 "$G/get?u=1"
	expect "curl --http2: httpbin /get" 200 '*"url":"http://127.0.0.1:8080/get?u=1"*'
	check "curl --http2: 101, then the answer over HTTP/2" \
		"$(grep '^HTTP/' "$H_HEADERS" | tr -d '\r' | paste -sd'|')" "HTTP/1.1 101 Switching Protocols|HTTP/2 200 "

	out=$(timeout 20 nghttp -uv "$G/get?u=2" 2>&1)
	grep -q 'HTTP Upgrade success' <<<"$out" && pass "nghttp -u: upgrade success" ||
		fail "nghttp -u: $(head -20 <<<"$out")"
	grep -q '"url":"http://127.0.0.1:8080/get?u=2"' <<<"$out" && pass "nghttp -u: body of stream 1" ||
		fail "nghttp -u: no body"

	hcall --http2 -d 'a=1' "$G/anything"
	expect "POST with --http2 (a body: no upgrade) answered" 200 '*"form":{"a":"1"}*'
	check "the POST stayed HTTP/1.1" "$(head -1 "$H_HEADERS" | tr -d '\r')" "HTTP/1.1 200 OK"

	# HTTP2-Settings that are not settings: served over HTTP/1.1 (the
	# connection used to close without a byte).
	for v in '!!!*' AAMAAABkAA AAIAAAAC; do
		RAW=$(printf "GET /echo/bad HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: $v\r\nConnection: close\r\n\r\n" |
			raw_http 8080 GET)
		check "HTTP2-Settings '$v': answered over HTTP/1.1" "$(jq -r '.responses[0].status' <<<"$RAW")" 200
	done
	stop_gateway
done
finish
