# JWT authentication (agentgateway's jwtAuth route policy) over HTTP/1 and
# h2c, with keys and tokens made by openssl at test time: each of RS256/384/
# 512, PS256, ES256/384 and EdDSA passes (200) and the backend never sees
# the token; a strict route answers a missing, expired, wrongly addressed,
# alg-confused (HS256 with the RSA key, none), malformed or
# unknown-key token 401 with agentgateway's text and WWW-Authenticate:
# Bearer, a gRPC caller grpc-status 16 (UNAUTHENTICATED), while an 18 KiB
# token (300 groups) passes as in agentgateway; an optional route
# lets a request without a token pass, reads the token from a query
# parameter and strips it; a permissive one lets a bad cookie token pass
# untouched; CEL's jwt.rawToken is "<redacted>" but to unredacted(). A
# slow client on another route is served meanwhile.
# config_dump prints the policy as agentgateway does (key ids, never keys);
# `check` refuses a bad JWKS, and an AgentgatewayPolicy's
# jwtAuthentication without providers (remote JWKS:
# http-auth-jwks-remote.sh; the policy: http-auth-jwt-k8s.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

jwt_keys
NOW=$(date +%s)
GOOD="{\"iss\":\"https://issuer.example\",\"aud\":\"api\",\"sub\":\"alice\",\"exp\":$((NOW + 3600))}"

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
      backends: [{host: 127.0.0.1:$V1}]
    - name: opt
      matches: [{path: {pathPrefix: /opt}}]
      policies:
        jwtAuth:
          location: {queryParameter: {name: access_token}}
          providers:
          - issuer: https://issuer.example
            jwks: {file: $K/jwks.json}
      backends: [{host: 127.0.0.1:$V1}]
    - name: perm
      matches: [{path: {pathPrefix: /perm}}]
      policies:
        jwtAuth:
          mode: permissive
          location: {cookie: {name: session}}
          issuer: https://issuer.example
          jwks: {file: $K/jwks.json}
      backends: [{host: 127.0.0.1:$V1}]
    - name: tok
      matches: [{path: {pathPrefix: /tok}}]
      policies:
        jwtAuth:
          issuer: https://issuer.example
          jwks: {file: $K/jwks.json}
        transformations:
          request:
            set: {x-red: jwt.rawToken, x-tok: jwt.rawToken.unredacted()}
      backends: [{host: 127.0.0.1:$V1}]
    - name: open
      backends: [{host: 127.0.0.1:$V1}]
YAML
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

busy_client_start "$u/open"

for proto in 1.1 2; do
	opt=--http1.1
	[ "$proto" = 2 ] && opt=--http2-prior-knowledge
	for alg in RS256 RS384 RS512 PS256 ES256 ES384 EdDSA; do
		case $alg in
		R* | P*) kid=rsa ;;
		ES256) kid=ec256 ;;
		ES384) kid=ec384 ;;
		*) kid=ed ;;
		esac
		hcall $opt -H "Authorization: Bearer $(mint $alg $kid "$GOOD")" "$u/api/x"
		check "HTTP/$proto $alg: 200, the backend saw no Authorization" \
			"$H_CODE [$(echo_header authorization)]" "200 []"
	done
	hcall $opt "$u/api/x"
	check "HTTP/$proto no token on a strict route: 401 with a Bearer challenge" \
		"$H_CODE $(resp_header www-authenticate) $H_BODY" \
		"401 Bearer authentication failure: no bearer token found"
done

# bad TOKEN WANT-BODY WHAT: a strict route's 401 for TOKEN.
bad() {
	hcall -H "Authorization: Bearer $1" "$u/api/x"
	check "$3: 401" "$H_CODE $H_BODY" "401 authentication failure: $2"
}
E="the token is invalid or malformed"
bad "$(mint ES256 ec256 "{\"iss\":\"https://issuer.example\",\"aud\":\"api\",\"exp\":$((NOW - 120))}")" \
	"$E: Error(ExpiredSignature)" "expired"
bad "$(mint ES256 ec256 "{\"iss\":\"https://issuer.example\",\"aud\":\"web\",\"exp\":$((NOW + 60))}")" \
	"$E: Error(InvalidAudience)" "wrong audience"
bad "$(mint ES256 ec256 "{\"iss\":\"https://other.example\",\"aud\":\"api\",\"exp\":$((NOW + 60))}")" \
	"$E: Error(InvalidIssuer)" "wrong issuer"
bad "$(mint HS256 rsa "$GOOD")" "$E: Error(InvalidAlgorithm)" "HS256 signed with the RSA public key"
bad "$(mint none rsa "$GOOD")" "the token header is malformed: Error(InvalidAlgorithmName)" \
	"alg none"
bad "$(mint ES256 rsa "$GOOD")" "$E: Error(InvalidAlgorithm)" "ES256 naming an RSA key"
bad "$(mint RS256 nokey "$GOOD")" 'token uses the unknown key "nokey"' "unknown kid"
bad "not.a.jwt" "the token header is malformed: Error(InvalidToken)" "malformed"
tok=$(mint RS256 rsa "$GOOD")
bad "${tok%?}A${tok: -1}" "$E: Error(InvalidSignature)" "a signature changed"
bad "$(head -c 9000 /dev/zero | tr '\0' a).b.c" "the token header is malformed: Error(InvalidToken)" \
	"9000 bytes that are no token"
