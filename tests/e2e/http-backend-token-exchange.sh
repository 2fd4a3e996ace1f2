# backendAuth oauthTokenExchange (agentgateway's examples/traffic-token-exchange, oauth-rfc8693 and jwt-authz-grant, their configs with local ports): before a try the gateway trades the caller's bearer token at a token endpoint (token_endpoint.py, which logs each form) and the backend gets the exchanged token in its place. RFC 8693: grant_type token-exchange, subject_token and its type, audience, client credentials as Basic; RFC 7523 jwtBearer: assertion, the README's form for /jwt-bearer, and the Entra on-behalf-of shape (scope, requested_token_use from CEL, client_id and client_secret in the body); answers cached per subject until 15 s before they expire (a second request does not ask; expires_in 17 asks again after 2 s; maxEntries 0 asks each time); subject and actor from a header and a query parameter, removed from what the backend gets, the token put in another header; no subject: 400 invalid request without a call; the endpoint's 400: 400, its 401, a token_type other than Bearer or no endpoint: 500 backend authentication failed with agentgateway's cause; HTTP/2 clients alike; config_dump as agentgateway prints the policy; check's refusals.
. "$(dirname "$0")/lib.sh"

start_backend v1
V1=$BACKEND_PORT
P=$(free_port)
TP=$(free_port)
DEAD=$(free_port)
/usr/bin/python3 "$E2E_DIR/token_endpoint.py" "$TP" "$WORK/tokens.log" >"$WORK/te.out" 2>&1 &
PIDS+=("$!")
wait_port "$TP" || fail "the token endpoint did not start"

# The examples' own files, their ports made local: 3000 the gateway,
# 7080/7090 the token endpoints, 18080 the echo backend.
ports() {
	sed -e "s/port: 3000/port: $P/" -e "s/localhost:7080/127.0.0.1:$TP/" \
		-e "s/localhost:7090/127.0.0.1:$TP/" -e "s/localhost:18080/127.0.0.1:$V1/"
}
ports <agentgateway-examples/token-exchange-rfc8693.yaml >"$WORK/a.yaml"
cat >>"$WORK/a.yaml" <<YAML
    - name: custom
      matches: [{path: {pathPrefix: /custom}}]
      backends:
      - host: 127.0.0.1:$V1
        policies:
          backendAuth:
            oauthTokenExchange:
              host: 127.0.0.1:$TP
              path: /t
              subjectToken:
                source: {header: {name: x-user-token}}
                tokenType: urn:ietf:params:oauth:token-type:jwt
              actorToken:
                source: {queryParameter: {name: actor}}
              requestedTokenType: urn:ietf:params:oauth:token-type:jwt
              authorizationLocation: {header: {name: x-upstream-auth}}
              cache: {maxEntries: 0}
    - name: dead
      matches: [{path: {pathPrefix: /dead}}]
      backends:
      - host: 127.0.0.1:$V1
        policies:
          backendAuth:
            oauthTokenExchange: {host: 127.0.0.1:$DEAD}
YAML

out=$("$SG_BIN" check -c "$WORK/a.yaml" 2>&1)
check "check accepts the oauth-rfc8693 example" "$out" "configuration ok"
start_gateway -c "$WORK/a.yaml" || finish

calls() { wc -l <"$WORK/tokens.log" 2>/dev/null || echo 0; }
last() { tail -1 "$WORK/tokens.log" | jq -c "$1"; }

