# HTTP/2 to backends (h2c, prior knowledge): a standalone backend with `policies.http.version: HTTP/2.0` and a Kubernetes Service port with `appProtocol: kubernetes.io/h2c` (in the config dir, and applied at run time with `splicegate apply -f-`) are spoken to in HTTP/2 (h2backend.py sees the client preface; nghttpd --no-tls serves a file byte-exact), from curl HTTP/1.1, curl --http2-prior-knowledge and nghttp clients alike: method, path, :authority from the Host, 1 MiB uploads byte-exact (content-length, chunked, HTTP/2 DATA without length), a 4 MiB download byte-exact, HEAD, 204, status and x-backend-name passed through, trailers both ways, hop-by-hop headers dropped; config_dump shows version "HTTP/2.0" ("HTTP/1.1" and null for the others); a backend without the version is still spoken to in HTTP/1.1.
#
# Backends: h2b (h2backend.py, every path but the ones below), plain
# (h2backend.py reached without a version: it answers HTTP/1 with 505 and
# counts an http1 connection), h1 (sgbackend, version HTTP/1.1), nghttpd
# --no-tls (HTTP/2 only by prior knowledge here, static files).
. "$(dirname "$0")/lib.sh"

start_h2backend h2b || { fail "h2backend h2b did not start"; finish; }
H2B=$H2B_PORT
start_h2backend plain || { fail "h2backend plain did not start"; finish; }
PLAIN=$H2B_PORT
start_h2backend k8s || { fail "h2backend k8s did not start"; finish; }
K8S=$H2B_PORT
start_h2backend late || { fail "h2backend late did not start"; finish; }
LATE=$H2B_PORT
start_backend h1
H1=$BACKEND_PORT
NGD=$(free_port)
mkdir -p "$WORK/docroot/files"
head -c 3000000 /dev/urandom >"$WORK/docroot/files/blob.bin"
nghttpd --no-tls -a 127.0.0.1 -d "$WORK/docroot" "$NGD" >"$WORK/nghttpd.log" 2>&1 &
PIDS+=("$!")
wait_port "$NGD" 10 || fail "nghttpd did not listen on :$NGD"

mkdir -p "$WORK/standalone" "$WORK/k8s"
cat >"$WORK/standalone/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: files
      matches: [{path: {pathPrefix: /files}}]
      backends:
      - host: 127.0.0.1:$NGD
        policies:
          http: {version: HTTP/2.0}
    - name: h1
      matches: [{path: {pathPrefix: /h1}}]
      backends:
      - host: 127.0.0.1:$H1
        policies:
          http: {version: HTTP/1.1}
    - name: plain
      matches: [{path: {pathPrefix: /plain}}]
      backends:
      - host: 127.0.0.1:$PLAIN
    - name: h2c
      backends:
      - host: 127.0.0.1:$H2B
        policies:
          http: {version: HTTP/2.0}
YAML

# k8s_service NAME PORT [APP_PROTOCOL]: a Service NAME in e2e whose endpoint
# is 127.0.0.1:PORT, its port carrying appProtocol when given.
k8s_service() {
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata:
  name: $1
  namespace: e2e
spec:
  clusterIP: 127.0.0.1
  ports:
  - name: h2c
    port: $2
    targetPort: $2${3:+
    appProtocol: $3}
YAML
}
{
	gateway_yaml
	k8s_service grpc-echo "$K8S" kubernetes.io/h2c
	k8s_service late "$LATE"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: h2c
  namespace: e2e
spec:
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - matches:
    - path: {type: PathPrefix, value: /late}
    backendRefs:
    - {name: late, port: $LATE}
  - matches:
    - path: {type: PathPrefix, value: /}
    backendRefs:
    - {name: grpc-echo, port: $K8S}
YAML
} >"$WORK/k8s/gateway.yaml"

