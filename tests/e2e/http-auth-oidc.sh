# OIDC browser login (agentgateway's oidc route policy, its traffic-oidc
# example's shape) against a real OpenID provider, npm's oidc-provider
# (tests/e2e/oidc_provider.mjs), driven as a browser would with curl and a
# cookie jar: a request without a session is sent to the provider's
# authorization endpoint (302, PKCE S256, state, nonce, the scopes, a
# transaction cookie); the provider logs the user in and sends the browser
# to redirectURI with a code; the gateway exchanges it (client_secret_basic
# with a secret that needs form-encoding) and answers 302 back to the page
# asked for with the session cookie, clearing the transaction's. With the
# session the page is served over HTTP/1 and h2c, the ID token's claims
# reach CEL (jwt.email), and the backend sees none of the agw_oidc_ cookies
# but the others, nor does the backend of a route without oidc. Callbacks the gateway did not start are 400 (a forged
# state, no transaction cookie, a CSRF mismatch, the provider's error),
# a code used twice is the provider's refusal as 500, a tampered session
# starts a new login, a CORS preflight passes, an expired session starts a
# new login; config_dump prints the discovered endpoints and redacts the
# secret. A gateway without OIDC_COOKIE_SECRET, or whose provider cannot be
# discovered, refuses the config. Another client is served throughout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

oidc_setup

# config ISSUER_PORT: the protected route and an open one.
config() {
	cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: open
      matches: [{path: {pathPrefix: /open}}]
      backends: [{host: 127.0.0.1:$V1}]
    - name: app
      matches: [{path: {pathPrefix: /}}]
      policies:
        oidc:
          issuer: http://127.0.0.1:$1
          clientId: agw-web
          clientSecret: "$SECRET"
          redirectURI: $CB
          scopes: [profile, email]
        transformations:
          request:
            set:
              x-email: jwt.email
      backends: [{host: 127.0.0.1:$V1}]
YAML
}

IDP=$(free_port)
idp "$IDP"
config "$IDP"
start_engine auto -c "$WORK/cfg.yaml" || finish
busy_client_start "$u/open"

login "$u/app/page?x=1"
case $LOGIN in
"http://127.0.0.1:$IDP/auth?response_type=code&client_id=agw-web&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Foauth%2Fcallback&scope=openid+profile+email&state="*"&nonce="*"&code_challenge="*"&code_challenge_method=S256")
	pass "no session: 302 to the provider with the code flow's parameters" ;;
*) fail "no session: Location '$LOGIN'" ;;
esac
case $TXN_LINE in agw_oidc_t_????????????????.*"; HttpOnly; SameSite=Lax; Path=/; Max-Age=300")
	pass "a transaction cookie, for five minutes" ;;
*) fail "the transaction cookie: '${TXN_LINE:0:60}...'" ;;
esac
case $CALLBACK in "$CB?code="*"&state="*) pass "the provider sent the browser back with a code" ;;
*) fail "the provider's redirect: '$CALLBACK'" ;; esac
check "callback: 302 back to the page asked for" "$H_CODE $(resp_header location)" \
	"302 /app/page?x=1"
cookies=$(grep -i '^set-cookie:' "$H_HEADERS" | tr -d '\r' | sed 's/^[^:]*: //')
SESSION=$(sed -n 1p <<<"$cookies" | sed 's/;.*//')
check "the session cookie: HttpOnly, Lax, an hour" \
	"$(sed -n 1p <<<"$cookies" | sed 's/=[^;]*;/=V;/')" \
	"$(printf '%s=V; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600' "${SESSION%%=*}")"
check "the transaction cookie cleared" "$(sed -n 2p <<<"$cookies")" \
	"${TXN%%=*}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"
case $SESSION in agw_oidc_s_????????????????=*) pass "session cookie named agw_oidc_s_<16 hex>" ;;
*) fail "session cookie '${SESSION:0:40}'" ;; esac

for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt -H "cookie: theme=dark; $SESSION" "$u/app/page?x=1"
	check "$opt with the session: 200, jwt.email in CEL, the oidc cookie stripped" \
		"$H_CODE $(echo_header x-email) [$(echo_header cookie)]" \
		"200 alice@example.com [theme=dark]"
done
# The sealed session lets anyone who holds it in: a route without oidc
# does not hand it (nor a transaction) to its backend either.
hcall -H "cookie: theme=dark; $SESSION; $TXN; lang=en" "$u/open/page"
check "a route without oidc: its backend gets no agw_oidc_ cookie" \
	"$H_CODE [$(echo_header cookie)]" "200 [theme=dark; lang=en]"
# Two Cookie lines (HTTP/1.1): joined into one, as HTTP/2's crumbs are,
# so the session in the second line is read, and stripped, like any.
hcall --http1.1 -H "cookie: theme=dark" -H "cookie: $SESSION; lang=en" "$u/open/page"
check "two Cookie lines, the session in the second: no agw_oidc_ cookie reaches the backend" \
	"$H_CODE [$(echo_header cookie)]" "200 [theme=dark; lang=en]"
hcall --http1.1 -H "cookie: theme=dark" -H "cookie: $SESSION" "$u/app/page?x=1"
check "two Cookie lines, the session in the second: logged in, the oidc cookie stripped" \
	"$H_CODE $(echo_header x-email) [$(echo_header cookie)]" "200 alice@example.com [theme=dark]"

