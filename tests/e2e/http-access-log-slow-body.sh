# Access log of a request whose body is still arriving at its request timeout: 504, and the line names its own method and path although reading the body moved the buffer that held the head (the line used to read the freed buffer).
. "$(dirname "$0")/lib.sh"

start_backend slowbody
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: web
    routes:
    - name: upload
      policies: {timeout: {requestTimeout: 500ms}}
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
start_gateway -c "$WORK/cfg.yaml" --access-log json || exit 1
# 30,000 of 60,000 body bytes: buffered for a retry, the body grows the
# client's buffer past its first sizes, then stalls.
RAW=$({
	printf 'POST /slow-body?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n'
	head -c 30000 /dev/zero | tr '\0' a
} | raw_http 8080 POST 3)
check "stalled body answered 504 at the request timeout" "$(jq -c '[.responses[0].status]' <<<"$RAW")" "[504]"
stop_gateway
line=$(grep '^{' "$WORK/gateway.log")
[ "$(jq -c '[."http.method",."http.path",."http.status",.reason]' <<<"$line" 2>/dev/null)" = '["POST","/slow-body?x=1",504,"request_timeout"]' ] &&
	pass "json line: method, path, status and reason of the timed-out request" || fail "json line: $line"
finish
