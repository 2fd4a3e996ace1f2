# AgentgatewayPolicy spec.backend.auth.oauthTokenExchange (agentgateway's
# CRD shape), applied at run time with `splicegate apply -f-`: the token
# endpoint as a backendRef to a Service (asked at its endpoint under the
# Service's name) or as a url, the client secret from a Secret
# (clientSecret key, Basic; ClientSecretPost in the form), the CRD's token
# type names (Jwt, AccessToken) as RFC 8693's URNs, scopes, audiences and
# an additionalParams expression, the token put where `location` says;
# the cache's inMemory.maxEntries 0 asks each time and its defaultTtl
# keeps an answer without expires_in; config_dump as a
# backend policy; check's refusals (privateKeyJwt, mayAct, IdJag, a url
# beside a backendRef, an https url off port 443).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
TP=$(free_port)
/usr/bin/python3 "$E2E_DIR/token_endpoint.py" "$TP" "$WORK/tokens.log" >"$WORK/te.out" 2>&1 &
PIDS+=("$!")
wait_port "$TP" || fail "the token endpoint did not start"
k8s_routes_start "$V1" api
last() { tail -1 "$WORK/tokens.log" | jq -c "$1"; }
calls() { wc -l <"$WORK/tokens.log" 2>/dev/null || echo 0; }

out=$({
	service_yaml idp "$TP"
	service_yaml v2 "$V1"
	echo ---
	httproute_yaml post /post v2 "$V1"
	cat <<YAML
---
apiVersion: v1
kind: Secret
metadata: {name: idp-client, namespace: e2e}
stringData: {clientSecret: s3cret}
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: xchg, namespace: e2e}
spec:
  targetRefs: [{group: "", kind: Service, name: v1}]
  backend:
    auth:
      oauthTokenExchange:
        backendRef: {name: idp, port: $TP}
        path: /realms/r/token
        subjectToken: {tokenType: Jwt}
        audiences: [target-client]
        scopes: [read, write]
        requestedTokenType: AccessToken
        additionalParams: {tenant: '"t-" + request.headers["x-tenant"]'}
        clientAuth: {clientId: gw, secretRef: {name: idp-client}}
        location: {header: {name: x-upstream-token}}
        cache: {inMemory: {defaultTtl: 17s}}
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: xchg-post, namespace: e2e}
spec:
  targetRefs: [{group: "", kind: Service, name: v2}]
  backend:
    auth:
      oauthTokenExchange:
        url: http://127.0.0.1:$TP/post-token
        grantType: JwtBearer
        clientAuth: {clientId: gw2, method: ClientSecretPost}
        cache: {inMemory: {maxEntries: 0}}
YAML
} | "$SG_BIN" apply -f- 2>&1)
check "apply -f- of the Service, the Secret and the policies" "$?" 0

# The endpoint numbers its tokens: 1 to 3 over HTTP/1, 4 to 6 over HTTP/2;
# each protocol's subjects its own (the cache is the gateway's).
for opt in --http1.1 --http2-prior-knowledge; do
	n=$([ "$opt" = --http1.1 ] && echo 1 || echo 4)
	: >"$WORK/tokens.log"
	hcall "$opt" -H "authorization: Bearer u$opt" -H "x-tenant: acme" "$u/api/x"
	check "$opt: the backend gets the exchanged token where location says (no prefix)" \
		"$H_CODE $(echo_header x-upstream-token)" "200 xchg-$n-u$opt"
	check "$opt: the Service's endpoint asked under the Service's name, its path, Basic from the Secret" \
		"$(last '[.host, .path, .authorization]')" \
		"[\"idp.e2e.svc.cluster.local:$TP\",\"/realms/r/token\",\"Basic Z3c6czNjcmV0\"]"
	check "$opt: the form: the CRD's names as URNs, audiences, scopes, the expression" \
		"$(last '.form')" \
		'{"grant_type":["urn:ietf:params:oauth:grant-type:token-exchange"],"subject_token":["u'"$opt"'"],"subject_token_type":["urn:ietf:params:oauth:token-type:jwt"],"requested_token_type":["urn:ietf:params:oauth:token-type:access_token"],"audience":["target-client"],"scope":["read write"],"tenant":["t-acme"]}'
	hcall "$opt" -H "authorization: Bearer u$opt" -H "x-tenant: acme" "$u/api/x"
	check "$opt: the same subject again: cached, no call" "$H_CODE $(calls)" "200 1"
	hcall "$opt" -H "authorization: Bearer a.jwt" "$u/post/x"
	check "$opt: url and JwtBearer: the backend gets the token" "$H_CODE $(echo_header authorization)" \
		"200 Bearer xchg-$((n + 1))-a.jwt"
	check "$opt: the url's path; ClientSecretPost without a secret: client_id in the form" \
		"$(last '[.path, .authorization, .form.grant_type[0], .form.assertion[0], .form.client_id[0]]')" \
		'["/post-token",null,"urn:ietf:params:oauth:grant-type:jwt-bearer","a.jwt","gw2"]'
	hcall "$opt" -H "authorization: Bearer a.jwt" "$u/post/x"
	check "$opt: inMemory.maxEntries 0: asked each time" "$H_CODE $(calls)" "200 3"
