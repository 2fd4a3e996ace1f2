# Backend credentials (agentgateway's backendAuth, route and backend
# policies) over HTTP/1 and h2c: a route's passthrough sends the caller's
# JWT, which jwtAuth verified and stripped, on to the backend (in the
# Authorization header by default); a backend's own key replaces its
# route's and the client's Authorization; further credentials go in a
# header with its prefix, a query parameter (the client's of that name
# replaced) and a cookie (the client's other cookies kept); a key read from
# a file is trimmed. config_dump prints the policies with the secrets redacted;
# the kinds that need a cloud provider are refused by name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

jwt_keys
NOW=$(date +%s)
TOKEN=$(mint EdDSA ed "{\"iss\":\"https://issuer.example\",\"sub\":\"alice\",\"exp\":$((NOW + 3600))}")
start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080
printf '  from-a-file  \n' >"$WORK/key"

cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: pass
      matches: [{path: {pathPrefix: /pass}}]
      policies:
        jwtAuth: {mode: strict, issuer: https://issuer.example, jwks: {file: $K/jwks.json}}
        backendAuth: {passthrough: {}}
      backends: [{host: 127.0.0.1:$V1}]
    - name: keys
      matches: [{path: {pathPrefix: /keys}}]
      policies:
        backendAuth:
          key: {value: {file: $WORK/key}, location: {header: {name: x-api-key, prefix: "Key "}}}
          credentials:
          - {location: {queryParameter: {name: sig}}, key: "a b&c"}
          - {location: {cookie: {name: tenant}}, key: t-42}
      backends: [{host: 127.0.0.1:$V1}]
    - name: own
      matches: [{path: {pathPrefix: /own}}]
      policies:
        backendAuth: {key: route-key}
      backends:
      - host: 127.0.0.1:$V1
        policies:
          backendAuth: {key: backend-key}
YAML
start_engine auto -c "$WORK/cfg.yaml" || finish

for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt -H "authorization: Bearer $TOKEN" "$u/pass/x"
	check "$opt passthrough: the verified token goes on as Authorization" \
		"$H_CODE $(echo_header authorization)" "200 Bearer $TOKEN"
	hcall $opt -H "authorization: Bearer client" -H "cookie: a=1; tenant=spoof; b=2" \
		"$u/keys/x?sig=client&y=1"
	check "$opt key and credentials: header with its prefix, query, cookie" \
		"$H_CODE $(echo_header x-api-key) [$(echo_header authorization)] $(jq -r .path <<<"$H_BODY") [$(echo_header cookie)]" \
		"200 Key from-a-file [Bearer client] /keys/x?y=1&sig=a+b%26c [a=1; b=2; tenant=t-42]"
	hcall $opt -H "authorization: Bearer client" "$u/own/x"
	check "$opt a backend's own key over its route's and the client's" \
		"$H_CODE $(echo_header authorization)" "200 Bearer backend-key"
done
hcall "$u/pass/x"
check "passthrough behind a strict jwtAuth: no token, 401" "$H_CODE" 401

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.binds[0].listeners[].routes[] | [.name, [.inlinePolicies[]? | select(.backendAuth)], [.backends[]?.inlinePolicies[]? | select(.backendAuth)]]]')
json_equal "config_dump: backendAuth, the secrets redacted" "$got" \
	'[["pass", [{"backendAuth": {"passthrough": {}}}], []],
	  ["keys", [{"backendAuth": {"key": {"value": "<redacted>",
	      "location": {"header": {"name": "x-api-key", "prefix": "Key "}}},
	    "credentials": [{"location": {"queryParameter": {"name": "sig"}}, "key": "<redacted>"},
	                    {"location": {"cookie": {"name": "tenant"}}, "key": "<redacted>"}]}}], []],
	  ["own", [{"backendAuth": {"key": {"value": "<redacted>"}}}],
	          [{"backendAuth": {"key": {"value": "<redacted>"}}}]]]'
stop_gateway

printf 'binds:\n- port: 8080\n  listeners:\n  - routes:\n    - policies: {backendAuth: {gcp: {}}}\n      backends: [{host: 127.0.0.1:1}]\n' >"$WORK/bad.yaml"
out=$("$SG_BIN" check -c "$WORK/bad.yaml" 2>&1)
rc=$?
case "$rc $out" in
"1 $WORK/bad.yaml:5:"*": binds[0].listeners[0].routes[0].policies.backendAuth.gcp: not supported (a cloud-provider key)"$'\n1 error: configuration invalid')
	pass "check refuses a cloud provider's backendAuth by name" ;;
*) fail "check of backendAuth.gcp: $rc $out" ;;
esac
finish
