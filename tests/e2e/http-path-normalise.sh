# Request paths are normalised before routing (issue 63): with route rl
# (pathPrefix /rl, a local rate limit of one token) beside a catch-all,
# once /rl is limited, /x/../rl, //rl, /./rl, /%72l and /%2e/rl get the same
# 429 over HTTP/1 and HTTP/2, in every engine, and the backend is sent /rl;
# urlRewrite's prefix cannot be climbed out of (/api/../admin, %2e%2e, .%2e,
# /api/x/../../admin reach the backend as the catch-all's /admin, never
# /v1/../admin); the access log keeps the path the client sent. Switches
# (Envoy's names): normalizePath and mergeSlashes false leave a path as it
# came; pathWithEscapedSlashesAction REJECT_REQUEST answers 400,
# UNESCAPE_AND_FORWARD decodes %2F; config_dump prints what is not the
# default; UNESCAPE_AND_REDIRECT is refused by name.
. "$(dirname "$0")/lib.sh"

start_backend echo
ECHO=$BACKEND_PORT
u=http://127.0.0.1:8080

cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: rl
      matches: [{path: {pathPrefix: /rl}}]
      policies:
        localRateLimit: [{maxTokens: 1, tokensPerFill: 1, fillInterval: 1h}]
      backends: [{host: 127.0.0.1:$ECHO}]
    - name: api
      matches: [{path: {pathPrefix: /api}}]
      policies:
        urlRewrite: {path: {prefix: /v1}}
      backends: [{host: 127.0.0.1:$ECHO}]
    - name: rest
      backends: [{host: 127.0.0.1:$ECHO}]
YAML

for engine in $(engines); do
	if ! start_engine "$engine" -c "$WORK/cfg.yaml"; then
		fail "$engine: gateway did not start"
		continue
	fi
	hcall "$u/rl"
	check "$engine: /rl takes the one token" "$H_CODE $(jq -r .path <<<"$H_BODY")" "200 /rl"
	hcall "$u/rl"
	expect "$engine: /rl again: 429" 429 "rate limit exceeded"
	for p in /x/../rl //rl /./rl /%72l /%2e/rl /%2E/x/%2e%2e//rl; do
		hcall --path-as-is "$u$p"
		expect "$engine: HTTP/1 $p is limited as /rl" 429 "rate limit exceeded"
		hcall --path-as-is --http2-prior-knowledge "$u$p"
		expect "$engine: HTTP/2 $p is limited as /rl" 429 "rate limit exceeded"
	done
	hcall --path-as-is "$u/rlx/../rest"
	check "$engine: /rlx/../rest is not /rl's" "$H_CODE $(jq -r .path <<<"$H_BODY")" "200 /rest"

	for p in /api/../admin /api/%2e%2e/admin /api/%2E%2E/admin /api/.%2e/admin \
		/api/x/../../admin; do
		for proto in --http1.1 --http2-prior-knowledge; do
			hcall --path-as-is "$proto" "$u$p?q=%2e%2e"
			check "$engine: $proto $p reaches the backend as /admin" \
				"$H_CODE $(jq -r .path <<<"$H_BODY")" "200 /admin?q=%2e%2e"
		done
	done
	hcall --path-as-is "$u/api/a/./b/../c%7e"
	check "$engine: a rewrite applies to the normal path" "$(jq -r .path <<<"$H_BODY")" \
		"/v1/a/c~"
	hcall --path-as-is "$u/a%zz"
	expect "$engine: a stray % is refused" 400 "bad request"
	hcall --path-as-is "$u/a%2fb"
	check "$engine: an escaped slash is kept by default, its digits uppercased" \
		"$H_CODE $(jq -r .path <<<"$H_BODY")" "200 /a%2Fb"
	stop_gateway
done

# The access log names the path the client sent.
start_gateway -c "$WORK/cfg.yaml" --access-log json || finish
hcall --path-as-is "$u/api/../admin"
sleep 0.2
check "the access log keeps the path as sent" \
	"$(grep -c '"route":"[^"]*/rest".*"http.path":"/api/../admin"' "$WORK/gateway.log")" 1
stop_gateway

# switches CFG-LINE: a config on 8080 with a catch-all to the echo backend
# and frontendPolicies.http set to CFG-LINE.
switches() {
	cat >"$WORK/sw.yaml" <<YAML
frontendPolicies:
  http: $1
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes: [{name: rest, backends: [{host: 127.0.0.1:$ECHO}]}]
YAML
}
switches "{normalizePath: false, mergeSlashes: false}"
start_gateway -c "$WORK/sw.yaml" || finish
hcall --path-as-is "$u//x/../%72l%2f"
check "normalizePath and mergeSlashes false: the path as it came" \
	"$H_CODE $(jq -r .path <<<"$H_BODY")" "200 //x/../%72l%2f"
got=$(curl -s http://127.0.0.1:15000/config_dump | jq -c '.policies[0].policy.frontend.hTTP |
	{normalizePath, mergeSlashes, pathWithEscapedSlashesAction}')
json_equal "config_dump prints the switches turned off" "$got" \
	'{"normalizePath": false, "mergeSlashes": false, "pathWithEscapedSlashesAction": null}'
stop_gateway

switches "{pathWithEscapedSlashesAction: REJECT_REQUEST}"
start_gateway -c "$WORK/sw.yaml" || finish
hcall --path-as-is "$u/a%2Fb"
expect "REJECT_REQUEST: %2F is answered 400" 400 "bad request"
hcall --path-as-is --http2-prior-knowledge "$u/a%5cb"
expect "REJECT_REQUEST: %5C over HTTP/2 too" 400 "bad request"
hcall --path-as-is "$u/a/b?x=%2F"
check "REJECT_REQUEST: the query is not the path" "$H_CODE" 200
stop_gateway

switches "{pathWithEscapedSlashesAction: UNESCAPE_AND_FORWARD}"
start_gateway -c "$WORK/sw.yaml" || finish
hcall --path-as-is "$u/a%2F%2Fb%2f..%2fc"
check "UNESCAPE_AND_FORWARD: decoded, merged, dots removed" \
	"$H_CODE $(jq -r .path <<<"$H_BODY")" "200 /a/c"
stop_gateway

switches "{pathWithEscapedSlashesAction: UNESCAPE_AND_REDIRECT}"
"$SG_BIN" check -c "$WORK/sw.yaml" >/dev/null 2>"$WORK/err"
check "UNESCAPE_AND_REDIRECT is refused (exit status)" "$?" 1
check "UNESCAPE_AND_REDIRECT is refused by name" \
	"$(grep -c "UNESCAPE_AND_REDIRECT is not implemented" "$WORK/err")" 1
san_check
finish
