# The admin server: config_dump is pretty JSON in serde's layout, unknown
# paths get 404, wrong methods 405, /logging on the admin socket changes the
# level, and POST /quitquitquit there stops the gateway with exit 0.
. "$(dirname "$0")/lib.sh"

start_gateway || exit 1

body=$(curl -s http://127.0.0.1:15000/config_dump)
if [ "$(jq . <<<"$body")" = "$body" ]; then pass "config_dump layout is jq's two-space layout"; else fail "config_dump layout"; fi
[ "$(jq -r '.binds[0].key' <<<"$body")" = "bind/8080" ] && pass "default config binds :8080" || fail "default bind"
[ "$(jq -r '.config.backend.poolIdleTimeout' <<<"$body")" = "1m30s" ] && pass "poolIdleTimeout default 1m30s" || fail "poolIdleTimeout default"
[ "$(jq -c '.config.backend.keepalives' <<<"$body")" = '{"enabled":true,"time":"3m0s","interval":"3m0s","retries":9}' ] && pass "backend keepalive defaults" || fail "backend keepalive defaults"

code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:15000/nope)
[ "$code" = 404 ] && pass "unknown path 404" || fail "unknown path gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:15000/config_dump)
[ "$code" = 405 ] && pass "POST /config_dump 405" || fail "POST /config_dump gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:15000/quitquitquit)
[ "$code" = 405 ] && pass "GET /quitquitquit 405" || fail "GET /quitquitquit gave $code"
check "a 405 says what the path takes (Allow, RFC 9110 15.5.6)" \
	"$(curl -s -D - -o /dev/null -X PUT http://127.0.0.1:15000/config | tr -d '\r' | grep -i '^allow:')" \
	"allow: POST, DELETE"

out=$(admin_write -X POST '/logging?level=debug')
[ "$out" = "current log level is debug" ] && pass "logging level set" || fail "logging: $out"
code=$(admin_write -o /dev/null -w '%{http_code}' -X POST '/logging?level=loud')
[ "$code" = 400 ] && pass "bad logging level 400" || fail "bad level gave $code"

admin_write -X POST /quitquitquit >/dev/null
for _ in $(seq 100); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.05; done
wait "$GW_PID"
rc=$?
[ "$rc" = 0 ] && pass "quitquitquit exits 0" || fail "quitquitquit exit $rc"
finish