# The endpoint numbers its tokens: 1 to 3 over HTTP/1 (mac's is the
# third), 4 to 6 over HTTP/2, and so on.
for opt in --http1.1 --http2-prior-knowledge; do
	n=$([ "$opt" = --http1.1 ] && echo 1 || echo 4)
	: >"$WORK/tokens.log"
	hcall "$opt" -H "authorization: Bearer user-1$opt" "http://127.0.0.1:$P/exchange"
	expect "$opt: the exchange route" 200 '*"pod": "v1"*'
	check "$opt: the backend gets the exchanged token" "$(echo_header authorization)" \
		"Bearer xchg-$n-user-1$opt"
	check "$opt: the token endpoint's path, Basic client credentials, form type" \
		"$(last '[.path, .authorization, .content_type]')" \
		'["/realms/backend-oauth/protocol/openid-connect/token","Basic cmVxdWVzdGVyLWNsaWVudDpyZXF1ZXN0ZXItc2VjcmV0","application/x-www-form-urlencoded"]'
	check "$opt: RFC 8693's form" "$(last .form)" \
		"{\"grant_type\":[\"urn:ietf:params:oauth:grant-type:token-exchange\"],\"subject_token\":[\"user-1$opt\"],\"subject_token_type\":[\"urn:ietf:params:oauth:token-type:access_token\"],\"audience\":[\"target-client\"]}"
	hcall "$opt" -H "authorization: Bearer user-1$opt" "http://127.0.0.1:$P/exchange"
	check "$opt: the same subject again: the cached token, no call" \
		"$(echo_header authorization) $(calls)" "Bearer xchg-$n-user-1$opt 1"
	hcall "$opt" -H "authorization: Bearer user-2$opt" "http://127.0.0.1:$P/exchange"
	check "$opt: another subject: asked again" "$(echo_header authorization) $(calls)" \
		"Bearer xchg-$((n + 1))-user-2$opt 2"
	hcall "$opt" "http://127.0.0.1:$P/exchange"
	expect "$opt: no subject token: 400, no call" 400 "invalid request"
	hcall "$opt" -H "authorization: Bearer deny" "http://127.0.0.1:$P/exchange"
	expect "$opt: the endpoint's 400: 400" 400 "invalid request"
	hcall "$opt" -H "authorization: Bearer unauth" "http://127.0.0.1:$P/exchange"
	expect "$opt: the endpoint's 401: 500 with the cause" 500 \
		"backend authentication failed: token exchange returned status 401 Unauthorized"
	hcall "$opt" -H "authorization: Bearer mac" "http://127.0.0.1:$P/exchange"
	expect "$opt: a token_type other than Bearer: 500" 500 \
		"backend authentication failed: token exchange returned unsupported token_type: mac"
	check "$opt: calls so far (none without a subject)" "$(calls)" 5
done

: >"$WORK/tokens.log"
hcall -H "x-user-token: u.jwt" -H "authorization: Bearer keep" "http://127.0.0.1:$P/custom/x?a=1&actor=agent-7&b=2"
expect "custom locations: 200" 200 '*"pod": "v1"*'
check "the token goes in x-upstream-auth (no prefix); the subject's header is gone, Authorization stays" \
	"$(echo_header x-upstream-auth)|$(echo_header x-user-token)|$(echo_header authorization)" \
	"xchg-7-u.jwt||Bearer keep"
check "the actor's query parameter is gone" "$(jq -r .path <<<"$H_BODY")" "/custom/x?a=1&b=2"
check "the form: subject and actor with their types, requested_token_type" "$(last .form)" \
	'{"grant_type":["urn:ietf:params:oauth:grant-type:token-exchange"],"subject_token":["u.jwt"],"subject_token_type":["urn:ietf:params:oauth:token-type:jwt"],"actor_token":["agent-7"],"actor_token_type":["urn:ietf:params:oauth:token-type:access_token"],"requested_token_type":["urn:ietf:params:oauth:token-type:jwt"]}'
check "no client authentication: no Authorization to the endpoint" "$(last .authorization)" null
hcall -H "x-user-token: u.jwt" "http://127.0.0.1:$P/custom/x?actor=agent-7"
check "cache maxEntries 0: asked each time" "$(echo_header x-upstream-auth) $(calls)" "xchg-8-u.jwt 2"
hcall -H "x-user-token: u.jwt" "http://127.0.0.1:$P/custom/x"
expect "no actor token: 400" 400 "invalid request"

# A body the try cannot replay (over 64 KiB) waits with the try, then goes whole.
head -c 300000 /dev/urandom >"$WORK/big"
for opt in --http1.1 --http2-prior-knowledge; do
	hcall "$opt" -X POST -H "authorization: Bearer body$opt" --data-binary @"$WORK/big" \
		"http://127.0.0.1:$P/exchange/upload"
	check "$opt: a 300 kB upload waits for the token, then reaches the backend whole" \
		"$H_CODE $(jq -r .sha256 <<<"$H_BODY")" "200 $(sha256sum <"$WORK/big" | cut -d' ' -f1)"
done

hcall -H "authorization: Bearer short" "http://127.0.0.1:$P/exchange"
first=$(echo_header authorization)
hcall -H "authorization: Bearer short" "http://127.0.0.1:$P/exchange"
check "expires_in 17: kept for 2 s" "$(echo_header authorization) $(calls)" "$first 5"
sleep 2.5
hcall -H "authorization: Bearer short" "http://127.0.0.1:$P/exchange"
check "expires_in 17: asked again after 2 s" "$(calls)" 6

