# API keys (agentgateway's apiKey route policy) over HTTP/1 and h2c: a key
# given inline or as its SHA-256 (keyHash) passes and the backend never
# sees it; a strict route answers a missing key 401 "api key authentication
# failure: no API Key found", a wrong one (a prefix of a key, a longer one,
# the hash itself) 401 "...: invalid credentials", a gRPC caller
# grpc-status 16; a permissive route lets a wrong key pass untouched.
# Another client is served meanwhile; config_dump prints the policy with
# its keys redacted, as agentgateway does, and CEL's apiKey.key reads
# "<redacted>" (a request header set to toJson(apiKey)) but to
# unredacted().
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080
HASH=sha256:$(printf %s sk-beta | openssl dgst -sha256 -r | cut -d' ' -f1)

cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: api
      matches: [{path: {pathPrefix: /api}}]
      policies:
        apiKey:
          mode: strict
          keys:
          - {key: sk-alpha, metadata: {team: a}}
          - {keyHash: "$HASH", metadata: {team: b}}
      backends: [{host: 127.0.0.1:$V1}]
    - name: who
      matches: [{path: {pathPrefix: /who}}]
      policies:
        apiKey:
          keys:
          - {key: sk-alpha, metadata: {team: a}}
          - {keyHash: "$HASH", metadata: {team: b}}
        transformations:
          request:
            set: {x-who: 'toJson(apiKey)', x-key: 'apiKey.key.unredacted()'}
      backends: [{host: 127.0.0.1:$V1}]
    - name: perm
      matches: [{path: {pathPrefix: /perm}}]
      policies:
        apiKey:
          mode: permissive
          location: {header: {name: x-api-key}}
          keys: [{key: sk-alpha}]
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
	hcall $opt -H "Authorization: Bearer sk-alpha" "$u/api/x"
	check "$opt: an inline key passes, the backend does not see it" \
		"$H_CODE [$(echo_header authorization)]" "200 []"
	hcall $opt -H "Authorization: Bearer sk-beta" "$u/api/x"
	check "$opt: a key given as its SHA-256 passes" "$H_CODE" 200
	hcall $opt "$u/api/x"
	check "$opt: no key: 401" "$H_CODE $H_BODY" \
		"401 api key authentication failure: no API Key found"
done
for bad in sk-alph sk-alphaa "${HASH#sha256:}" "$(head -c 9000 /dev/zero | tr '\0' k)"; do
	hcall -H "Authorization: Bearer $bad" "$u/api/x"
	check "a wrong key (${bad:0:12}...): 401" "$H_CODE $H_BODY" \
		"401 api key authentication failure: invalid credentials"
done
hcall --http2-prior-knowledge -H "content-type: application/grpc" -d '' "$u/api/pkg.Svc/M"
check "a gRPC call without a key: UNAUTHENTICATED" "$H_CODE $(resp_header grpc-status)" "200 16"
hcall -H "Authorization: Bearer sk-alpha" "$u/who/x"
check "CEL's apiKey shows the key as <redacted>, unredacted() gives it" \
	"$H_CODE $(echo_header x-who) $(echo_header x-key)" '200 {"key":"<redacted>","team":"a"} sk-alpha'
hcall -H "Authorization: Bearer sk-beta" "$u/who/x"
check "CEL's apiKey of a key given as its SHA-256: no key" "$H_CODE $(echo_header x-who)" \
	'200 {"team":"b"}'
hcall -H "x-api-key: wrong" "$u/perm/x"
check "permissive: a wrong key passes, kept as sent" "$H_CODE $(echo_header x-api-key)" \
	"200 wrong"
hcall -H "x-api-key: sk-alpha" "$u/perm/x"
check "permissive: a right key is taken out" "$H_CODE [$(echo_header x-api-key)]" "200 []"

busy_client_check
got=$(inline_policies api)
json_equal "config_dump: apiKey with its keys redacted" "$got" \
	'[[{"apiKey": {"users": "<redacted>", "mode": "strict",
	    "location": {"header": {"name": "authorization", "prefix": "Bearer "}}}}]]'
if curl -s http://127.0.0.1:15000/config_dump | grep -q -e sk-alpha -e "${HASH#sha256:}"; then
	fail "config_dump shows a key or its hash"
else
	pass "config_dump shows no key nor hash"
fi
stop_gateway
finish