G=http://127.0.0.1:8080
head -c 1048576 /dev/urandom >"$WORK/1m.bin"
SUM1M=$(sha256_of <"$WORK/1m.bin")
SUM4M=$(pattern 4194304 | sha256_of)
SUMBLOB=$(sha256_of <"$WORK/docroot/files/blob.bin")

# call CLIENT URL [ARGS...]: one request by CLIENT (h1: curl HTTP/1.1, h2:
# curl --http2-prior-knowledge, nghttp); ARGS are curl's, or nghttp's for
# nghttp.
call() {
	local client=$1
	shift
	case $client in
	h1) hcall "$@" ;;
	h2) hcall --http2-prior-knowledge "$@" ;;
	nghttp) ncall "$@" ;;
	esac
}

# ej EXPR: jq -r EXPR over the last echo.
ej() {
	jq -r "$1" <<<"$H_BODY" 2>/dev/null
}

# echo_ok NAME METHOD PATH AUTHORITY [BACKEND]: the last call got h2backend's
# echo (200 unless H_WANT says otherwise) of METHOD PATH with :authority
# AUTHORITY, over HTTP/2, with x-backend-name BACKEND (default h2b).
echo_ok() {
	local name=$1 backend=${5:-h2b}
	check "$name" "$H_CODE $(ej '"\(.method) \(.path) \(.authority) http2=\(.http2)"') $(resp_header x-backend-name)" \
		"${H_WANT:-200} $2 $3 $4 http2=true $backend"
}

# upload_ok NAME BYTES SHA: the last echo counted BYTES request body bytes
# hashing to SHA.
upload_ok() {
	check "$1" "$H_CODE $(ej '"\(.body_bytes) \(.sha256)"')" "200 $2 $3"
}

# download CLIENT URL: the body of a GET by CLIENT to $WORK/dl; prints
# "STATUS BYTES SHA256".
download() {
	local code
	rm -f "$WORK/dl"
	case $1 in
	h1) code=$(curl -s --max-time 30 -o "$WORK/dl" -w '%{http_code}' "$2") ;;
	h2) code=$(curl -s --http2-prior-knowledge --max-time 30 -o "$WORK/dl" -w '%{http_code}' "$2") ;;
	nghttp)
		timeout 30 nghttp --har="$WORK/dl.har" "$2" >"$WORK/dl" 2>/dev/null
		code=$(jq -r '.log.entries[0].response.status // "000"' "$WORK/dl.har" 2>/dev/null)
		;;
	esac
	echo "${code:-000} $(stat -c %s "$WORK/dl" 2>/dev/null) $(sha256_of <"$WORK/dl")"
}

# hop_headers: the hop-by-hop request headers the last echo still had.
hop_headers() {
	ej '[.headers[] | select(.[0] | test("^(connection|keep-alive|proxy-connection|transfer-encoding|upgrade|x-hop)$")) | .[0]] | join(",")'
}