hcall -H "authorization: Bearer user-1" "http://127.0.0.1:$P/dead"
expect "no token endpoint: 500 with the cause" 500 \
	"backend authentication failed: token exchange request failed: *"

dump=$(curl -s http://127.0.0.1:15000/config_dump)
json_equal "config_dump: the example's policy as agentgateway prints it" \
	"$(jq -c '.binds[].listeners[].routes[] | select(.name == "token-exchange") | .backends[0].inlinePolicies[] | select(.backendAuth) | .backendAuth' <<<"$dump")" \
	"{\"oauthTokenExchange\":{\"host\":\"127.0.0.1:$TP\",\"path\":\"/realms/backend-oauth/protocol/openid-connect/token\",\"grantType\":\"tokenExchange\",\"subjectToken\":{\"source\":{\"header\":{\"name\":\"authorization\",\"prefix\":\"Bearer \"}},\"tokenType\":\"urn:ietf:params:oauth:token-type:access_token\"},\"audiences\":[\"target-client\"],\"clientAuth\":{\"clientId\":\"requester-client\",\"method\":\"clientSecretBasic\",\"clientSecret\":\"<redacted>\"},\"authorizationLocation\":{\"header\":{\"name\":\"authorization\",\"prefix\":\"Bearer \"}}}}"
stop_gateway

# jwt-authz-grant: the README's two mock routes (its Keycloak route needs
# Keycloak 26.5 and is not run).
ports <agentgateway-examples/token-exchange-jwt-bearer.yaml >"$WORK/b.yaml"
out=$("$SG_BIN" check -c "$WORK/b.yaml" 2>&1)
check "check accepts the jwt-authz-grant example" "$out" "configuration ok"
start_gateway -c "$WORK/b.yaml" || finish
: >"$WORK/tokens.log"
hcall -H "authorization: Bearer subject.jwt.token" "http://127.0.0.1:$P/jwt-bearer"
expect "/jwt-bearer: 200" 200 '*"pod": "v1"*'
check "/jwt-bearer: the README's form, the assertion the inbound token" "$(last .form)" \
	'{"grant_type":["urn:ietf:params:oauth:grant-type:jwt-bearer"],"assertion":["subject.jwt.token"],"audience":["target-client"]}'
check "/jwt-bearer: the backend gets the token" "$(echo_header authorization)" "Bearer xchg-13-subject.jwt.token"
hcall -H "authorization: Bearer obo.user.token" "http://127.0.0.1:$P/obo"
check "/obo: Entra's on-behalf-of form (client credentials in the body, scope, requested_token_use)" \
	"$(last '[.authorization, .form]')" \
	'[null,{"grant_type":["urn:ietf:params:oauth:grant-type:jwt-bearer"],"assertion":["obo.user.token"],"scope":["https://graph.microsoft.com/.default"],"requested_token_use":["on_behalf_of"],"client_id":["my-app-client-id"],"client_secret":["my-app-client-secret"]}]'
stop_gateway

bad() {
	printf '%s\n' "binds: [{port: $P, listeners: [{routes: [{backends: [{host: 127.0.0.1:$V1, policies: {backendAuth: {oauthTokenExchange: {host: 127.0.0.1:$TP, $1}}}}]}]}]}]" >"$WORK/bad.yaml"
	"$SG_BIN" check -c "$WORK/bad.yaml" 2>&1 | head -1 | sed "s|^$WORK/bad.yaml:[0-9]*:[0-9]*: ||"
}
check "jwtBearer with requestedTokenType is refused" \
	"$(bad 'grantType: jwtBearer, requestedTokenType: urn:ietf:params:oauth:token-type:jwt')" \
	"binds[0].listeners[0].routes[0].backends[0].policies.backendAuth.oauthTokenExchange.requestedTokenType: only valid with the token-exchange grant"
check "an additional parameter may not override the grant's own" \
	"$(bad 'additionalParams: {scope: "\"x\""}')" \
	"binds[0].listeners[0].routes[0].backends[0].policies.backendAuth.oauthTokenExchange.additionalParams: additional parameter \"scope\" overrides a reserved OAuth parameter"
check "privateKeyJwt is refused by name" \
	"$(bad 'clientAuth: {clientId: c, method: privateKeyJwt}')" \
	"binds[0].listeners[0].routes[0].backends[0].policies.backendAuth.oauthTokenExchange.clientAuth.method: not supported (privateKeyJwt client assertions are not implemented)"
finish
