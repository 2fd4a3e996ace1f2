# JWT authentication plus a CEL authorization rule on an HTTPS listener,
# over HTTP/1.1 and HTTP/2 (ALPN) with curl trusting a certificate made by
# openssl at test time: no token 401 (agentgateway's text, WWW-Authenticate:
# Bearer), a token the rule allows 200 with the token stripped, a token it
# does not allow 403 "authorization failed", an expired token 401.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

jwt_keys
NOW=$(date +%s)
claims() { echo "{\"iss\":\"https://issuer.example\",\"sub\":\"$1\",\"exp\":$2}"; }
ALICE=$(mint RS256 rsa "$(claims alice $((NOW + 3600)))")
BOB=$(mint ES256 ec256 "$(claims bob $((NOW + 3600)))")
OLD=$(mint ES256 ec256 "$(claims alice $((NOW - 3600)))")
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost -keyout "$WORK/tls.key" -out "$WORK/tls.crt" \
	>/dev/null 2>&1 || fail "openssl req"

start_backend v1
V1=$BACKEND_PORT
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8443
  listeners:
  - protocol: HTTPS
    tls: {cert: $WORK/tls.crt, key: $WORK/tls.key}
    routes:
    - policies:
        jwtAuth:
          mode: strict
          issuer: https://issuer.example
          jwks: {file: $K/jwks.json}
        authorization:
          rules: ['jwt.sub == "alice"']
      backends: [{host: 127.0.0.1:$V1}]
YAML
if ! start_engine auto -p 8443 -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi
u=https://localhost:8443
tls=(--cacert "$WORK/tls.crt" --resolve localhost:8443:127.0.0.1)
for opt in --http1.1 --http2; do
	hcall $opt "${tls[@]}" "$u/x"
	check "HTTPS $opt: no token: 401 with the challenge" \
		"$H_CODE $(resp_header www-authenticate) $H_BODY" \
		"401 Bearer authentication failure: no bearer token found"
	hcall $opt "${tls[@]}" -H "Authorization: Bearer $ALICE" "$u/x"
	check "HTTPS $opt: a token the rule allows: 200, stripped" \
		"$H_CODE [$(echo_header authorization)]" "200 []"
	hcall $opt "${tls[@]}" -H "Authorization: Bearer $BOB" "$u/x"
	check "HTTPS $opt: a token the rule does not allow: 403" "$H_CODE $H_BODY" \
		"403 authorization failed"
	hcall $opt "${tls[@]}" -H "Authorization: Bearer $OLD" "$u/x"
	check "HTTPS $opt: an expired token: 401" "$H_CODE $H_BODY" \
		"401 authentication failure: the token is invalid or malformed: Error(ExpiredSignature)"
done
stop_gateway
finish