# suite CLIENT: the request matrix for one client through the standalone
# gateway to h2b.
suite() {
	local c=$1 up
	call "$c" "$G/echo/a?x=1&y=two"
	echo_ok "$c: GET echoed by the HTTP/2 backend" GET "/echo/a?x=1&y=two" 127.0.0.1:8080
	check "$c: the backend's stream carries no host header that differs from :authority" \
		"$(ej '[.headers[] | select(.[0] == "host") | .[1] | select(. != "127.0.0.1:8080")] | length')" 0
	if [ "$c" = nghttp ]; then
		call "$c" "$G/echo/host" -H ':authority: app.example:8080'
	else
		call "$c" "$G/echo/host" -H 'Host: app.example:8080'
	fi
	echo_ok "$c: :authority comes from the client's Host / :authority" GET /echo/host app.example:8080

	if [ "$c" = nghttp ]; then
		call "$c" "$G/upload/cl" -d "$WORK/1m.bin"
	else
		call "$c" --data-binary @"$WORK/1m.bin" -H 'Content-Type: application/octet-stream' "$G/upload/cl"
	fi
	echo_ok "$c: POST with a length" POST /upload/cl 127.0.0.1:8080
	upload_ok "$c: 1 MiB POST with a length arrives byte-exact" 1048576 "$SUM1M"
	case $c in
	h1)
		call h1 -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/1m.bin" "$G/upload/chunked"
		echo_ok "h1: chunked POST" POST /upload/chunked 127.0.0.1:8080
		upload_ok "h1: 1 MiB chunked POST arrives byte-exact" 1048576 "$SUM1M"
		;;
	h2)
		call h2 -T - "$G/upload/stream" <"$WORK/1m.bin"
		echo_ok "h2: PUT without content-length" PUT /upload/stream 127.0.0.1:8080
		upload_ok "h2: 1 MiB streamed PUT (DATA frames, no length) arrives byte-exact" 1048576 "$SUM1M"
		;;
	nghttp)
		# A request trailer from an HTTP/2 client reaches the HTTP/2 backend.
		call nghttp "$G/upload/trailer" -d "$WORK/1m.bin" --trailer 'x-req-trailer: yes'
		upload_ok "nghttp: 1 MiB POST with a trailer arrives byte-exact" 1048576 "$SUM1M"
		check "nghttp: the request trailer reaches the backend" \
			"$(ej '[.trailers[] | select(.[0] == "x-req-trailer") | .[1]] | join(",")')" yes
		;;
	esac

	check "$c: 4 MiB download byte-exact" "$(download "$c" "$G/dl?size=4194304")" \
		"200 4194304 $SUM4M"

	# (curl -I reads no body whatever comes, and writes the head to -o.)
	if [ "$c" = nghttp ]; then
		call "$c" "$G/head?size=4194304" -H ':method: HEAD'
		check "$c: HEAD: status, content-length of the GET, no body" \
			"$H_CODE $(resp_header content-length) $(stat -c %s "$WORK/body")" "200 4194304 0"
	else
		call "$c" -I "$G/head?size=4194304"
		check "$c: HEAD: status, content-length of the GET" \
			"$H_CODE $(resp_header content-length)" "200 4194304"
	fi

	call "$c" "$G/nocontent?status=204"
	check "$c: 204 passed through, no body" "$H_CODE $(stat -c %s "$WORK/body")" "204 0"
	call "$c" "$G/teapot?status=418"
	H_WANT=418 echo_ok "$c: 418 passed through with the backend's body" GET "/teapot?status=418" 127.0.0.1:8080

	# Response trailers.
	case $c in
	h1)
		call h1 -H 'TE: trailers' "$G/trailers?trailers=1"
		echo_ok "h1 (TE: trailers): echo" GET "/trailers?trailers=1" 127.0.0.1:8080
		check "h1 (TE: trailers): the backend's trailers arrive (chunked)" \
			"$(resp_header x-trailer-one) $(resp_header x-trailer-two)" "1 two"
		;;
	nghttp)
		# curl does not show HTTP/2 trailers; nghttp -v does.
		out=$(timeout 20 nghttp -n -v "$G/trailers?trailers=1&size=100000" 2>&1)
		if grep -q '^\[ *[0-9.]*\] recv (stream_id=[0-9]*) x-trailer-two: two' <<<"$out" &&
			grep -q '^\[ *[0-9.]*\] recv (stream_id=[0-9]*) x-trailer-one: 1' <<<"$out"; then
			pass "$c: HTTP/2 client: response trailers x-trailer-one, x-trailer-two arrive"
		else
			fail "$c: no trailers: $(grep 'recv (stream_id' <<<"$out" | head -20 | tr '\n' '|')"
		fi
		;;
	esac
}

# config_version HOST:PORT: the http.version of that backend's inline policy
# in config_dump ("none" when the backend has no http policy).
config_version() {
	curl -s --max-time 5 http://127.0.0.1:15000/config_dump |
		jq -r --arg h "$1" '[.. | objects | select(.host? == $h) | .inlinePolicies[]?.http | select(. != null) | .version] | if length == 0 then "none" else map(tostring) | join(",") end'
}

