# HTTP bodies and connections: Content-Length, chunked (with trailers) and close-delimited bodies both ways arrive byte-identical, HEAD/204/304 carry no body, pipelined requests are answered in order, keep-alive reuses the client connection, Connection: close closes it, and 1 GiB down and up stays byte-identical.
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
mkdir -p "$WORK/cfg"
{
	gateway_yaml
	service_yaml echo "$B"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: bodies
  namespace: e2e
spec:
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - backendRefs:
    - name: echo
      port: $B
YAML
} >"$WORK/cfg/gateway.yaml"

GiB=1073741824
MiB64=67108864
pattern 1000000 >"$WORK/1m.bin"
SHA_1M=$(sha256_of <"$WORK/1m.bin")
SHA_64M=$(pattern $MiB64 | sha256_of)
SHA_1G=$(pattern $GiB | sha256_of)
G=http://127.0.0.1:8080

# upload_ok NAME WANT-BYTES WANT-SHA: the last hcall was an /upload answer.
upload_ok() {
	if [ "$H_CODE" = 200 ] && [ "$(jq -r '"\(.bytes) \(.sha256)"' <<<"$H_BODY" 2>/dev/null)" = "$2 $3" ]; then
		pass "$1"
	else
		fail "$1: want 200 {$2 bytes, $3}, got $H_CODE '${H_BODY:0:160}'"
	fi
}
# rj EXPR: a jq expression over the last raw_http output ($RAW).
rj() {
	jq -r "$1" <<<"$RAW" 2>/dev/null
}