groups=$(seq -f '"group-%036g"' 300 | paste -sd,)
BIG=$(mint RS256 rsa "{\"iss\":\"https://issuer.example\",\"aud\":\"api\",\"sub\":\"g\",\"exp\":$((NOW + 3600)),\"groups\":[$groups]}")
for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt -H "Authorization: Bearer $BIG" "$u/api/x"
	check "$opt: a ${#BIG}-byte token (300 groups) passes, as agentgateway's" "$H_CODE" 200
done
hcall --http2-prior-knowledge -H "content-type: application/grpc" -H "Authorization: Bearer x" \
	-d '' "$u/api/pkg.Svc/M"
check "a gRPC call with a bad token: UNAUTHENTICATED" \
	"$H_CODE $(resp_header grpc-status) $(resp_header grpc-message)" \
	"200 16 authentication%20failure:%20the%20token%20header%20is%20malformed:%20Error(InvalidToken)"

T=$(mint ES256 ec256 "$GOOD")
hcall -H "Authorization: Bearer $T" "$u/tok/x"
check "CEL's jwt.rawToken: <redacted>, unredacted() the token (agentgateway's)" \
	"$H_CODE $(echo_header x-red) $([ "$(echo_header x-tok)" = "$T" ] && echo token) [$(echo_header authorization)]" \
	"200 <redacted> token []"
for opt in --http1.1 --http2-prior-knowledge; do
	# two Authorization lines, the first no Bearer one: the token in the
	# second is verified, not sent on unverified (agentgateway reads the
	# first line alone and lets an optional route pass the rest as sent)
	hcall $opt -H "Authorization: Basic eDp5" -H "Authorization: Bearer forged.tok.en" "$u/tok/x"
	check "$opt optional: a bad token on a second Authorization line is refused" \
		"$H_CODE $H_BODY" \
		"401 authentication failure: the token header is malformed: Error(InvalidToken)"
	hcall $opt -H $'Authorization: Bearer\tforged.tok.en' "$u/tok/x"
	check "$opt optional: a bad token after \"Bearer\" and a tab is refused" "$H_CODE" 401
	hcall $opt -H "Authorization: Basic eDp5" -H "Authorization: Bearer $T" "$u/tok/x"
	check "$opt optional: a good one there passes, no Authorization line sent on" \
		"$H_CODE $(jq -c '[.headers | to_entries[] | select(.key | ascii_downcase == "authorization")]' <<<"$H_BODY")" \
		"200 []"
done
hcall "$u/opt/x?a=1"
check "optional: no token passes" "$H_CODE" 200
hcall "$u/opt/x?a=1&access_token=$(mint EdDSA ed "$GOOD")&b=2"
check "optional: a token from the query passes and is taken out of the path" \
	"$H_CODE $(jq -r .path <<<"$H_BODY")" "200 /opt/x?a=1&b=2"
hcall "$u/opt/x?access_token=bad"
check "optional: a bad token is refused" "$H_CODE" 401
hcall -H "Cookie: a=1; session=bad.token.here" "$u/perm/x"
check "permissive: a bad cookie token passes, kept as sent" \
	"$H_CODE $(echo_header cookie)" "200 a=1; session=bad.token.here"
hcall -H "Cookie: a=1; session=$(mint ES384 ec384 "$GOOD")" "$u/perm/x"
check "permissive: a good cookie token is taken out of the cookies" \
	"$H_CODE $(echo_header cookie)" "200 a=1"

busy_client_check
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.binds[0].listeners[].routes[] | select(.name == "api" or .name == "opt") | .inlinePolicies]')
json_equal "config_dump: jwtAuth as agentgateway prints it" "$got" \
	'[[{"jwtAuth": {"mode": "strict", "providers": [{"issuer": "https://issuer.example",
	    "keys": ["rsa", "ec256", "ec384", "ed"]}],
	    "location": {"header": {"name": "authorization", "prefix": "Bearer "}}}}],
	  [{"jwtAuth": {"mode": "optional", "providers": [{"issuer": "https://issuer.example",
	    "keys": ["rsa", "ec256", "ec384", "ed"]}],
	    "location": {"queryParameter": {"name": "access_token"}}}}]]'
stop_gateway

echo '{"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}' >"$WORK/hmac.json"
check_refuses "an HMAC key in a JWKS" "jwtAuth: {issuer: i, jwks: {file: $WORK/hmac.json}}" \
	"6:18: jwtAuth: issuer i: jwks $WORK/hmac.json: key \"h\": unsupported kty (supported: RSA, EC, OKP[Ed25519])"
cat >"$WORK/agp.yaml" <<'YAML'
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: p, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
  traffic:
    jwtAuthentication: {providers: []}
YAML
out=$("$SG_BIN" check -c "$WORK/agp.yaml" 2>&1)
check "check refuses AgentgatewayPolicy traffic.jwtAuthentication without providers (the CRD's MinItems)" "$? $out" \
	"1 $WORK/agp.yaml:7:36: spec.traffic.jwtAuthentication.providers: expected 1 to 64 providers, got an empty list"$'\n1 error: configuration invalid'
finish
