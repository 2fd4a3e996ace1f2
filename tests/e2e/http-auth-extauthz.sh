# External authorization (agentgateway's extAuthz route policy) against
# real services: a gRPC one (python3-grpcio, envoy.service.auth.v3
# Authorization/Check, stubs compiled from tests/e2e/proto at test time)
# and an HTTP one. Over HTTP/1 and h2c an allowed request reaches the
# backend with the service's header edits, and its response gets the
# service's lines; a denial is answered with the service's status, headers
# and body, and the request's CORS lines but not the route's
# responseHeaderModifier (agentgateway's order); a denial without one, a
# failing, hanging (past its timeout),
# resetting or absent service is 403 "external authorization failed"
# (failureMode deny), passes (allow), or gets the configured status
# (denyWithStatus). A header value that is not UTF-8 reaches the service
# with U+FFFD in place (agentgateway's lossy text), so the service still
# decides rather than failing the call. The Check call names the source
# and the destination (the gateway's address and port; behind a PROXY
# protocol header, the header's). The body goes to the service within its bound (over it:
# 413, or cut with allowPartialMessage). The Check call's metadata_context
# carries grpc.metadata's values, else a verified JWT's claims under
# envoy.filters.http.jwt_authn, else nothing (an empty one). A client of
# another route is served while the service hangs. config_dump prints the
# policy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080
ALOG=$WORK/authz.log
authz_services grpc http
DEAD=$(free_port)
jwt_keys
NOW=$(date +%s)

route() { # NAME PREFIX EXTAUTHZ-FLOW-MAP
	cat <<YAML
    - name: $1
      matches: [{path: {pathPrefix: $2}}]
      policies:
        extAuthz: $3
      backends: [{host: 127.0.0.1:$V1}]
YAML
}

