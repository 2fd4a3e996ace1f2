# response.headers in the access log's fields and filter and in the
# span's attributes: the head the client got, read once the response
# went out, over HTTP/1 and HTTP/2 clients, from HTTP/1 and HTTP/2
# backends: the backend's fields less those the route's
# responseHeaderModifier removed, plus those it added; a held response's
# (a transformation reads its body) with its new Content-Length; the
# gateway's own answers (a direct response, a 503) as written. A filter
# over them leaves out the lines it does not hold for. request.body in
# the log too: the routes hold the request body (up to maxBufferSize,
# past it 413) and the line reads it, over HTTP/1 and HTTP/2. check
# accepts them, and still refuses request.body in a sampling expression,
# saying why.
. "$(dirname "$0")/lib.sh"

start_backend v1
B=$BACKEND_PORT
start_h2backend h2b || { fail "h2backend did not start"; finish; }
H2B=$H2B_PORT
start_collector "$WORK/spans.jsonl"
cport=$COLLECTOR_PORT
DEAD=$(free_port) # nobody listens there
u=http://127.0.0.1:8080

cat >"$WORK/cfg.yaml" <<YAML
config:
  logging: {format: json}
frontendPolicies:
  http: {maxBufferSize: 4096}
  accessLog:
    filter: '!("x-quiet" in response.headers)'
    add:
      ct: response.headers["content-type"]
      len: response.headers["content-length"]
      be: 'default(response.headers["x-backend"], response.headers["x-backend-name"])'
      kept: response.headers["x-kept"]
      gone: response.headers["x-gone"]
      added: response.headers["x-added"]
      bconn: response.headers["x-backend-connection"]
      bstream: response.headers["x-backend-stream"]
      rb: string(request.body)
  tracing:
    host: 127.0.0.1:$cport
    protocol: http
    randomSampling: true
    attributes: {resp.ct: 'response.headers["content-type"]'}
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: h2
      matches: [{path: {pathPrefix: /h2}}]
      policies:
        responseHeaderModifier: {add: {x-added: "yes"}, remove: [x-backend-connection]}
      backends:
      - host: 127.0.0.1:$H2B
        policies:
          http: {version: HTTP/2.0}
    - name: direct
      matches: [{path: {pathPrefix: /direct}}]
      policies:
        directResponse: {status: 200, body: hi there}
        responseHeaderModifier: {add: {x-added: "yes"}}
    - name: held
      matches: [{path: {pathPrefix: /held}}]
      policies:
        transformations:
          response:
            body: '"short"'
      backends: [{host: 127.0.0.1:$B}]
    - name: dead
      matches: [{path: {pathPrefix: /dead}}]
      backends: [{host: 127.0.0.1:$DEAD}]
    - name: h1
      policies:
        responseHeaderModifier: {add: {x-added: "yes"}, remove: [x-gone]}
      backends: [{host: 127.0.0.1:$B}]
YAML
"$SG_BIN" check -c "$WORK/cfg.yaml" >/dev/null 2>"$WORK/err"
check "check accepts response.headers in the log and span attributes" "$?" 0
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

for client in HTTP/1.1 HTTP/2; do
	case $client in
	HTTP/1.1) args=() ;;
	HTTP/2) args=(--http2-prior-knowledge) ;;
	esac
	p="/h1/a?c=${client#HTTP/}"
	hcall "${args[@]}" -H "X-Echo-Set-Header: X-Gone: 1" -H "X-Echo-Set-Header: X-Kept: k" "$u$p"
	len=$(wc -c <"$WORK/body")
	check "$client, HTTP/1 backend: 200, x-gone removed, x-added added" \
		"$H_CODE $(grep -ci '^x-gone:' "$H_HEADERS") $(grep -ci '^x-added: yes' "$H_HEADERS")" "200 0 1"
	sleep 0.2
	check "$client, HTTP/1 backend: the line read the head the client got" \
		"$(log_fields "$p" ct len be kept gone added)" "application/json $len v1 k absent yes"
	p="/h2/a?c=${client#HTTP/}"
	hcall "${args[@]}" "$u$p"
	len=$(wc -c <"$WORK/body")
	sleep 0.2
	check "$client, HTTP/2 backend: the line read the head the client got" \
		"$H_CODE $(log_fields "$p" ct len be gone added)" "200 application/json $len h2b absent yes"
	check "$client, HTTP/2 backend: the field the route removes is absent, its neighbour not" \
		"$(log_fields "$p" bconn bstream)" "absent $(grep -i '^x-backend-stream:' "$H_HEADERS" | tr -dc 0-9)"
	p="/held/a?c=${client#HTTP/}"
	hcall "${args[@]}" "$u$p"
	sleep 0.2
	check "$client, held and transformed: its new Content-Length" \
		"$H_BODY $(log_fields "$p" ct len be)" "short application/json 5 v1"
