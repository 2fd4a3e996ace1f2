# response.body in the access log's fields and filter and in the span's
# attributes: the routes of a listener whose log or tracing reads it hold
# their responses (up to maxBufferSize) and the line and span read the
# whole body once it went out, over HTTP/1 and HTTP/2 clients, from HTTP/1
# (length, chunks) and HTTP/2 backends, the client getting the same bytes
# as through a route that holds nothing; past the bound the response goes
# as it came, the line has no response.body and response.bodyPrefix is
# its first maxBufferSize bytes; a HEAD request's and a 204's
# response.body is empty bytes (as agentgateway); the gateway's own
# answers (a direct response, a 503) are read as written; a filter over the body
# keeps only the lines it holds for; a retry condition reading
# response.body is refused by check with the reason.
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
    filter: '!(size(response.bodyPrefix) < 4096 && string(response.bodyPrefix).contains("SKIPME"))'
    add:
      rsize: size(response.body)
      rsha: 'size(response.body) > 0 ? "some" : "none"'
      psize: size(response.bodyPrefix)
      rpath: 'size(response.body) > 0 && string(response.body).startsWith("{") ? json(response.body).path : "-"'
  tracing:
    host: 127.0.0.1:$cport
    protocol: http
    randomSampling: true
    attributes: {body.size: size(response.body)}
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: h2
      matches: [{path: {pathPrefix: /h2}}]
      backends:
      - host: 127.0.0.1:$H2B
        policies:
          http: {version: HTTP/2.0}
    - name: direct
      matches: [{path: {pathPrefix: /direct}}]
      policies:
        directResponse: {status: 200, body: hi there}
    - name: dead
      matches: [{path: {pathPrefix: /dead}}]
      backends: [{host: 127.0.0.1:$DEAD}]
    - name: h1
      backends: [{host: 127.0.0.1:$B}]
YAML
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

n=0
for client in HTTP/1.1 HTTP/2; do
	case $client in
	HTTP/1.1) args=() ;;
	HTTP/2) args=(--http2-prior-knowledge) ;;
	esac
	for how in "length:/h1/a" "chunks:/h1/a?mode=chunked&chunk=7" "HTTP/2 backend:/h2/a"; do
		n=$((n + 1))
		what="$client, ${how%%:*}"
		path="${how#*:}"
		sep='?'
		[[ $path == *\?* ]] && sep='&'
		path="$path${sep}n=$n"
		hcall "${args[@]}" "$u$path"
		size=$(wc -c <"$WORK/body")
		check "$what: 200, the backend's echo" "$H_CODE $(jq -r .path <"$WORK/body" 2>/dev/null)" \
			"200 $path"
		sleep 0.2
		check "$what: the line read the whole body (size, prefix, its JSON)" \
			"$(log_fields "$path" rsize psize rpath)" "$size $size $path"
	done
done

# past the bound: as it came; no response.body, bodyPrefix its first 4096
SHA5000=$(pattern 5000 | sha256_of)
curl -s -o "$WORK/big" --max-time 20 "$u/h1/big?size=5000"
check "past maxBufferSize: the body as it came" "$(sha256_of <"$WORK/big")" "$SHA5000"
sleep 0.2
check "past maxBufferSize: no response.body, bodyPrefix 4096 bytes" \
	"$(log_fields "/h1/big?size=5000" rsize psize)" "absent 4096"
curl -s -o /dev/null --max-time 20 "$u/h1/big2?size=5000&mode=chunked&chunk=1000"
sleep 0.2
check "past maxBufferSize, chunked: no response.body, bodyPrefix 4096 bytes" \
	"$(log_fields "/h1/big2?size=5000&mode=chunked&chunk=1000" rsize psize)" \
	"absent 4096"

# HEAD and 204: empty bytes
curl -s -o /dev/null -I --max-time 20 "$u/h1/head"
curl -s -o /dev/null --max-time 20 "$u/h1/nc?responseCode=204"
sleep 0.2
check "HEAD: response.body is empty bytes" "$(log_fields /h1/head rsize rsha)" "0 none"
check "204: response.body is empty bytes" "$(log_fields "/h1/nc?responseCode=204" rsize)" 0

# the gateway's own answers: as written
hcall "$u/direct"
hcall "$u/dead"
dead=$H_BODY
sleep 0.2
check "a direct response's body is the line's response.body" "$(log_fields /direct rsize)" 8
check "a failure's answer (503) is the line's response.body" "$(log_fields /dead rsize)" "${#dead}"

# the filter reads the body: a body holding SKIPME leaves no line
curl -s -o /dev/null --max-time 20 "$u/h1/skip?SKIPME=1"
curl -s -o /dev/null --max-time 20 "$u/h1/keep?x=1"
# the later request's line first: once it is there, so is any line
# the earlier one would have left
kept=$(log_line "/h1/keep?x=1" | wc -l)
check "the filter over the body: the line it does not hold for is left out" \
	"$(log_line_now "/h1/skip?SKIPME=1" | wc -l) $kept" "0 1"

# the span's attribute read it too
tp="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
hcall -H "traceparent: $tp" "$u/h1/traced"
size=$(wc -c <"$WORK/body")
check "the server span's attribute read the whole body" \
	"$(server_span_attr 4bf92f3577b34da6a3ce929d0e0e4736 body.size)" \
	"$size"
stop_gateway

cat >"$WORK/bad.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - routes:
    - policies:
        retry: {codes: [503], condition: 'string(response.body).contains("busy")'}
      backends: [{host: 127.0.0.1:$B}]
YAML
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "a retry condition reading response.body: check exits 1" "$?" 1
check "the refusal says why" \
	"$(grep -c "retry.condition: a retry condition is evaluated over each try's response head, before its body is read" "$WORK/err")" 1
finish
