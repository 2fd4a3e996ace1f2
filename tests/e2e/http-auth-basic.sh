# Basic authentication (agentgateway's basicAuth route policy) over HTTP/1
# and h2c, with an htpasswd file of bcrypt ($2b$), SHA-crypt ($6$, $5$),
# apr1 MD5 and {SHA} hashes made at test time (openssl passwd, python's
# crypt): each user passes with their password and the backend never sees
# the credentials; a strict route answers no credentials 401 "basic
# authentication failure: no basic authentication credentials found", a
# wrong password, an unknown user or credentials that are not base64 401
# "...: invalid credentials", both with WWW-Authenticate: Basic
# realm="<realm>"; a gRPC caller grpc-status 16; an optional route lets a
# request without credentials pass; one that reads Proxy-Authorization
# answers 407 with Proxy-Authenticate (the gateway a forward proxy, as
# agentgateway). Another client is served meanwhile;
# config_dump prints the policy with the htpasswd redacted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080
{
	printf 'bob:%s\n' "$(/usr/bin/python3 -W ignore -c \
		'import crypt; print(crypt.crypt("pw-b", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))')"
	printf 'six:%s\n' "$(printf pw-6 | openssl passwd -6 -stdin)"
	printf 'five:%s\n' "$(printf pw-5 | openssl passwd -5 -stdin)"
	printf '# Apache apr1\nann:%s\n' "$(printf pw-a | openssl passwd -apr1 -stdin)"
	printf 'hal:{SHA}%s\n' "$(printf pw-h | openssl dgst -sha1 -binary | base64)"
} >"$WORK/htpasswd"

cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: staff
      matches: [{path: {pathPrefix: /staff}}]
      policies:
        basicAuth: {htpasswd: {file: $WORK/htpasswd}, realm: staff area, mode: strict}
      backends: [{host: 127.0.0.1:$V1}]
    - name: maybe
      matches: [{path: {pathPrefix: /maybe}}]
      policies:
        basicAuth: {htpasswd: {file: $WORK/htpasswd}}
      backends: [{host: 127.0.0.1:$V1}]
    - name: proxy
      matches: [{path: {pathPrefix: /proxy}}]
      policies:
        basicAuth:
          htpasswd: {file: $WORK/htpasswd}
          mode: strict
          authorizationLocation: {header: {name: Proxy-Authorization, prefix: "Basic "}}
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
	for up in bob:pw-b six:pw-6 five:pw-5 ann:pw-a hal:pw-h; do
		hcall $opt -u "$up" "$u/staff/x"
		check "$opt ${up%%:*}: 200, the backend saw no Authorization" \
			"$H_CODE [$(echo_header authorization)]" "200 []"
	done
	hcall $opt "$u/staff/x"
	check "$opt no credentials: 401 with the realm's challenge" \
		"$H_CODE $(resp_header www-authenticate) $H_BODY" \
		"401 Basic realm=\"staff area\" basic authentication failure: no basic authentication credentials found"
done
for bad in -ubob:pw-6 -unobody:pw-b "-HAuthorization: Basic !!!" "-HAuthorization: Basic Ym9i"; do
	hcall "$bad" "$u/staff/x"
	check "bad credentials ($bad): 401" "$H_CODE $H_BODY" \
		"401 basic authentication failure: invalid credentials"
done
hcall --http2-prior-knowledge -H "content-type: application/grpc" -d '' "$u/staff/pkg.Svc/M"
check "a gRPC call without credentials: UNAUTHENTICATED" "$H_CODE $(resp_header grpc-status)" \
	"200 16"
hcall "$u/maybe/x"
check "optional: no credentials pass" "$H_CODE" 200
hcall -u ann:wrong "$u/maybe/x"
check "optional: wrong ones are refused, realm Restricted" \
	"$H_CODE $(resp_header www-authenticate)" '401 Basic realm="Restricted"'
hcall "$u/proxy/x"
check "Proxy-Authorization: none is 407 with Proxy-Authenticate" \
	"$H_CODE $(resp_header proxy-authenticate) [$(resp_header www-authenticate)] $H_BODY" \
	"407 Basic realm=\"Restricted\" [] basic authentication failure: no basic authentication credentials found"
hcall -H "Proxy-Authorization: Basic $(printf ann:wrong | base64)" "$u/proxy/x"
check "Proxy-Authorization: a wrong password is 407" "$H_CODE $H_BODY" \
	"407 basic authentication failure: invalid credentials"
hcall -H "Proxy-Authorization: Basic $(printf ann:pw-a | base64)" "$u/proxy/x"
check "Proxy-Authorization: the right one passes, not sent on" \
	"$H_CODE [$(echo_header proxy-authorization)]" "200 []"

busy_client_check
got=$(inline_policies staff)
json_equal "config_dump: basicAuth with the htpasswd redacted" "$got" \
	'[[{"basicAuth": {"htpasswd": "<redacted>", "realm": "staff area", "mode": "strict",
	    "authorizationLocation": {"header": {"name": "authorization", "prefix": "Basic "}}}}]]'
stop_gateway

printf 'joe:plaintext\n' >"$WORK/plain"
printf 'binds:\n- port: 8080\n  listeners:\n  - routes:\n    - policies: {basicAuth: {htpasswd: {file: %s}}}\n      backends: [{host: 127.0.0.1:1}]\n' \
	"$WORK/plain" >"$WORK/bad.yaml"
out=$("$SG_BIN" check -c "$WORK/bad.yaml" 2>&1)
check "check refuses a plain-text password, naming the line" "$? $out" \
	"1 $WORK/bad.yaml:5:29: basicAuth: htpasswd $WORK/plain: line 1: user joe: unsupported hash (bcrypt \$2y\$, SHA-crypt \$5\$ or \$6\$, apr1 MD5 \$apr1\$, {SHA})"$'\n1 error: configuration invalid'
finish
