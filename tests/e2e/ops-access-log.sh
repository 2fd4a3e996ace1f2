# Access log: one line per request on stdout, JSON or text, with listener,
# route, endpoint, method, path, status, attempts (retries counted),
# duration, bytes and engine (with --splice splice: copy for a small body,
# splice for a large one); --access-log off prints none.
. "$(dirname "$0")/lib.sh"

start_backend al
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: web
    routes:
    - name: retried
      matches: [{path: {pathPrefix: /r}}]
      policies: {retry: {attempts: 2, codes: [500]}}
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
    - name: "odd \\"name\\"\\u00e9"
      matches: [{path: {pathPrefix: /odd}}]
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
    - name: plain
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
start_gateway -c "$WORK/cfg.yaml" --access-log json --splice splice || exit 1
curl -s -o /dev/null "http://127.0.0.1:8080/p?size=1234"
curl -s -o /dev/null "http://127.0.0.1:8080/r?responseCode=500&succeedAfter=2&uuid=$$"
curl -s -o /dev/null -H 'Host: x' 'http://127.0.0.1:8080/q"x'
curl -s -o /dev/null "http://127.0.0.1:8080/big?size=200000"
curl -s -o /dev/null "http://127.0.0.1:8080/odd/x"
# A target with bytes that are not UTF-8 (answered 400 or routed: logged
# either way, as valid JSON).
printf 'GET /bad\xc3( HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	timeout 5 /usr/bin/python3 -c 'import socket, sys; s = socket.create_connection(("127.0.0.1", 8080)); s.sendall(sys.stdin.buffer.read()); s.recv(4096)'
stop_gateway
log="$WORK/gateway.log"
line=$(grep '"path":"/p?size=1234"' "$log")
[ "$(jq -c '[.listener,.route,.method,.status,.attempts,.bytes_out,.engine]' <<<"$line")" = '["bind/8080/web","bind/8080/web/plain","GET",200,1,1234,"copy"]' ] &&
	pass "json line: listener, route, status, bytes, engine (copy for a small body)" || fail "json line: $line"
[ "$(jq -r .endpoint <<<"$line")" = "127.0.0.1:$BACKEND_PORT" ] && pass "json line: endpoint" ||
	fail "endpoint: $line"
line=$(grep '"path":"/big?size=200000"' "$log")
[ "$(jq -c '[.bytes_out,.engine]' <<<"$line")" = '[200000,"splice"]' ] &&
	pass "json line: a large body moved by splice(2)" || fail "big line: $line"
line=$(grep '"path":"/r?' "$log")
[ "$(jq -c '[.status,.attempts]' <<<"$line")" = '[200,2]' ] && pass "json line counts the retry" ||
	fail "retry line: $line"
[ "$(grep -c '^{' "$log")" -ge 3 ] && jq -e . <(grep '^{' "$log") >/dev/null &&
	pass "every line is valid JSON (a quote in the path, a route name with quotes, bytes that are not UTF-8)" ||
	fail "invalid JSON lines: $(grep '^{' "$log" | grep -v '"path":"/[prbq]')"
check "a route's name with quotes and UTF-8 comes out as it is" \
	"$(grep '"path":"/odd/x"' "$log" | jq -r .route)" 'bind/8080/web/odd "name"é'
check "bytes that are not UTF-8 in the target are U+FFFD" \
	"$(grep '"path":"/bad' "$log" | jq -r .path)" "/bad�("

start_gateway -c "$WORK/cfg.yaml" || exit 1
curl -s -o /dev/null "http://127.0.0.1:8080/t"
stop_gateway
grep -q '^request listener=bind/8080/web route=bind/8080/web/plain endpoint=127.0.0.1:[0-9]* http.method=GET http.path=/t http.status=200 attempts=1 duration=[0-9]*ms bytes_in=0 bytes_out=[0-9]* engine=copy$' "$WORK/gateway.log" &&
	pass "text line (default)" || fail "text: $(grep '^request' "$WORK/gateway.log")"

start_gateway -c "$WORK/cfg.yaml" --access-log off || exit 1
curl -s -o /dev/null "http://127.0.0.1:8080/t"
stop_gateway
! grep -q '^request\|^{' "$WORK/gateway.log" && pass "--access-log off" || fail "lines with off"
finish