{
	# an access log that reads response.headers: what the gateway's own
	# answers carry is kept for it
	cat <<YAML
frontendPolicies:
  accessLog: {filter: 'response.headers["x-no-log"] != "1"'}
  # optional: every other client here sends no header
  proxyProtocol: {version: all, mode: optional}
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
YAML
	route g /g "{host: 127.0.0.1:$GP, protocol: {grpc: {context: {tenant: t1}}}, policies: {http: {requestTimeout: 1s}}}"
	route fa /fa "{host: 127.0.0.1:$GP, failureMode: allow, policies: {http: {requestTimeout: 1s}}}"
	route fs /fs "{host: 127.0.0.1:$GP, failureMode: {denyWithStatus: 503}, policies: {http: {requestTimeout: 1s}}}"
	route gb /gb "{host: 127.0.0.1:$GP, includeRequestHeaders: [x-token, ':method'], includeRequestBody: {maxRequestBytes: 8, allowPartialMessage: true}}"
	route gt /gt "{host: 127.0.0.1:$GP, includeRequestBody: {maxRequestBytes: 8}}"
	route dead /dead "{host: 127.0.0.1:$DEAD}"
	route h /h "{host: 127.0.0.1:$HP, protocol: {http: {includeResponseHeaders: [x-authz-user]}}, policies: {http: {requestTimeout: 1s}}}"
	route hp /hp "{host: 127.0.0.1:$HP, protocol: {http: {path: '\"/allow\" + request.path', includeResponseHeaders: [x-authz-user]}}, cache: {key: [request.path], ttl: 1m}}"
	route gm /gm "{host: 127.0.0.1:$GP, protocol: {grpc: {metadata: {tenant: '{\"name\": request.headers[\"x-tenant\"], \"n\": 2}', flat: request.path, bad: 'request.headers[\"nope\"]'}}}}"
	cat <<YAML
    - name: fsh
      matches: [{path: {pathPrefix: /fsh}}]
      policies:
        extAuthz: {host: 127.0.0.1:$DEAD, failureMode: {denyWithStatus: 503}}
        responseHeaderModifier: {add: {x-route: fsh}}
      backends: [{host: 127.0.0.1:$V1}]
YAML
	for rt in gc hc; do
		[ $rt = gc ] && az="{host: 127.0.0.1:$GP}" || az="{host: 127.0.0.1:$HP, protocol: {http: {}}}"
		cat <<YAML
    - name: $rt
      matches: [{path: {pathPrefix: /$rt}}]
      policies:
        cors: {allowOrigins: ["https://app.example"]}
        extAuthz: $az
        responseHeaderModifier: {add: {x-route: $rt}}
      backends: [{host: 127.0.0.1:$V1}]
YAML
	done
	cat <<YAML
    - name: gj
      matches: [{path: {pathPrefix: /gj}}]
      policies:
        jwtAuth: {issuer: https://issuer.example, audiences: [api], jwks: {file: $K/jwks.json}}
        extAuthz: {host: 127.0.0.1:$GP}
      backends: [{host: 127.0.0.1:$V1}]
YAML
	cat <<YAML
    - name: open
      backends: [{host: 127.0.0.1:$V1}]
YAML
} >"$WORK/cfg.yaml"

if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

# last_check: the last question the gRPC service was asked, as JSON.
last_check() {
	tail -n 1 "$ALOG"
}

for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt -H "x-remove-me: 1" -H "x-authz-user: mallory" "$u/g/allow"
	check "$opt gRPC: allowed, the service's edits on the request and response" \
		"$H_CODE $(echo_values x-authz-user) [$(echo_header x-remove-me)] $(resp_header x-authz-decision)" \
		"200 alice [] allowed"
	check "$opt gRPC: what the service was asked" \
		"$(last_check | jq -c '[.method, .path, .host, .scheme, .headers[":method"], .headers[":path"], .headers["x-remove-me"], .context.tenant, .source, .source_port > 1023, .time > 0]')" \
		'["GET","/g/allow","127.0.0.1:8080","http","GET","/g/allow","1","t1","127.0.0.1",true,true]'
	check "$opt gRPC: the destination is where the connection arrived (agentgateway's)" \
		"$(last_check | jq -c '[.destination, .destination_port]')" '["127.0.0.1",8080]'
	hcall $opt "$u/g/deny"
	check "$opt gRPC: denied with the service's status, header and body" \
		"$H_CODE $(resp_header x-denied-by) $H_BODY" "418 authz denied by policy"
done
check "the protocol the client spoke is named" "$(last_check | jq -r .protocol)" "HTTP/2"
# Behind a PROXY protocol header, the source and the destination are the
# header's (agentgateway's TCPConnectionInfo local_addr), not the socket's.
pp=$(printf 'PROXY TCP4 203.0.113.7 10.0.0.1 40000 8443\r\nGET /g/allow HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n' |
	raw_http 8080 GET 0 | jq -r '.responses[0].status')
check "PROXY header: allowed" "$pp" 200
check "PROXY header: the Check call names its source and destination" \
	"$(last_check | jq -c '[.source, .source_port, .destination, .destination_port]')" \
	'["203.0.113.7",40000,"10.0.0.1",8443]'
hcall "$u/g/plain"
expect "gRPC: denied without a response: 403" 403 "external authorization failed"
hcall "$u/g/inject"
expect "gRPC: a header value with CR LF in it is a malformed answer (failureMode deny): 403" \
	403 "external authorization failed"
hcall "$u/g/error"
expect "gRPC: the call fails (INTERNAL), failureMode deny: 403" 403 "external authorization failed"
hcall "$u/g/reset"
expect "gRPC: the service aborts (UNAVAILABLE): 403" 403 "external authorization failed"
hcall "$u/fa/error"
check "failureMode allow: the request passes" "$H_CODE $(echo_header x-authz-user)" "200 "
hcall -H $'x-name: b\xe9la' "$u/fa/deny"
check "a header that is not UTF-8 goes with U+FFFD: the service still decides (not failureMode allow)" \
	"$H_CODE $(last_check | jq -r '.headers["x-name"]')" "418 b"$'\xef\xbf\xbd'"la"
hcall "$u/fs/error"
expect "failureMode denyWithStatus: its status, agentgateway's words" 503 \
	"Authorization service unavailable"
hcall "$u/fsh/x"
check "failureMode denyWithStatus, the service down: its status, with the route's response headers" \
	"$H_CODE $(resp_header x-route) $H_BODY" "503 fsh Authorization service unavailable"
# A denial carries the request's CORS lines (a browser reads it) but not
# the route's responseHeaderModifier, as agentgateway's does.
for rt in gc hc; do
	hcall -H "Origin: https://app.example" "$u/$rt/deny"
	check "$rt: the service's denial with the CORS lines, not the route's response header" \
		"$H_CODE $(resp_header x-denied-by) [$(resp_header access-control-allow-origin)] [$(resp_header x-route)] $H_BODY" \
		"418 authz [https://app.example] [] denied by policy"
done
hcall -H "Origin: https://app.example" "$u/gc/allow"
check "gc: allowed, the route's response header and the CORS lines" \
	"$H_CODE [$(resp_header access-control-allow-origin)] [$(resp_header x-route)]" \
	"200 [https://app.example] [gc]"
hcall "$u/open/x"
check "the gateway serves on after it (it crashed on that answer once the log read response.headers)" \
	"$H_CODE" 200
hcall "$u/dead/x"
expect "a service that refuses connections: 403" 403 "external authorization failed"
hcall "$u/g/x/pass"
check "allowed with no edits" "$H_CODE" 200

# A hanging service: the request waits for its timeout (1 s), alone.
busy_client_start "$u/open"
(hcall "$u/g/slow" && echo "$H_CODE $H_BODY" >"$WORK/slow.out") &
SLOW=$!
sleep 0.3
hcall "$u/open/x"
check "another request is served while the service hangs" \
	"$H_CODE [$(cat "$WORK/slow.out" 2>/dev/null)]" "200 []"
wait "$SLOW"
check "the hanging service's request: 403 after its timeout" "$(cat "$WORK/slow.out")" \
	"403 external authorization failed"
hcall "$u/fa/slow"
check "a hanging service, failureMode allow: passes after the timeout" "$H_CODE" 200
busy_client_check

# metadata_context.
hcall -H "x-tenant: acme" "$u/gm/x"
check "grpc.metadata: its map values as the Check call's filter_metadata (others left out)" \
	"$H_CODE $(last_check | jq -c '[(.metadata | keys), .metadata.tenant.name, .metadata.tenant.n == 2]')" \
	'200 [["tenant"],"acme",true]'
hcall "$u/g/x"
check "no metadata, no JWT: an empty metadata_context" "$H_CODE $(last_check | jq -c .metadata)" \
	"200 {}"
hcall -H "Authorization: Bearer $(mint ES256 ec256 "{\"iss\":\"https://issuer.example\",\"aud\":\"api\",\"sub\":\"alice\",\"exp\":$((NOW + 3600))}")" "$u/gj/x"
check "a verified JWT: its claims as envoy.filters.http.jwt_authn's jwt_payload" \
	"$H_CODE $(last_check | jq -c '.metadata["envoy.filters.http.jwt_authn"].jwt_payload | [.sub, .aud, .iss]')" \
	'200 ["alice","api","https://issuer.example"]'

# The body, within the bound.
hcall -X POST --data-binary 'hello world!!' -H "x-token: ok" -H "x-other: 1" "$u/gb/x"
check "includeRequestBody: the first 8 bytes (allowPartialMessage), the whole size" \
	"$H_CODE $(last_check | jq -c '[.body, .size, (.headers | keys)]')" \
	'200 ["hello wo",13,[":method","x-token"]]'
hcall -H "x-token: bad" "$u/gb/x"
expect "includeRequestHeaders: the service decides on them" 418 "denied by policy"
hcall -X POST --data-binary 'hello world!!' "$u/gt/x"
expect "a body over maxRequestBytes: 413" 413 "external authorization failed"
hcall -X POST --data-binary 'hello' "$u/gt/x"
check "a body within maxRequestBytes goes whole" "$H_CODE $(last_check | jq -c '[.body, .size]')" \
	'200 ["hello",5]'

# The HTTP protocol.
for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt -H "Authorization: Bearer t" -H "x-secret: s" "$u/h/allow"
	check "$opt HTTP: allowed, includeResponseHeaders copied to the request" \
		"$H_CODE $(echo_header x-authz-user) [$(echo_header x-other)]" "200 alice []"
	check "$opt HTTP: the service gets the method, path and Authorization alone" \
		"$(tail -n 1 "$WORK/http-authz.log" | jq -c '[.method, .path, .headers.authorization, .headers["x-secret"]]')" \
		'["GET","/h/allow","Bearer t",null]'
	hcall $opt "$u/h/deny"
	check "$opt HTTP: a denial as returned" "$H_CODE $(resp_header x-denied-by) $H_BODY" \
		"418 authz denied by policy"
done
hcall "$u/h/error"
expect "HTTP: the service's 500 is answered as returned" 500 "authz broke"
hcall "$u/h/reset"
expect "HTTP: a service that resets: 403" 403 "external authorization failed"
hcall "$u/h/slow"
expect "HTTP: a hanging service: 403 after its timeout" 403 "external authorization failed"
hcall -X POST --data-binary 'abc' "$u/h/allow"
check "HTTP: a POST is asked about with its method" \
	"$H_CODE $(tail -n 1 "$WORK/http-authz.log" | jq -r .method)" "200 POST"

# http.path and the cache (standalone): asked once, at the expression's path.
n=$(wc -l <"$WORK/http-authz.log")
hcall "$u/hp/x"
hcall "$u/hp/x"
check "http.path and cache: both allowed, one question at the expression's path" \
	"$H_CODE $(echo_header x-authz-user) $(($(wc -l <"$WORK/http-authz.log") - n)) $(tail -n 1 "$WORK/http-authz.log" | jq -r .path)" \
	"200 alice 1 /allow/hp/x"

got=$(inline_policies g)
json_equal "config_dump: extAuthz in agentgateway's shape" "$got" \
	"[[{\"extAuthz\": {\"host\": \"127.0.0.1:$GP\", \"protocol\": {\"grpc\": {\"context\": {\"tenant\": \"t1\"}}},
	   \"failureMode\": \"deny\", \"policies\": {\"http\": {\"requestTimeout\": \"1s\"}}}}]]"
got=$(inline_policies h)
json_equal "config_dump: the HTTP protocol" "$got" \
	"[[{\"extAuthz\": {\"host\": \"127.0.0.1:$HP\", \"protocol\": {\"http\": {\"path\": null, \"redirect\": null, \"body\": null, \"includeResponseHeaders\": [\"x-authz-user\"]}},
	   \"failureMode\": \"deny\", \"policies\": {\"http\": {\"requestTimeout\": \"1s\"}}}}]]"

# Keys splicegate does not implement are refused by name.
cat >"$WORK/bad.yaml" <<YAML
binds:
- port: 8081
  listeners:
  - routes:
    - policies:
        extAuthz: {service: {name: authz, port: 9000}}
      backends: [{host: 127.0.0.1:1}]
YAML
out=$("$SG_BIN" check -c "$WORK/bad.yaml" 2>&1)
check "check refuses a service target by name" \
	"$(grep -c 'extAuthz.service: not supported (give the authorization service as host' <<<"$out")" 1
finish
