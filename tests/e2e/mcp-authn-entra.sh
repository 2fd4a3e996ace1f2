# mcpAuthentication with `provider: {entra: {}}` against a stand-in for
# Entra ID (mcp_as.py's entra shape: Entra's URL layout for one tenant over
# TLS on 127.0.0.1:443, refusing RFC 8707's `resource` as Entra does,
# AADSTS9010010, and wanting the app's client secret at its token
# endpoint), driven by the official SDK client running the MCP
# authorization flow itself: the keys fetched from the URL the tenant
# gives; the authorization-server metadata is Entra's v2.0 discovery
# document adapted (the gateway the issuer, its authorize, token and
# registration endpoints, S256); registration answered from clientId; the
# authorize endpoint a 302 to Entra's without `resource`; the token
# request passed on without `resource` and with the configured secret;
# tools called with the token. Then by hand: a GET of the token endpoint
# is 405, a client_credentials grant never gets the secret, another
# client's neither; config_dump names the provider.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"
. "$E2E_DIR/mcplib.sh"

jwt_keys
ca_and_cert entra
/usr/bin/python3 "$E2E_DIR/mcp_as.py" 443 "$K" "$WORK/as.log" entra "$WORK/srv.pem" \
	"$WORK/srv.key" 2>"$WORK/as.err" &
PIDS+=("$!")
wait_port 443 10 || fail "the Entra stand-in does not listen on :443"
T=https://127.0.0.1/e2e-tenant

cat >"$WORK/entra.yaml" <<YAML
mcp:
  port: 3000
  policies:
    mcpAuthentication:
      issuer: $T/v2.0
      audiences: [api://e2e-client]
      provider: {entra: {}}
      clientId: e2e-client
      clientSecret: e2e-secret
      resourceMetadata:
        resource: http://localhost:3000/mcp
        scopesSupported: [api://e2e-client/.default]
  targets:
  - name: everything
    stdio: {cmd: node, args: ["$EVERY", stdio]}
YAML
# The gateway trusts the stand-in's CA (its JWKS and discovery fetches);
# so does the SDK client (the authorize redirect it follows).
export SSL_CERT_FILE=$WORK/ca.pem NODE_EXTRA_CA_CERTS=$WORK/ca.pem
mcp_start "$WORK/entra.yaml" "mcpAuthentication with provider entra"
G=http://localhost:3000
AS=$G/.well-known/oauth-authorization-server/mcp

check "the protected-resource metadata names the gateway as the authorization server" \
	"$(curl -s "$G/.well-known/oauth-protected-resource/mcp" | jq -c .authorization_servers)" \
	'["http://localhost:3000/mcp"]'
check "Entra's v2.0 discovery adapted: the gateway's issuer, endpoints and registration; S256" \
	"$(curl -s "$AS" | jq -c '[.issuer, .authorization_endpoint, .token_endpoint, .registration_endpoint, .code_challenge_methods_supported, .jwks_uri]')" \
	"[\"$G/mcp\",\"$AS/authorize\",\"$AS/token\",\"$AS/client-registration\",[\"S256\"],\"$T/discovery/v2.0/keys\"]"

: >"$WORK/as.log"
out=$(MCP_OAUTH=1 node "$CLIENT" "$G/mcp" 'call:echo:{"message":"entra"}' end 2>&1)
check "SDK: registered at the gateway, from clientId" "$(echo "$out" | sed -n 1p)" \
	'{"oauth":"e2e-client"}'
check "SDK: echo called with Entra's token" "$(echo "$out" | sed -n 3p)" \
	'{"call":"echo","text":"Echo: entra","isError":false}'
check "what Entra saw: discovery, the authorization and the token request without resource, with the secret" \
	"$(grep -v -e keys "$WORK/as.log" | tr '\n' ' ')" \
	"GET /e2e-tenant/v2.0/.well-known/openid-configuration GET /e2e-tenant/oauth2/v2.0/authorize GET /e2e-tenant/v2.0/.well-known/openid-configuration POST /e2e-tenant/oauth2/v2.0/token FORM client_id client_secret=ok code code_verifier grant_type redirect_uri TOKEN aud=api://e2e-client "

code=$(curl -s -D "$WORK/h" -o /dev/null -w '%{http_code}' \
	"$AS/authorize?response_type=code&client_id=e2e-client&resource=http%3A%2F%2Flocalhost%3A3000%2Fmcp&state=s1")
check "authorize: a 302 to Entra's, resource taken out" \
	"$code $(tr -d '\r' <"$WORK/h" | sed -n 's/^location: //Ip')" \
	"302 $T/oauth2/v2.0/authorize?response_type=code&client_id=e2e-client&state=s1"
check "token: a GET is 405, Allow: POST" \
	"$(curl -s -D - -o /dev/null "$AS/token" | tr -d '\r' | sed -n -e 's/^HTTP\/1.1 \([0-9]*\).*/\1/p' -e 's/^allow: //Ip' | tr '\n' ' ')" \
	'405 POST '
: >"$WORK/as.log"
code=$(curl -s -o "$WORK/b" -w '%{http_code}' -d 'grant_type=client_credentials&client_id=e2e-client&scope=x' "$AS/token")
check "a client_credentials grant: passed on without the gateway's secret (Entra: 401)" \
	"$code $(sed -n 's/^FORM //p' "$WORK/as.log")" '401 client_id grant_type scope'
: >"$WORK/as.log"
code=$(curl -s -o "$WORK/b" -w '%{http_code}' -d 'grant_type=authorization_code&client_id=other&code=x&resource=r' "$AS/token")
check "another client's code: neither the secret nor resource passed on" \
	"$code $(sed -n 's/^FORM //p' "$WORK/as.log")" '401 client_id code grant_type'
check "config_dump: the provider" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -c '[.binds[].listeners[].routes[].inlinePolicies[]? | select(.jwtAuth) | .jwtAuth.mcp | [.provider, .clientId, .clientSecret]]')" \
	'[[{"entra":{}},"e2e-client","<redacted>"]]'
stop_gateway
finish
