# A response held for response.body keeps its trailers: grpcio's own
# client, through a route whose response transformation reads the body,
# to a grpcio server over h2c, sees grpc-status OK and its message, a
# NOT_FOUND with its details (trailers-only), and a NOT_FOUND in trailers
# after a streamed message; an HTTP/1 backend's chunked trailers and an
# HTTP/2 backend's reach an HTTP/1.1 client that sent `TE: trailers` as a
# chunked body ending with them (any other client gets the Content-Length
# and no trailers) and an HTTP/2 client as trailing HEADERS; the header
# expressions read the whole body meanwhile.
. "$(dirname "$0")/lib.sh"

start_backend v1
B=$BACKEND_PORT
start_h2backend h2b || { fail "h2backend did not start"; finish; }
H2B=$H2B_PORT
/usr/bin/python3 "$E2E_DIR/grpc_unary.py" serve --ready-file "$WORK/grpc.port" \
	>"$WORK/grpc.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 200); do
	[ -s "$WORK/grpc.port" ] && break
	sleep 0.05
done
G=$(cat "$WORK/grpc.port" 2>/dev/null)
[ -n "$G" ] || { fail "the grpcio server did not start: $(cat "$WORK/grpc.log")"; finish; }
u=http://127.0.0.1:8080

READ='
        transformations:
          response:
            set:
              x-size: string(size(response.body))'
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: grpc
      matches: [{path: {pathPrefix: /e.E/}}]
      policies:$READ
      backends:
      - host: 127.0.0.1:$G
        policies:
          http: {version: HTTP/2.0}
    - name: h2
      matches: [{path: {pathPrefix: /h2}}]
      policies:$READ
      backends:
      - host: 127.0.0.1:$H2B
        policies:
          http: {version: HTTP/2.0}
    - name: h1
      policies:$READ
      backends: [{host: 127.0.0.1:$B}]
YAML

# grpc PATH [ARGS...]: grpcio's client through the gateway; sets R (JSON).
grpc() {
	R=$(timeout 30 /usr/bin/python3 "$E2E_DIR/grpc_unary.py" call --port 8080 --path "$@")
}

# r EXPR: jq -r EXPR over the last call's JSON.
r() {
	jq -r "$1" <<<"$R" 2>/dev/null
}

# trailer NAME: the value of the last response's trailer NAME as curl
# printed it after the body (-D), "" when none came.
trailer() {
	tr -d '\r' <"$H_HEADERS" | awk -v n="$1" '
		/^$/ { blank++; next }
		blank >= 1 { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) {
			v = substr($0, i + 1); sub(/^ */, "", v); print v } }'
}

# whole: the last response's x-size (its body's size, as the response
# transformation read it) is its body's length: "yes".
whole() {
	local size
	size=$(resp_header x-size)
	[ "${size:-0}" -gt 100 ] && [ "$size" = "$(wc -c <"$WORK/body")" ] && echo yes
}

for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg.yaml"; then
		fail "gateway ($engine) did not start"
		continue
	fi

	grpc /e.E/Echo hello
	check "gRPC unary, held: OK and the message; the transformation read the body" \
		"$(r '"\(.code) \(.messages | join(",")) x-size=\(.initial["x-size"])"')" \
		"OK hello x-size=10"
	grpc /e.E/Missing thing
	check "gRPC NOT_FOUND (trailers-only), held: the status and its details" \
		"$(r '"\(.code) \(.details) \(.messages | length)"')" "NOT_FOUND no such thing: thing 0"
	grpc /e.E/Partial --stream x
	check "gRPC NOT_FOUND in trailers after a message, held: the message, status, details" \
		"$(r '"\(.code) \(.details) \(.messages | join(",")) x-size=\(.initial["x-size"])"')" \
		"NOT_FOUND gone after one part:x x-size=11"

	for how in "HTTP/1 chunks:/h1/a?mode=chunked&chunk=7:x-trailer:yes" \
		"HTTP/2 backend:/h2/a?trailers=1:x-trailer-two:two"; do
		what=${how%%:*}
		rest=${how#*:}
		path=${rest%%:*}
		rest=${rest#*:}
		name=${rest%%:*}
		value=${rest#*:}
		hcall -H 'TE: trailers' "$u$path"
		check "$what, HTTP/1.1 with TE: trailers: chunked, the trailer after the body" \
			"$H_CODE $(resp_header transfer-encoding) [$(resp_header content-length)] $(trailer "$name")" \
			"200 chunked [] $value"
		check "$what: the body whole, read by the expression" "$(whole)" yes
		hcall "$u$path"
		check "$what, HTTP/1.1 without TE: trailers: its Content-Length, no trailer" \
			"$H_CODE $(resp_header transfer-encoding) [$(resp_header content-length)] [$(trailer "$name")] $(whole)" \
			"200  [$(wc -c <"$WORK/body")] [] yes"
		hcall --http1.0 "$u$path"
		check "$what, HTTP/1.0: its Content-Length, no trailer" \
			"$H_CODE [$(resp_header content-length)] [$(trailer "$name")] $(whole)" \
			"200 [$(wc -c <"$WORK/body")] [] yes"
		# curl does not show HTTP/2 trailers; nghttp -v does.
		out=$(timeout 20 nghttp -n -v "$u$path" 2>&1)
		check "$what, HTTP/2 client: a Content-Length, the trailer after the body" \
			"$(grep -c '^\[ *[0-9.]*\] recv (stream_id=[0-9]*) content-length: [0-9]' <<<"$out") $(grep -c "^\[ *[0-9.]*\] recv (stream_id=[0-9]*) $name: $value\$" <<<"$out")" \
			"1 1"
	done
	# one chunked response after another on the connection: the trailers
	# are the response's own
	curl -s -o /dev/null -D "$WORK/two" -H 'TE: trailers' "$u/h1/a?mode=chunked" \
		-o /dev/null "$u/h1/b?mode=chunked" --max-time 20
	check "two held chunked responses in turn on one connection: a trailer each" \
		"$(tr -d '\r' <"$WORK/two" | grep -c '^x-trailer: yes$')" 2
	stop_gateway
done
finish
