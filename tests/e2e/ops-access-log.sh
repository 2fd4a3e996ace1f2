# Access log: one line per request on stdout, JSON or text, agentgateway's
# fields: time, level, gateway, listener, route, endpoint, src.addr (ip:port),
# http.method, http.host, http.path, http.version, http.status, protocol,
# attempts (retries counted), duration, bytes and engine (with --splice
# splice: copy for a small body, splice for a large one), and for a failure
# the gateway answered its reason and error: a refused connect, a name that
# does not resolve, a per-try timeout. Each backend the gateway could not
# reach is a warn line with its cause, at most 5 a second per worker (a dead
# backend taking 30 requests cannot flood the log); --access-log off prints
# no request line. (One worker: the warn lines are bounded per worker.)
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
    - name: refused
      matches: [{path: {pathPrefix: /refused}}]
      backends: [{host: 127.0.0.1:1}]
    - name: nodns
      matches: [{path: {pathPrefix: /nodns}}]
      backends: [{host: no-such-backend.invalid:80}]
    - name: slow
      matches: [{path: {pathPrefix: /slow}}]
      policies: {timeout: {backendRequestTimeout: 300ms}}
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
    - name: plain
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
start_gateway -c "$WORK/cfg.yaml" --access-log json --splice splice --workers 1 || exit 1
curl -s -o /dev/null "http://127.0.0.1:8080/p?size=1234"
curl -s -o /dev/null "http://127.0.0.1:8080/r?responseCode=500&succeedAfter=2&uuid=$$"
curl -s -o /dev/null -H 'Host: x' 'http://127.0.0.1:8080/q"x'
curl -s -o /dev/null "http://127.0.0.1:8080/big?size=200000"
curl -s -o /dev/null "http://127.0.0.1:8080/odd/x"
curl -s -o /dev/null "http://127.0.0.1:8080/refused"
curl -s -o /dev/null "http://127.0.0.1:8080/nodns"
curl -s -o /dev/null "http://127.0.0.1:8080/slow?delay=2s"
curl -s "http://127.0.0.1:8080/refused/[1-30]" >/dev/null
sleep 1.2
curl -s -o /dev/null "http://127.0.0.1:8080/refused/after"
# A target with bytes from 0x80 up (not UTF-8 either): refused with 400
# as hyper's http::Uri refuses it (agentgateway), never logged as a path.
bad=$(printf 'GET /bad\xc3( HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	timeout 5 /usr/bin/python3 -c 'import socket, sys; s = socket.create_connection(("127.0.0.1", 8080)); s.sendall(sys.stdin.buffer.read()); print(s.recv(4096).split(b"\r\n")[0].decode())')
stop_gateway
log="$WORK/gateway.log"
line=$(grep '"http.path":"/p?size=1234"' "$log")
[ "$(jq -c '[.level,.gateway,.listener,.route,(."src.addr" | test("^127[.]0[.]0[.]1:[0-9]+$")),."http.method",."http.host",."http.version",."http.status",.protocol,.attempts,.bytes_out,.engine,.reason]' <<<"$line")" = '["info","default/default","bind/8080/web","bind/8080/web/plain",true,"GET","127.0.0.1:8080","HTTP/1.1",200,"HTTP",1,1234,"copy",null]' ] &&
	pass "json line: level, listener, route, src.addr (address:port, as agentgateway's), method, host, version, status, protocol, bytes, engine (copy for a small body), no reason" || fail "json line: $line"
[ "$(jq -r .endpoint <<<"$line")" = "127.0.0.1:$BACKEND_PORT" ] && pass "json line: endpoint" ||
	fail "endpoint: $line"
[[ $(jq -r .time <<<"$line") =~ ^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}Z$ ]] &&
	pass "json line: time in RFC 3339, UTC, ms" || fail "time: $line"
line=$(grep '"http.path":"/big?size=200000"' "$log")
[ "$(jq -c '[.bytes_out,.engine]' <<<"$line")" = '[200000,"splice"]' ] &&
	pass "json line: a large body moved by splice(2)" || fail "big line: $line"
line=$(grep '"http.path":"/r?' "$log")
[ "$(jq -c '[."http.status",.attempts]' <<<"$line")" = '[200,2]' ] && pass "json line counts the retry" ||
	fail "retry line: $line"