done

# request.body: held, read by the line; past the bound 413
for client in HTTP/1.1 HTTP/2; do
	case $client in
	HTTP/1.1) args=() ;;
	HTTP/2) args=(--http2-prior-knowledge) ;;
	esac
	for how in "length:" "chunked:-H Transfer-Encoding:chunked"; do
		[ "$client" = HTTP/2 ] && [ "${how%%:*}" = chunked ] && continue
		p="/h1/post?c=${client#HTTP/}&${how%%:*}"
		# shellcheck disable=SC2086
		hcall "${args[@]}" ${how#*:} --data-binary "ping-$client" "$u$p"
		sleep 0.2
		check "$client, ${how%%:*}: the backend got the body, the line read it" \
			"$H_CODE $(jq -r .body_bytes <"$WORK/body" 2>/dev/null) $(log_fields "$p" rb)" \
			"200 $((5 + ${#client})) ping-$client"
	done
	p="/h2/post?c=${client#HTTP/}"
	hcall "${args[@]}" --data-binary "pong-$client" "$u$p"
	sleep 0.2
	check "$client, HTTP/2 backend: the line read the body" "$H_CODE $(log_fields "$p" rb)" \
		"200 pong-$client"
	p="/h1/big?c=${client#HTTP/}"
	pattern 5000 >"$WORK/big"
	hcall "${args[@]}" --data-binary @"$WORK/big" "$u$p"
	check "$client: a body past maxBufferSize is answered 413" "$H_CODE $H_BODY" \
		"413 payload too large"
done
hcall "$u/h1/empty"
sleep 0.2
check "no body: request.body is empty bytes" "$(log_fields /h1/empty rb)" ""

# the gateway's own answers, as written
hcall "$u/direct"
hcall "$u/dead"
dead=$H_BODY
sleep 0.2
check "a direct response: its length and the route's field, no content-type" \
	"$(log_fields /direct ct len added)" "absent 8 yes"
check "a failure's answer (503): text/plain, its length" "$(log_fields /dead ct len)" "text/plain ${#dead}"

# the filter reads them: a response with x-quiet leaves no line
curl -s -o /dev/null --max-time 20 -H "X-Echo-Set-Header: X-Quiet: 1" "$u/h1/quiet"
curl -s -o /dev/null --max-time 20 "$u/h1/loud"
# the later request's line first: once it is there, so is any line
# the earlier one would have left
kept=$(log_line /h1/loud | wc -l)
check "the filter over the head: the line it does not hold for is left out" \
	"$(log_line_now /h1/quiet | wc -l) $kept" "0 1"

# the span's attribute reads them too
tp="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
curl -s -o /dev/null --max-time 20 -H "traceparent: $tp" "$u/h1/traced"
check "the server span's attribute read the response's content-type" \
	"$(server_span_attr 4bf92f3577b34da6a3ce929d0e0e4736 resp.ct)" \
	"application/json"
stop_gateway

sed 's|randomSampling: true|randomSampling: "size(request.body) > 0"|' "$WORK/cfg.yaml" >"$WORK/bad.yaml"
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "request.body in a sampling expression: check exits 1" "$?" 1
check "the refusal names the key and says why" \
	"$(grep -c "tracing.randomSampling: a sampling expression reads the request's head as it is routed: not its body" "$WORK/err")" 1
finish
