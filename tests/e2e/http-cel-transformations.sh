# transformations (agentgateway's CEL header edits): a route's request
# headers set, added and removed with values its expressions compute from
# the request (path, a header, the method, a repeated header's list), its
# response headers from the backend's answer (status, a header); an
# expression reading a missing header leaves its header alone. The same
# over HTTP/1 and HTTP/2 clients. config_dump prints the policy as
# agentgateway does; a bad expression is refused by `check` with its
# column.
. "$(dirname "$0")/lib.sh"

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080

cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: cel
      matches: [{path: {pathPrefix: /cel}}]
      policies:
        transformations:
          request:
            set:
              x-path: request.path
              x-ua: '"agent: " + request.headers["user-agent"]'
              x-keep: request.headers["x-none"]
            add:
              x-method: 'request.method + " " + string(size(request.headers["x-multi"]))'
            remove: [x-drop]
          response:
            set:
              x-served-by: '"backend " + response.headers["x-backend"]'
              x-code: string(response.code)
            remove: [x-backend]
      backends: [{host: 127.0.0.1:$V1}]
    - name: plain
      backends: [{host: 127.0.0.1:$V1}]
YAML
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

# over WHAT CURL-ARGS...: one request to /cel/a and what the backend saw
# and the client got.
over() {
	local what=$1
	shift
	hcall "$@" -A curl-test -H "x-keep: kept" -H "x-drop: gone" -H "x-multi: 1" \
		-H "x-multi: 2" "$u/cel/a?q=1"
	check "$what: 200" "$H_CODE" 200
	check "$what: x-path from request.path" "$(echo_header x-path)" "/cel/a"
	check "$what: x-ua from a header" "$(echo_header x-ua)" "agent: curl-test"
	check "$what: x-method from the method and a repeated header's list" \
		"$(echo_header x-method)" "GET 2"
	check "$what: a missing header's expression leaves x-keep alone" \
		"$(echo_header x-keep)" "kept"
	check "$what: x-drop removed" "$(echo_values x-drop)" ""
	check "$what: response x-served-by from a backend header" "$(resp_header x-served-by)" \
		"backend v1"
	check "$what: response x-code from response.code" "$(resp_header x-code)" 200
	check "$what: response x-backend removed" "$(resp_header x-backend)" ""
}
over "HTTP/1"
over "HTTP/2" --http2-prior-knowledge
hcall -H "x-drop: stays" "$u/plain"
check "a route without the policy: untouched" "$(echo_header x-drop) $(resp_header x-backend)" \
	"stays v1"

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.binds[0].listeners[].routes[] | select(.name == "cel") | .inlinePolicies]')
json_equal "config_dump: transformations as agentgateway prints them" "$got" \
	'[[{"transformations": {"request": {"add": [["x-method", "request.method + \" \" + string(size(request.headers[\"x-multi\"]))"]], "set": [["x-path", "request.path"], ["x-ua", "\"agent: \" + request.headers[\"user-agent\"]"], ["x-keep", "request.headers[\"x-none\"]"]], "remove": ["x-drop"]}, "response": {"set": [["x-served-by", "\"backend \" + response.headers[\"x-backend\"]"], ["x-code", "string(response.code)"]], "remove": ["x-backend"]}}}]]'

sed 's/x-path: request.path/x-path: request.pth/' "$WORK/cfg.yaml" >"$WORK/bad.yaml"
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "check refuses an unknown field: exit 1" "$?" 1
check "the message names the key and the expression's column" \
	"$(grep -c "transformations.request.set.x-path: column 9 of the expression: 'request' has no field 'pth'" "$WORK/err")" 1
stop_gateway
finish