# Callbacks the gateway did not start.
hcall "$CB?state=bm90LWpzb24&code=x"
check "a forged state: 400" "$H_CODE $H_BODY" "400 oidc failure: invalid callback"
login "$u/again"
saved=$TXN
hcall "$CALLBACK"
check "no transaction cookie: 400" "$H_CODE $H_BODY" "400 oidc failure: missing transaction"
tid=${saved%%=*}
tid=${tid#*.}
forged=$(printf '{"transactionId":"%s","csrfState":"nope"}' "$tid" | base64 -w0 | tr '+/' '-_' | tr -d '=')
hcall -H "cookie: $saved" "$CB?state=$forged&code=x"
check "a CSRF state that is not the transaction's: 400" "$H_CODE $H_BODY" \
	"400 oidc failure: csrf mismatch"
state=$(sed 's/.*[?&]state=\([^&]*\).*/\1/' <<<"$CALLBACK")
hcall -H "cookie: $saved" "$CB?state=$state&error=access_denied"
check "the provider's error: 400" "$H_CODE $H_BODY" \
	"400 oidc failure: oidc provider returned callback error 'access_denied'"
hcall -H "cookie: $saved" "$CALLBACK"
check "a code used twice: the provider's refusal, 500, in agentgateway's words alone" \
	"$H_CODE $H_BODY" "500 oidc failure: token exchange failed"
sleep 0.2
if grep -q "oidc: token exchange failed: token endpoint returned 400: .*invalid_grant" \
	"$WORK/gateway.log"; then
	pass "the gateway's log says why"
else
	fail "the gateway's log says why: $(grep oidc "$WORK/gateway.log" | tail -n2)"
fi
hcall -H "cookie: ${SESSION%%=*}=AAAA${SESSION#*=}" "$u/app/page"
check "a tampered session: a new login" "$H_CODE $(resp_header location | cut -c1-28)" \
	"302 http://127.0.0.1:$IDP/auth?"
hcall -X OPTIONS -H "origin: http://x.example" -H "access-control-request-method: GET" "$u/app/page"
check "a CORS preflight is not sent to log in" "$H_CODE" 200

busy_client_check
got=$(inline_policies app | jq -c '.[0][] | select(.oidc) | .oidc | del(.session.cookieName, .session.transactionCookiePrefix, .provider.idTokenValidator.providers[0].keys)')
json_equal "config_dump: the discovered endpoints, the secret redacted" "$got" \
	"{\"policyId\": \"route/bind/8080/listener0/app\",
	  \"provider\": {\"issuer\": \"http://127.0.0.1:$IDP\",
	    \"authorizationEndpoint\": \"http://127.0.0.1:$IDP/auth\",
	    \"tokenEndpoint\": \"http://127.0.0.1:$IDP/token\",
	    \"idTokenValidator\": {\"mode\": \"strict\", \"providers\": [{\"issuer\": \"http://127.0.0.1:$IDP\"}],
	      \"location\": {\"header\": {\"name\": \"authorization\", \"prefix\": \"Bearer \"}}}},
	  \"client\": {\"clientId\": \"agw-web\", \"clientSecret\": \"<redacted>\", \"tokenEndpointAuth\": \"clientSecretBasic\"},
	  \"redirectUri\": \"$CB\",
	  \"session\": {\"sameSite\": \"lax\", \"secure\": \"auto\", \"ttl\": \"1h\", \"transactionTtl\": \"5m\", \"encoder\": \"aes\"},
	  \"scopes\": [\"openid\", \"profile\", \"email\"]}"
stop_gateway

# A session ends with its ID token: a provider whose tokens last 3 s.
IDP2=$(free_port)
idp "$IDP2" 3
config "$IDP2"
start_engine auto -c "$WORK/cfg.yaml" || finish
login "$u/short"
SESSION=$(grep -i '^set-cookie:' "$H_HEADERS" | sed -n 1p | sed 's/^[^:]*: //; s/;.*//' | tr -d '\r')
hcall -H "cookie: $SESSION" "$u/short"
check "a fresh session of a short token: 200" "$H_CODE" 200
sleep 5
hcall -H "cookie: $SESSION" "$u/short"
check "once the ID token expired: a new login" "$H_CODE $(resp_header location | cut -c1-28)" \
	"302 http://127.0.0.1:$IDP2/auth?"
stop_gateway

# What refuses the config.
out=$(env -u OIDC_COOKIE_SECRET "$SG_BIN" check -c "$WORK/cfg.yaml" 2>&1)
check "check does not need the key nor the provider" "$?" 0
out=$(OIDC_COOKIE_SECRET= timeout 20 "$SG_BIN" --drain-delay 0 -c "$WORK/cfg.yaml" 2>&1)
case $out in *"oidc: OIDC_COOKIE_SECRET is required when oidc is configured"*)
	pass "a gateway without OIDC_COOKIE_SECRET refuses the config" ;;
*) fail "no OIDC_COOKIE_SECRET: '${out:0:300}'" ;; esac
config 1
out=$(timeout 20 "$SG_BIN" --drain-delay 0 -c "$WORK/cfg.yaml" 2>&1)
case $out in *"oidc: discovery document http://127.0.0.1:1/.well-known/openid-configuration: connect 127.0.0.1:1: Connection refused"*)
	pass "a provider that cannot be discovered refuses the config" ;;
*) fail "undiscoverable provider: '${out:0:300}'" ;; esac
finish