line=$(grep '"http.path":"/refused"' "$log")
[ "$(jq -c '[."http.status",.reason,.error]' <<<"$line")" = '[503,"connect","upstream call failed: connect: connection refused"]' ] &&
	pass "json line: a refused connect's reason and error" || fail "refused line: $line"
line=$(grep '"http.path":"/nodns"' "$log")
[[ $(jq -c '[."http.status",.reason,.error]' <<<"$line") == '[503,"connect","upstream call failed: connect: dns: '* ]] &&
	pass "json line: a name that does not resolve says dns ($(jq -r .error <<<"$line"))" || fail "dns line: $line"
line=$(grep '"http.path":"/slow?delay=2s"' "$log")
[ "$(jq -c '[."http.status",.reason,.error]' <<<"$line")" = '[504,"attempt_timeout","upstream call timeout"]' ] &&
	pass "json line: a per-try timeout's reason" || fail "per-try timeout line: $line"
[ "$(grep -c '^{' "$log")" -ge 3 ] && jq -e . <(grep '^{' "$log") >/dev/null &&
	pass "every line is valid JSON (a quote in the path, a route name with quotes and UTF-8)" ||
	fail "invalid JSON lines: $(grep '^{' "$log" | grep -v '"http.path":"/[prbq]')"
check "a route's name with quotes and UTF-8 comes out as it is" \
	"$(grep '"http.path":"/odd/x"' "$log" | jq -r .route)" 'bind/8080/web/odd "name"é'
check "a target with a byte from 0x80 up is answered 400" "$bad" "HTTP/1.1 400 Bad Request"
check "and logged with no path of its bytes" "$(grep -c '"http.path":"/bad' "$log")" 0
grep -q ' warn  backend 127.0.0.1:1 (route bind/8080/web/refused) not reached: connect: connection refused$' "$log" &&
	pass "warn line: the refused backend and its cause" || fail "no warn line for the refused connect: $(grep warn "$log")"
grep -q ' warn  backend no-such-backend.invalid:80 (route bind/8080/web/nodns) not reached: connect: dns: ' "$log" &&
	pass "warn line: the name that does not resolve" || fail "no warn line for the DNS failure: $(grep warn "$log")"
n=$(grep -c 'not reached: connect: connection refused' "$log")
held=$(sed -n 's/.*refused (and \([0-9]*\) more since.*/\1/p' "$log" | head -1)
[ "$n" -ge 1 ] && [ "$n" -le 15 ] && grep -q 'not reached: connect: connection refused (and [0-9]* more since the last one logged)$' "$log" &&
	[ $((n + held)) -ge 32 ] &&
	pass "30 refused connects in a burst: $n warn lines, $held counted as not logged" ||
	fail "30 refused connects: $n warn lines: $(grep 'not reached' "$log" | tail -3)"

start_gateway -c "$WORK/cfg.yaml" || exit 1
curl -s -o /dev/null "http://127.0.0.1:8080/t"
curl -s -o /dev/null "http://127.0.0.1:8080/refused"
stop_gateway
grep -q '^20[0-9-]*T[0-9:]*\.[0-9]\{3\}Z info  request gateway=default/default listener=bind/8080/web route=bind/8080/web/plain endpoint=127.0.0.1:[0-9]* src.addr=127.0.0.1:[0-9]* http.method=GET http.host=127.0.0.1:8080 http.path=/t http.version=HTTP/1.1 http.status=200 protocol=HTTP attempts=1 duration=[0-9]*ms bytes_in=0 bytes_out=[0-9]* engine=copy$' "$WORK/gateway.log" &&
	pass "text line (default)" || fail "text: $(grep ' request ' "$WORK/gateway.log")"
grep -q ' info  request .* http.path=/refused http.version=HTTP/1.1 http.status=503 .* reason=connect error="upstream call failed: connect: connection refused"$' "$WORK/gateway.log" &&
	pass "text line: a refused connect's reason and error" || fail "text: $(grep ' request ' "$WORK/gateway.log")"

start_gateway -c "$WORK/cfg.yaml" --access-log off || exit 1
curl -s -o /dev/null "http://127.0.0.1:8080/t"
stop_gateway
! grep -q ' info  request \|^{' "$WORK/gateway.log" && pass "--access-log off" ||
	fail "lines with off: $(grep ' info  request \|^{' "$WORK/gateway.log")"
finish