for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg"; then
		fail "gateway ($engine) did not start"
		continue
	fi

	# Request bodies.
	hcall --data-binary @"$WORK/1m.bin" -H 'Content-Type: application/octet-stream' "$G/upload"
	upload_ok "1 MB Content-Length upload" 1000000 "$SHA_1M"
	hcall --data-binary @"$WORK/1m.bin" -H 'Transfer-Encoding: chunked' "$G/upload"
	upload_ok "1 MB chunked upload" 1000000 "$SHA_1M"
	hcall -X POST -H 'Content-Length: 0' "$G/upload"
	upload_ok "empty POST" 0 "$(printf '' | sha256_of)"
	RAW=$(printf 'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-t: 1\r\n\r\n' | raw_http 8080 POST 0.3)
	check "chunked upload with extension and trailer" "$(rj '.responses[0] | "\(.status) \(.body | fromjson | .bytes)"')" "200 11"

	# Response bodies.
	out=$(curl -s --max-time 20 "$G/?size=1000000" | sha256_of)
	check "1 MB Content-Length download" "$out" "$SHA_1M"
	out=$(curl -s --max-time 20 "$G/?mode=chunked&size=1000000&chunk=4093" | sha256_of)
	check "1 MB chunked download (4093-byte chunks)" "$out" "$SHA_1M"
	out=$(curl -s --max-time 60 "$G/?mode=chunked&size=$MiB64&chunk=65536" | sha256_of)
	check "64 MiB chunked download" "$out" "$SHA_64M"
	out=$(curl -s --max-time 20 "$G/?mode=closedelim&size=1000000" | sha256_of)
	check "1 MB close-delimited download" "$out" "$SHA_1M"
	RAW=$(printf 'GET /?mode=chunked&size=1000&chunk=300 HTTP/1.1\r\nHost: x\r\n\r\n' | raw_http 8080 GET 0.3)
	check "chunked response: body and trailer x-trailer: yes reach the client" \
		"$(rj '.responses[0] | "\(.status) \(.body_len) \(.trailers["x-trailer"])"')" "200 1000 yes"
	# An HTTP/1.0 client knows no chunks (RFC 9112 6.1): a chunked body
	# reaches it decoded, ended by the close, even when it asked to keep
	# the connection (the body has no other end it could know).
	for ka in "" "Connection: keep-alive\r\n"; do
		RAW=$(printf "GET /?mode=chunked&size=1000000&chunk=4093 HTTP/1.0\r\nHost: x\r\n${ka}\r\n" |
			raw_http 8080 GET)
		check "HTTP/1.0 client${ka:+ (keep-alive)}: chunked body decoded, no Transfer-Encoding, closed after it" \
			"$(rj '"\(.responses[0].status) \(.responses[0].headers["transfer-encoding"]) \(.responses[0].body_len) \(.responses[0].sha256) \(.after)"')" \
			"200 null 1000000 $SHA_1M eof"
	done
	RAW=$(printf 'GET /?mode=chunked&size=1000&chunk=300 HTTP/1.0\r\nHost: x\r\n\r\n' | raw_http 8080 GET)
	check "HTTP/1.0 client: a small chunked body that came with its head, decoded, trailer dropped" \
		"$(rj '"\(.responses[0].body_len) \(.responses[0].sha256) \(.after)"')" \
		"1000 $(pattern 1000 | sha256_of) eof"
	RAW=$(printf 'GET /?mode=closedelim&size=5000 HTTP/1.1\r\nHost: x\r\n\r\n' | raw_http 8080 GET)
	check "close-delimited response: whole body, then the connection closes" \
		"$(rj '"\(.responses[0].status) \(.responses[0].body_len) \(.after)"')" "200 5000 eof"

	# No-body responses keep the connection usable.
	RAW=$(printf 'HEAD /?size=5000 HTTP/1.1\r\nHost: x\r\n\r\nGET /after-head HTTP/1.1\r\nHost: x\r\n\r\n' | raw_http 8080 HEAD,GET 0.3)
	check "HEAD: Content-Length of the GET, no body, next request answered" \
		"$(rj '"\(.responses[0].status) \(.responses[0].headers["content-length"]) \(.responses[0].body_len) \(.responses[1].status) \(.responses[1].body | fromjson | .path)"')" \
		"200 5000 0 200 /after-head"
	RAW=$(printf 'GET /?responseCode=204 HTTP/1.1\r\nHost: x\r\n\r\nGET /after-204 HTTP/1.1\r\nHost: x\r\n\r\n' | raw_http 8080 GET,GET 0.3)
	check "204: no body, next request answered" \
		"$(rj '"\(.responses[0].status) \(.responses[0].body_len) \(.responses[1].status) \(.responses[1].body | fromjson | .path)"')" \
		"204 0 200 /after-204"
	RAW=$(printf 'GET /?responseCode=304 HTTP/1.1\r\nHost: x\r\n\r\nGET /after-304 HTTP/1.1\r\nHost: x\r\n\r\n' | raw_http 8080 GET,GET 0.3)
	check "304: no body, next request answered" \
		"$(rj '"\(.responses[0].status) \(.responses[0].body_len) \(.responses[1].status) \(.responses[1].body | fromjson | .path)"')" \
		"304 0 200 /after-304"
	# A client that waits for 100 Continue before sending the body (RFC 9110
	# 10.1.1: the proxy forwards the head, or answers, without the body).
	out=$(/usr/bin/python3 - <<'PY'
import re, socket
s = socket.create_connection(("127.0.0.1", 8080), timeout=0.9)
s.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
try:
    first = s.recv(65536)
except socket.timeout:
    first = b""
s.settimeout(5)
s.sendall(b"hello")
got = first
try:
    while b'"bytes": 5' not in got:
        d = s.recv(65536)
        if not d:
            break
        got += d
except socket.timeout:
    pass
early = re.findall(rb"^HTTP/1\.1 (\d{3})", first)
final = re.findall(rb"HTTP/1\.1 (\d{3})", got)
print("within 0.9s: %s; last: %s; %d x 100" % (early[0].decode() if early else "nothing",
                                      final[-1].decode() if final else "nothing",
                                      final.count(b"100")))
PY
)
	# One 100: the gateway's (it reads a body this small before any try);
	# the backend is not asked to send another.
	check "Expect: 100-continue, client waits: 100 within 0.9s, then 200" "$out" \
		"within 0.9s: 100; last: 200; 1 x 100"
	RAW=$(printf 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello' | raw_http 8080 POST 0.3)
	check "Expect: 100-continue, body sent with the head -> 200" "$(rj '.responses[0] | "\(.status) \(.body | fromjson | .bytes)"')" "200 5"

	# Pipelining: three requests in one write, three answers in order.
	RAW=$(printf 'GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /p2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /p3?size=10 HTTP/1.1\r\nHost: x\r\n\r\n' | raw_http 8080 GET,POST,GET 0.3)
	check "pipelined requests answered in order on one connection" \
		"$(rj '"\(.responses[0].body | fromjson | .path) \(.responses[1].body | fromjson | "\(.path) \(.body_bytes)") \(.responses[2].body_len) \(.after)"')" \
		"/p1 /p2 3 10 open"

	# Keep-alive and Connection: close on the client side.
	out=$(curl -s --max-time 10 -o /dev/null -o /dev/null -w '%{http_code}:%{num_connects} ' "$G/k1" "$G/k2")
	check "keep-alive: two requests, one client connection" "$out" "200:1 200:0 "
	RAW=$(printf 'GET /c1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw_http 8080 GET)
	check "Connection: close -> answered with Connection: close, then closed" \
		"$(rj '"\(.responses[0].status) \(.responses[0].headers.connection) \(.after)"')" "200 close eof"
	RAW=$(printf 'GET /h10 HTTP/1.0\r\nHost: x\r\n\r\n' | raw_http 8080 GET)
	check "HTTP/1.0 without keep-alive -> closed after the response" \
		"$(rj '"\(.responses[0].status) \(.after)"')" "200 eof"
	# A 1.0 client that asked to keep the connection is told it is kept
	# (RFC 9112 9.3; without it such a client waits for the close).
	RAW=$(printf 'GET /k10 HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\nGET /k10b HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n' |
		raw_http 8080 GET,GET 0.3)
	check "HTTP/1.0 with keep-alive -> connection: keep-alive, the next request on it answered" \
		"$(rj '"\(.responses[0].status) \(.responses[0].headers.connection) \(.responses[1].status) \(.responses[1].headers.connection)"')" \
		"200 keep-alive 200 keep-alive"

	# 1 GiB each way, byte-identical.
	out=$(curl -s --max-time 120 "$G/?size=$GiB" | sha256_of)
	check "1 GiB Content-Length download byte-identical" "$out" "$SHA_1G"
	H_BODY=$(pattern $GiB | curl -s --max-time 120 -T - -H "Content-Length: $GiB" -H 'Transfer-Encoding:' \
		-w '\n%{http_code}' "$G/upload")
	H_CODE=${H_BODY##*$'\n'}
	H_BODY=${H_BODY%$'\n'*}
	upload_ok "1 GiB Content-Length upload byte-identical" $GiB "$SHA_1G"
	H_BODY=$(pattern $MiB64 | curl -s --max-time 120 -T - -w '\n%{http_code}' "$G/upload")
	H_CODE=${H_BODY##*$'\n'}
	H_BODY=${H_BODY%$'\n'*}
	upload_ok "64 MiB chunked upload byte-identical" $MiB64 "$SHA_64M"

	hcall "$G/still-alive"
	expect "gateway still answers after the big transfers" 200 '{*'
	stop_gateway
done
finish
