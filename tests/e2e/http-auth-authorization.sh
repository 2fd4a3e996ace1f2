# CEL authorization rules (agentgateway's `authorization` route policy)
# after authentication, over HTTP/1 and h2c, with tokens made by openssl
# at test time: a JWT route answers a request without a token 401, a token
# whose claims an allow rule accepts 200, one no allow rule accepts 403
# "authorization failed", a deny rule that holds 403 and a require rule
# that does not hold 403; a gRPC caller gets grpc-status 7
# (PERMISSION_DENIED). Rules read the API key's metadata, the request's
# headers and its source address. A rule that fails to evaluate does not
# deny. config_dump prints the rules as agentgateway does; `check` refuses
# an expression that does not compile at its column, and a rule of an
# unknown mode.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

jwt_keys
NOW=$(date +%s)
claims() { echo "{\"iss\":\"https://issuer.example\",\"aud\":\"api\",\"sub\":\"$1\",\"exp\":$((NOW + 3600))${2:-}}"; }
ALICE=$(mint RS256 rsa "$(claims alice)")
BOB=$(mint ES256 ec256 "$(claims bob)")
CAROL=$(mint ES256 ec256 "$(claims carol ',"groups":["dev","ops"],"level":3')")

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080

cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: api
      matches: [{path: {pathPrefix: /api}}]
      policies:
        jwtAuth:
          mode: strict
          issuer: https://issuer.example
          audiences: [api]
          jwks: {file: $K/jwks.json}
        authorization:
          rules:
          - 'jwt.sub == "alice"'
          - allow: '"ops" in jwt.groups && jwt.level >= 3'
          - deny: 'request.path.startsWith("/api/secret")'
          - require: 'request.method != "DELETE"'
          - deny: 'jwt.nosuch == "x"'
      backends: [{host: 127.0.0.1:$V1}]
    - name: keyed
      matches: [{path: {pathPrefix: /keyed}}]
      policies:
        apiKey:
          keys:
          - {key: sk-admin, metadata: {group: admins, tier: 2}}
          - {key: sk-user, metadata: {group: users}}
        authorization:
          rules: [{allow: 'apiKey.group == "admins" && apiKey.tier > 1'}]
      backends: [{host: 127.0.0.1:$V1}]
    - name: teams
      matches: [{path: {pathPrefix: /teams}}]
      policies:
        authorization:
          rules:
          - deny: 'request.headers["x-team"] == "red"'
          - require: 'source.address == "127.0.0.1"'
      backends: [{host: 127.0.0.1:$V1}]
    - name: open
      backends: [{host: 127.0.0.1:$V1}]
YAML
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

busy_client_start "$u/open"

for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt "$u/api/x"
	check "$opt: no token: 401 before authorization" "$H_CODE $H_BODY" \
		"401 authentication failure: no bearer token found"
	hcall $opt -H "Authorization: Bearer $ALICE" "$u/api/x"
	check "$opt: an allowed subject: 200, the token stripped" \
		"$H_CODE [$(echo_header authorization)]" "200 []"
	hcall $opt -H "Authorization: Bearer $BOB" "$u/api/x"
	check "$opt: a subject no allow rule accepts: 403" "$H_CODE $H_BODY" \
		"403 authorization failed"
	hcall $opt -H "Authorization: Bearer $CAROL" "$u/api/x"
	check "$opt: a group and a level from the claims: 200" "$H_CODE" 200
	hcall $opt -H "Authorization: Bearer $ALICE" "$u/api/secret/x"
	check "$opt: a deny rule that holds: 403" "$H_CODE $H_BODY" "403 authorization failed"
	hcall $opt -X DELETE -H "Authorization: Bearer $ALICE" "$u/api/x"
	check "$opt: a require rule that does not hold: 403" "$H_CODE $H_BODY" \
		"403 authorization failed"
	hcall $opt -H "Authorization: Bearer sk-admin" "$u/keyed/x"
	check "$opt: API key metadata allowed: 200" "$H_CODE" 200
	hcall $opt -H "Authorization: Bearer sk-user" "$u/keyed/x"
	check "$opt: API key metadata not allowed: 403" "$H_CODE $H_BODY" "403 authorization failed"
	hcall $opt "$u/keyed/x"
	check "$opt: no API key (optional mode): no metadata, 403" "$H_CODE" 403
	hcall $opt -H "x-team: blue" "$u/teams/x"
	check "$opt: a header no deny rule names, from 127.0.0.1: 200" "$H_CODE" 200
	hcall $opt -H "x-team: red" "$u/teams/x"
	check "$opt: a header a deny rule names: 403" "$H_CODE $H_BODY" "403 authorization failed"
	hcall $opt --interface 127.0.0.2 "$u/teams/x"
	check "$opt: another source address: 403" "$H_CODE" 403
done
hcall --http2-prior-knowledge -H "content-type: application/grpc" \
	-H "Authorization: Bearer $BOB" -d '' "$u/api/pkg.Svc/M"
check "a gRPC call authorization refuses: PERMISSION_DENIED" \
	"$H_CODE $(resp_header grpc-status) $(resp_header grpc-message)" \
	"200 7 authorization%20failed"

busy_client_check
json_equal "config_dump: the rules as agentgateway prints them" "$(inline_policies api)" \
	'[[{"jwtAuth": {"mode": "strict", "providers": [{"issuer": "https://issuer.example",
	    "keys": ["rsa", "ec256", "ec384", "ed"]}],
	    "location": {"header": {"name": "authorization", "prefix": "Bearer "}}}},
	   {"authorization": {"rules": {
	    "allow": ["jwt.sub == \"alice\"", "\"ops\" in jwt.groups && jwt.level >= 3"],
	    "deny": ["request.path.startsWith(\"/api/secret\")", "jwt.nosuch == \"x\""],
	    "require": ["request.method != \"DELETE\""]}}}]]'
stop_gateway

check_refuses "a rule that does not parse, at its column" \
	"authorization: {rules: [{deny: 'jwt.sub =='}]}" \
	"6:40: binds[0].listeners[0].routes[0].policies.authorization.rules[0].deny: column 11 of the expression: unexpected token"
check_refuses "a rule of an unknown mode" "authorization: {rules: [{permit: 'true'}]}" \
	"6:33: binds[0].listeners[0].routes[0].policies.authorization.rules[0]: expected a CEL expression, or one of {allow: ...}, {deny: ...}, {require: ...}, got a map"
check_refuses "a RuleSet without rules" "authorization: {}" \
	"6:24: binds[0].listeners[0].routes[0].policies.authorization: missing required field \"rules\""
finish