done

# An answer without expires_in is kept for defaultTtl (17 s), less the
# 15 s the gateway keeps in hand: 2 s.
: >"$WORK/tokens.log"
hcall -H "authorization: Bearer noexp-1" -H "x-tenant: acme" "$u/api/x"
hcall -H "authorization: Bearer noexp-1" -H "x-tenant: acme" "$u/api/x"
check "no expires_in: kept for defaultTtl less 15 s (asked once for two requests)" \
	"$H_CODE $(calls)" "200 1"
sleep 3
hcall -H "authorization: Bearer noexp-1" -H "x-tenant: acme" "$u/api/x"
check "and asked again once that passed" "$H_CODE $(calls)" "200 2"

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name == "xchg") | .policy.backend.backendAuth.oauthTokenExchange | [.service, .path, .clientAuth.clientSecret, .audiences, .subjectToken.tokenType]]')
check "config_dump: the exchange as a backend policy, the Service its target, the secret redacted" "$got" \
	"[[{\"name\":\"e2e/idp.e2e.svc.cluster.local\",\"port\":$TP},\"/realms/r/token\",\"<redacted>\",[\"target-client\"],\"urn:ietf:params:oauth:token-type:jwt\"]]"
stop_gateway

POL='apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: p, namespace: default}
spec:
  targetRefs: [{group: "", kind: Service, name: s}]
  backend:
    auth:
      oauthTokenExchange:'
refused() { # LABEL YAML-LINES WANT
	printf '%s\n%s\n' "$POL" "$2" >"$WORK/bad.yaml"
	out=$("$SG_BIN" check -c "$WORK/bad.yaml" 2>&1)
	check "check refuses $1" "$? $(grep -cF "$3" <<<"$out")" "1 1"
}
refused "privateKeyJwt" '        url: http://127.0.0.1:9/t
        clientAuth: {clientId: c, method: PrivateKeyJwt}' \
	"spec.backend.auth.oauthTokenExchange.clientAuth.method: not supported (privateKeyJwt client assertions are not implemented)"
refused "mayAct" '        url: http://127.0.0.1:9/t
        actorToken: {source: {header: {name: x-a}}, mayAct: Required}' \
	"spec.backend.auth.oauthTokenExchange.actorToken.mayAct: not supported (the subject's may_act claim is not checked)"
refused "IdJag" '        url: http://127.0.0.1:9/t
        requestedTokenType: IdJag' \
	"spec.backend.auth.oauthTokenExchange.requestedTokenType: not supported (IdJag is only supported by crossAppAccess)"
refused "both url and backendRef" '        url: http://127.0.0.1:9/t
        backendRef: {name: s, port: 9}' \
	"spec.backend.auth.oauthTokenExchange: expected exactly one of backendRef and url"
refused "https off 443" '        url: https://idp.example:8443/t' \
	"spec.backend.auth.oauthTokenExchange.url: not supported (the exchange speaks TLS at port 443 and only there)"
refused "an unknown token type" '        url: http://127.0.0.1:9/t
        subjectToken: {tokenType: Saml}' \
	"spec.backend.auth.oauthTokenExchange.subjectToken.tokenType: expected AccessToken, Jwt, IdToken or an absolute URI"
finish
