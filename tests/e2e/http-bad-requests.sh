# HTTP bad requests: a malformed head gets 400 "bad request", a head over the size limit (64 KiB) or with more than http1MaxHeaders (default 100) headers gets 431 "request header fields too large" (414 "uri too long" when the request line alone is over it), Content-Length with Transfer-Encoding gets 400, each closing the connection without the backend seeing a byte of it (bytes the client still sends are dropped until its FIN: the 400 is never lost to a reset), and the gateway keeps serving other clients. (More vectors: smuggle-*.sh.)
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
mkdir -p "$WORK/k8s" "$WORK/standalone"
{
	gateway_yaml
	service_yaml echo "$B"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: echo
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
} >"$WORK/k8s/gateway.yaml"
cat >"$WORK/standalone/config.yaml" <<YAML
frontendPolicies:
  http:
    http1MaxHeaders: 10
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: echo
      backends:
      - host: 127.0.0.1:$B
YAML

# headers N: N-1 extra header lines (with Host, N header lines in all).
headers() {
	for i in $(seq $(($1 - 1))); do
		printf 'X-H%d: %d\r\n' "$i" "$i"
	done
}
# seen: request lines and bytes that reached the backend (sgbackend's
# /requests); sent PORT METHODS...: raw_http, after noting seen in a file.
seen() {
	local s
	s=$(curl -s --max-time 5 "http://127.0.0.1:$B/requests" | jq -c '[.heads, .bytes]')
	echo "${s:-no answer from the backend at $(date +%s%N)}" # never equal twice
}
sent() {
	seen >"$WORK/seen"
	raw_http "$@"
}
# rejected NAME STATUS: the last `sent` got STATUS with its exact body and
# then the connection closed (FIN, or RST when the gateway left part of the
# request unread), and the backend received nothing since.
rejected() {
	local got want=bad\ request
	[ "$2" = 431 ] && want="request header fields too large"
	[ "$2" = 414 ] && want="uri too long"
	got=$(jq -r '"\(.responses[0].status) \(.after) \(.responses[0].body)"' <<<"$RAW" 2>/dev/null)
	[ "$got" = "$2 reset $want" ] && got="$2 eof $want"
	check "$1 -> $2 \"$want\", connection closed" "$got" "$2 eof $want"
	check "$1: the backend received nothing" "$(seen)" "$(cat "$WORK/seen")"
}
good() {
	hcall http://127.0.0.1:8080/ok
	expect "$1" 200 '{*"path": "/ok"*'
}

for engine in $(engines); do
	echo "-- engine $engine"
	if start_engine "$engine" -c "$WORK/k8s"; then
		RAW=$(printf 'THIS IS NOT HTTP\r\n\r\n' | sent 8080 GET)
		rejected "malformed request line" 400
		RAW=$(printf 'GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n' | sent 8080 GET)
		rejected "malformed header line" 400
		RAW=$(printf 'GET /\r\n\r\n' | sent 8080 GET)
		rejected "request line without version" 400
		good "a normal request after malformed ones"

		RAW=$({ printf 'GET /ok HTTP/1.1\r\nHost: x\r\n'; headers 100; printf '\r\n'; } | sent 8080 GET 0.3)
		check "100 header lines (the default http1MaxHeaders) -> 200" "$(jq -r '.responses[0].status' <<<"$RAW")" 200
		RAW=$({ printf 'GET /ok HTTP/1.1\r\nHost: x\r\n'; headers 101; printf '\r\n'; } | sent 8080 GET)
		rejected "101 header lines" 431
		RAW=$({ printf 'GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: '; head -c 61440 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } | sent 8080 GET 0.3)
		check "a 60 KiB header (head under 64 KiB) -> 200" "$(jq -r '.responses[0].status' <<<"$RAW")" 200
		RAW=$({ printf 'GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: '; head -c 71680 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } | sent 8080 GET)
		rejected "a 70 KiB header" 431
		RAW=$({ printf 'GET /'; head -c 71680 /dev/zero | tr '\0' a; printf ' HTTP/1.1\r\nHost: x\r\n\r\n'; } | sent 8080 GET)
		rejected "a 70 KiB request target" 414
		RAW=$(printf 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' | sent 8080 POST)
		rejected "Content-Length with Transfer-Encoding" 400
		RAW=$(printf 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!' | sent 8080 POST)
		rejected "two different Content-Lengths" 400
		RAW=$(printf 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n' | sent 8080 POST)
		rejected "negative Content-Length" 400
		# A bad request after a good one on the same connection: the good
		# one is answered, then 400 and close.
		RAW=$(printf 'GET /ok HTTP/1.1\r\nHost: x\r\n\r\nBROKEN\r\n\r\n' | sent 8080 GET,GET)
		check "good then malformed on one connection -> 200, 400, closed" \
			"$(jq -r '"\(.responses[0].status) \(.responses[1].status) \(.after)"' <<<"$RAW")" "200 400 eof"
		# The lingering close drops what the client still sends (here
		# 1 MiB, more than one wake-up reads) until its FIN: closing
		# with unread bytes would reset the connection, and the reset
		# can destroy the 400 before the client reads it.
		got=$(/usr/bin/python3 "$E2E_DIR/linger_client.py" 8080 1048576)
		check "400 then 1 MiB more from the client: the 400 arrives, no reset" \
			"$(jq -r '"\(.answer) \(.sent) \(.send_error) \(.error)"' <<<"$got")" \
			"HTTP/1.1 400 Bad Request 1048576 null null"
		good "the gateway keeps serving other clients"
		stop_gateway
	else
		fail "gateway ($engine) did not start"
	fi

	echo "-- engine $engine: frontendPolicies.http.http1MaxHeaders 10"
	if start_engine "$engine" -c "$WORK/standalone"; then
		RAW=$({ printf 'GET /ok HTTP/1.1\r\nHost: x\r\n'; headers 10; printf '\r\n'; } | sent 8080 GET 0.3)
		check "10 header lines with http1MaxHeaders 10 -> 200" "$(jq -r '.responses[0].status' <<<"$RAW")" 200
		RAW=$({ printf 'GET /ok HTTP/1.1\r\nHost: x\r\n'; headers 11; printf '\r\n'; } | sent 8080 GET)
		rejected "11 header lines with http1MaxHeaders 10" 431
		good "a normal request afterwards"
		stop_gateway
	else
		fail "gateway ($engine) did not start with http1MaxHeaders 10"
	fi
done
finish
