# OIDC login as a listener's policy (agentgateway's gateway phase: a
# standalone listener's `policies.oidc`) against npm's oidc-provider, curl
# as the browser: every request of the listener without a session is sent
# to log in before a route is chosen (a path no route matches too); the
# provider's redirect back to redirectURI is the gateway's own, though no
# route matches that path; with the session, a route without any policy of
# its own is served (HTTP/1 and h2c), a route's transformation reads the
# ID token's claims (jwt.email), the backend sees none of the agw_oidc_
# cookies, and a path no route matches is 404. Logging out (the browser
# drops its session cookie; agentgateway has no logout endpoint) sends the
# next request to log in again. config_dump lists the policy as
# agentgateway does (listener/<listener key>/0, phase gateway, policyId
# policy/listener/<listener key>, the cookie the session came in). Another
# listener's client is served throughout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

oidc_setup
IDP=$(free_port)
idp "$IDP"
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    policies:
      oidc:
        issuer: http://127.0.0.1:$IDP
        clientId: agw-web
        clientSecret: "$SECRET"
        redirectURI: $CB
        scopes: [email]
    routes:
    - name: plain
      matches: [{path: {pathPrefix: /plain}}]
      backends: [{host: 127.0.0.1:$V1}]
    - name: app
      matches: [{path: {pathPrefix: /app}}]
      policies:
        transformations:
          request:
            set:
              x-email: jwt.email
      backends: [{host: 127.0.0.1:$V1}]
- port: 8081
  listeners:
  - protocol: HTTP
    routes: [{backends: [{host: 127.0.0.1:$V1}]}]
YAML
start_engine auto -c "$WORK/cfg.yaml" || finish
busy_client_start http://127.0.0.1:8081/other

for path in /plain/x /nothere; do
	hcall "$u$path"
	check "no session, $path: 302 to the provider" "$H_CODE $(resp_header location | cut -c1-28)" \
		"302 http://127.0.0.1:$IDP/auth?"
done

login "$u/plain/page?x=1"
case $CALLBACK in "$CB?code="*"&state="*) pass "the provider sent the browser back with a code" ;;
*) fail "the provider's redirect: '$CALLBACK'" ;; esac
check "the callback, on a path no route matches: 302 back to the page asked for" \
	"$H_CODE $(resp_header location)" "302 /plain/page?x=1"
SESSION=$(grep -i '^set-cookie:' "$H_HEADERS" | sed -n 1p | sed 's/^[^:]*: //; s/;.*//' | tr -d '\r')
case $SESSION in agw_oidc_s_????????????????=*) pass "a session cookie, agw_oidc_s_<16 hex>" ;;
*) fail "session cookie '${SESSION:0:40}'" ;; esac

for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt -H "cookie: theme=dark; $SESSION" "$u/plain/page"
	check "$opt, a route without a policy of its own: 200, the oidc cookie stripped" \
		"$H_CODE [$(echo_header cookie)]" "200 [theme=dark]"
	hcall $opt -H "cookie: $SESSION" "$u/app/page"
	check "$opt, the route's transformation reads the ID token's claims" \
		"$H_CODE $(echo_header x-email)" "200 alice@example.com"
done
hcall -H "cookie: $SESSION" "$u/nothere"
check "with the session, a path no route matches: 404" "$H_CODE $H_BODY" "404 route not found"

# Logging out: the browser drops the cookie (or the gateway's key changes).
hcall -H "cookie: theme=dark" "$u/plain/page"
check "logged out: the next request logs in again" "$H_CODE $(resp_header location | cut -c1-28)" \
	"302 http://127.0.0.1:$IDP/auth?"
login "$u/app/again"
check "and a new login gets a new session" "$H_CODE $(resp_header location)" "302 /app/again"

busy_client_check
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.key | startswith("listener/")) | [.key, .name, .policy.traffic.phase,
		.policy.traffic.oidc.policyId, .policy.traffic.oidc.session.cookieName,
		.policy.traffic.oidc.client.clientSecret, .target.gateway.listenerName]]')
check "config_dump: the listener's oidc as agentgateway lists it" "$got" \
	"[[\"listener/bind/8080/listener0/0\",null,\"gateway\",\"policy/listener/bind/8080/listener0\",\"${SESSION%%=*}\",\"<redacted>\",\"listener0\"]]"
check "config_dump: no route carries it" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -c '[.. | .oidc? // empty] | length')" 1
finish
