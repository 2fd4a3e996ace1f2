# directResponse with agentgateway's CEL, over HTTP/1 and h2c: a body
# made by bodyExpression (a string as it is, a map as JSON), response
# lines set by headers (one whose expression fails left out), a body
# expression that fails answered 500 "invalid filter configuration"; the
# conditional form's entries take both. config_dump shows them as
# written; body beside bodyExpression is refused by check.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/cfg.yaml" <<'YAML'
binds:
- port: 8080
  listeners:
  - name: web
    routes:
    - name: text
      matches: [{path: {pathPrefix: /text}}]
      policies:
        directResponse:
          status: 202
          bodyExpression: '"missing " + request.path'
          headers: {X-Method: request.method, X-None: 'request.headers["x-none"]'}
    - name: json
      matches: [{path: {pathPrefix: /json}}]
      policies:
        directResponse:
          status: 200
          bodyExpression: '{"path": request.path, "who": default(request.headers["x-user"], "anon")}'
    - name: broken
      matches: [{path: {pathPrefix: /broken}}]
      policies:
        directResponse: {status: 200, bodyExpression: 'request.headers["x-none"]'}
    - name: cond
      matches: [{path: {pathPrefix: /cond}}]
      policies:
        directResponse:
          conditional:
          - condition: 'request.headers["x-user"] == "ann"'
            status: 403
            bodyExpression: '"no, " + request.headers["x-user"]'
          - {status: 200, body: "ok"}
YAML
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi
u=http://127.0.0.1:8080
for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt "$u/text/a"
	check "$opt bodyExpression: a string, and the headers' lines" \
		"$H_CODE $H_BODY $(resp_header x-method) [$(resp_header x-none)]" "202 missing /text/a GET []"
	hcall $opt -H "x-user: bob" "$u/json"
	check "$opt bodyExpression: a map as JSON" "$H_CODE $H_BODY" '200 {"path":"/json","who":"bob"}'
	hcall $opt "$u/broken"
	check "$opt a body expression that fails: 500" "$H_CODE $H_BODY" \
		"500 invalid filter configuration"
	hcall $opt -H "x-user: ann" "$u/cond"
	check "$opt conditional: the entry whose condition holds, its expression" "$H_CODE $H_BODY" \
		"403 no, ann"
	hcall $opt "$u/cond"
	check "$opt conditional: the fallback" "$H_CODE $H_BODY" "200 ok"
done

check "config_dump: bodyExpression and headers as written" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -c '[.binds[0].listeners[].routes[] | select(.name == "text") | .inlinePolicies[0].directResponse | .bodyExpression, .headers]')" \
	'["\"missing \" + request.path",{"x-method":"request.method","x-none":"request.headers[\"x-none\"]"}]'

sed 's|status: 202|status: 202\n          body: "both"|' "$WORK/cfg.yaml" >"$WORK/bad.yaml"
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "body beside bodyExpression is refused by check: exit 1" "$?" 1
check "the refusal names the key" \
	"$(grep -c 'directResponse.bodyExpression: body and bodyExpression may not both be set' "$WORK/err")" 1
finish
