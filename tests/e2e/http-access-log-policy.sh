# The access log policy (agentgateway's frontendPolicies.accessLog and
# config.logging): a CEL filter keeps only the requests it is true for
# (a request left out is still served and counted); fields.add puts CEL
# values on the line (strings, numbers, maps as JSON in the JSON format),
# a name the line has is replaced, remove drops fields, in both formats;
# config.logging.format picks JSON or text unless --access-log is given;
# level warn writes no request line; HTTP/1 and h2c alike; config_dump
# shows both.
. "$(dirname "$0")/lib.sh"

start_backend alp
config() { # $1: config.logging's format, $2: its level
	cat >"$WORK/cfg.yaml" <<YAML
config:
  logging:
    format: $1
    level: $2
    fields:
      add: {n: '1 + 2'}
frontendPolicies:
  accessLog:
    filter: 'response.code >= 400 || request.path.startsWith("/keep")'
    add:
      user: 'request.headers["x-user"]'
      http.host: '"hidden"'
      m: '{"method": request.method}'
    remove: [src.addr, engine]
binds:
- port: 8080
  listeners:
  - name: web
    routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
}
requests() {
	curl -s -o /dev/null -H 'X-User: ann' "http://127.0.0.1:8080/keep"
	curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:8080/drop" >"$WORK/drop.code"
	curl -s -o /dev/null "http://127.0.0.1:8080/err?responseCode=500"
	curl -s -o /dev/null --http2-prior-knowledge -H 'X-User: h2' "http://127.0.0.1:8080/keep-h2"
	curl -s -o /dev/null --http2-prior-knowledge "http://127.0.0.1:8080/drop-h2"
}

config json info
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
requests
dump=$(curl -s http://127.0.0.1:15000/config_dump)
stop_gateway
log="$WORK/gateway.log"
[ "$(cat "$WORK/drop.code")" = 200 ] && pass "a request the filter leaves out is served" ||
	fail "drop: $(cat "$WORK/drop.code")"
line=$(grep '"http.path":"/keep"' "$log")
[ "$(jq -c '[."http.status",.user,."http.host",.m,.n,has("src.addr"),has("engine"),.route]' <<<"$line")" = \
	'[200,"ann","hidden",{"method":"GET"},null,false,false,"bind/8080/web/route0"]' ] &&
	pass "json: added fields (string, map), a replaced field, removed ones; the policy's add over config.logging's" ||
	fail "keep line: $line"
! grep -q '"http.path":"/drop"' "$log" && pass "json: the filter leaves /drop out" || fail "drop logged"
line=$(grep '"http.path":"/keep-h2"' "$log")
[ "$(jq -c '[."http.version",.user,has("src.addr")]' <<<"$line")" = '["HTTP/2","h2",false]' ] &&
	! grep -q '"http.path":"/drop-h2"' "$log" && pass "json: the same policy for an h2c request" ||
	fail "h2c line: $line"
line=$(grep '"http.path":"/err?responseCode=500"' "$log")
[ "$(jq -c '[."http.status",has("user")]' <<<"$line")" = '[500,false]' ] &&
	pass "json: a 500 passes the filter; a header that is absent adds no field" || fail "err line: $line"
[ "$(jq -c '.config.logging' <<<"$dump")" = '{"filter":null,"fields":{"remove":[],"add":{"n":"1 + 2"}},"level":"info","format":"json"}' ] &&
	pass "config_dump: config.logging" || fail "dump logging: $(jq -c '.config.logging' <<<"$dump")"
[ "$(jq -c '.policies[] | select(.key == "frontend/accessLog") | .policy.frontend.accessLog.remove' <<<"$dump")" = '["src.addr","engine"]' ] &&
	pass "config_dump: frontendPolicies.accessLog" || fail "dump accessLog: $(jq -c .policies <<<"$dump")"

config text info
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
requests
stop_gateway
line=$(grep ' info  request .*http.path=/keep ' "$log")
[[ $line == *" http.path=/keep http.version=HTTP/1.1 http.status=200 protocol=HTTP attempts=1 duration="*"ms bytes_in=0 bytes_out="*" user=ann http.host=hidden m={\"method\":\"GET\"}" ]] &&
	pass "text: the same fields" || fail "text line: $line"
[[ $line != *src.addr=* && $line != *engine=* ]] && pass "text: removed fields" || fail "text removed: $line"
! grep -q 'http.path=/drop' "$log" && pass "text: /drop left out" || fail "text drop logged"

start_gateway -c "$WORK/cfg.yaml" --workers 1 --access-log json || exit 1
requests
stop_gateway
grep -q '^{.*"http.path":"/keep"' "$log" && pass "--access-log json over config.logging's text" ||
	fail "--access-log: $(cat "$log")"

config json warn
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
requests
stop_gateway
! grep -q '"http.path"' "$log" && pass "level warn: no request line" || fail "warn: $(grep http.path "$log")"
finish