for engine in $(engines); do
	echo "-- engine $engine: standalone, policies.http.version"
	if ! start_engine "$engine" -c "$WORK/standalone"; then
		fail "gateway ($engine) did not start"
		continue
	fi
	check "config_dump: the h2c backend's http.version" "$(config_version "127.0.0.1:$H2B")" HTTP/2.0
	check "config_dump: nghttpd's http.version" "$(config_version "127.0.0.1:$NGD")" HTTP/2.0
	check "config_dump: version HTTP/1.1 accepted and shown" "$(config_version "127.0.0.1:$H1")" HTTP/1.1
	c0=$(h2stats "$H2B" connections)
	s0=$(h2stats "$H2B" streams)

	for client in h1 h2 nghttp; do
		suite "$client"
	done

	# Hop-by-hop request headers are not HTTP/2 fields (RFC 9113 8.2.2: the
	# backend's h2 library resets a stream that carries them).
	hcall "$G/hop" -H 'Connection: keep-alive, x-hop' -H 'X-Hop: 1' -H 'Keep-Alive: timeout=5' \
		-H 'Proxy-Connection: keep-alive'
	echo_ok "h1: request with hop-by-hop headers -> 200" GET /hop 127.0.0.1:8080
	check "h1: no hop-by-hop header (nor one named by Connection) reaches the HTTP/2 backend" \
		"$(hop_headers)" ""
	hcall "$G/te" -H 'TE: gzip, trailers'
	echo_ok "h1: TE: gzip, trailers -> 200" GET /te 127.0.0.1:8080
	check "h1: te reaches the HTTP/2 backend as trailers or not at all" \
		"$(ej '[.headers[] | select(.[0] == "te") | .[1] | select(. != "trailers")] | length')" 0
	# A request trailer from an HTTP/1.1 chunked body.
	out=$(printf 'POST /reqtrailer HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nTransfer-Encoding: chunked\r\nTrailer: x-req-trailer\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nx-req-trailer: yes\r\n\r\n' |
		timeout 10 /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", 8080), timeout=5)
s.sendall(sys.stdin.buffer.read())
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
head, _, body = data.partition(b"\r\n\r\n")
if b"chunked" in head.lower():
    out = b""
    while True:
        line, _, body = body.partition(b"\r\n")
        n = int(line.split(b";")[0], 16)
        if n == 0:
            break
        out, body = out + body[:n], body[n + 2:]
    body = out
sys.stdout.write(head.split(b"\r\n")[0].decode() + "\n" + body.decode())
')
	H_CODE=$(head -1 <<<"$out" | cut -d' ' -f2)
	H_BODY=$(tail -n +2 <<<"$out")
	check "h1: chunked POST with a trailer: 200, body, trailer reach the HTTP/2 backend" \
		"$H_CODE $(ej '"\(.body_bytes) \([.trailers[] | select(.[0] == "x-req-trailer") | .[1]] | join(","))"')" \
		"200 5 yes"

	c1=$(h2stats "$H2B" connections)
	s1=$(h2stats "$H2B" streams)
	# 29 requests went to h2b since c0 and s0 were read.
	if [ "$c1" -gt "$c0" ] 2>/dev/null && [ "$((s1 - s0))" -ge 29 ]; then
		pass "h2b saw the HTTP/2 client preface: $((c1 - c0)) connections, $((s1 - s0)) streams"
	else
		fail "h2b /stats: connections $c0 -> $c1, streams $s0 -> $s1 (want more connections, >= 29 streams)"
	fi
	check "h2b: no HTTP/1 connection reached it" "$(h2stats "$H2B" http1_connections)" 0

	# nghttpd, a second real HTTP/2 server.
	for client in h1 h2 nghttp; do
		check "$client: a 3 MB file from nghttpd --no-tls through the gateway, byte-exact" \
			"$(download "$client" "$G/files/blob.bin")" "200 3000000 $SUMBLOB"
	done
	call h1 "$G/files/nosuch"
	check "h1: nghttpd's 404 passed through" "$H_CODE" 404

	# Without a version the gateway speaks HTTP/1.1: plain (HTTP/2 only)
	# refuses it with 505 and counts an HTTP/1 connection.
	hcall "$G/plain/x"
	check "no version: HTTP/1.1 to the backend (h2backend's 505)" \
		"$H_CODE $(h2stats "$PLAIN" connections) $(($(h2stats "$PLAIN" http1_connections) > 0))" "505 0 1"
	check "config_dump: no version -> null" "$(config_version "127.0.0.1:$PLAIN")" none
	hcall --http2-prior-knowledge "$G/h1/echo"
	expect "version HTTP/1.1: sgbackend answers in HTTP/1.1" 200 '{*"proto": "HTTP/1.1"*'
	stop_gateway
done

for engine in $(engines); do
	echo "-- engine $engine: Kubernetes, appProtocol kubernetes.io/h2c"
	if ! start_engine "$engine" -c "$WORK/k8s"; then
		fail "gateway ($engine) did not start"
		continue
	fi
	c0=$(h2stats "$K8S" connections)
	hcall "$G/echo/k8s?q=1"
	echo_ok "h1: appProtocol h2c: GET over HTTP/2" GET "/echo/k8s?q=1" 127.0.0.1:8080 k8s
	hcall -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/1m.bin" "$G/upload/k8s"
	upload_ok "h1: appProtocol h2c: 1 MiB chunked POST byte-exact" 1048576 "$SUM1M"
	hcall --http2-prior-knowledge --data-binary @"$WORK/1m.bin" "$G/upload/k8s"
	upload_ok "h2: appProtocol h2c: 1 MiB POST byte-exact" 1048576 "$SUM1M"
	check "h2: appProtocol h2c: 4 MiB download byte-exact" \
		"$(download h2 "$G/dl?size=4194304")" "200 4194304 $SUM4M"
	ncall "$G/echo/nghttp"
	echo_ok "nghttp: appProtocol h2c: GET over HTTP/2" GET /echo/nghttp 127.0.0.1:8080 k8s
	hcall -I "$G/head?size=1000"
	check "h1: appProtocol h2c: HEAD" "$H_CODE $(resp_header content-length)" "200 1000"
	c1=$(h2stats "$K8S" connections)
	if [ "$c1" -gt "$c0" ] 2>/dev/null; then
		pass "appProtocol h2c: the backend saw the HTTP/2 client preface ($((c1 - c0)) connections)"
	else
		fail "appProtocol h2c: backend connections $c0 -> $c1"
	fi
	check "appProtocol h2c: no HTTP/1 connection reached it" "$(h2stats "$K8S" http1_connections)" 0

	# The same Service without appProtocol is HTTP/1.1 until an apply adds it.
	hcall "$G/late/x"
	check "Service port without appProtocol: HTTP/1.1 (h2backend's 505)" "$H_CODE" 505
	out=$(k8s_service late "$LATE" kubernetes.io/h2c | "$SG_BIN" apply -f- 2>&1)
	check "apply -f- of the Service with appProtocol kubernetes.io/h2c" "$?" 0
	for _ in $(seq 50); do
		hcall "$G/late/x"
		[ "$H_CODE" = 200 ] && break
		sleep 0.1
	done
	echo_ok "after apply: the Service is reached over HTTP/2 ($out)" GET /late/x 127.0.0.1:8080 late
	stop_gateway
done

h2backend_clean h2b "$H2B"
h2backend_clean k8s "$K8S"
h2backend_clean late "$LATE"
h2backend_clean plain "$PLAIN"
finish
