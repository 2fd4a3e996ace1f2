# Remote JWKS (jwtAuth's jwks {url}), fetched by the gateway off the data
# path: keys served over HTTPS by a Python server with a certificate of a
# CA made here (the gateway trusts it through SSL_CERT_FILE) are fetched
# once the config is in force and verify a token over HTTP/1 and h2c
# (config_dump names their kids); rotating the served keys under traffic
# makes the new kid's first token fetch them again (a bounded number of
# fetches, however many tokens miss), the new kid then passes and the
# withdrawn one is refused; a JWKS URL nothing listens on, and one that
# serves garbage, leave their routes failing closed (401, token uses the
# unknown key) with the cause logged, while a route without auth is served
# throughout; `check` refuses a URL that is not http(s).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

NOW=$(date +%s)
CLAIMS="{\"iss\":\"https://issuer.example\",\"sub\":\"alice\",\"exp\":$((NOW + 3600))}"
K1=$WORK/keys1
K2=$WORK/keys2
/usr/bin/python3 "$REPO_DIR/tests/e2e/jwt_mint.py" keys "$K1" || fail "keys not made"
/usr/bin/python3 "$REPO_DIR/tests/e2e/jwt_mint.py" keys "$K2" || fail "keys not made"
jq -c '{keys: [.keys[] | select(.kid == "ec256") | .kid = "k1"]}' "$K1/jwks.json" >"$WORK/v1.json"
jq -c '{keys: [.keys[] | select(.kid == "ec256") | .kid = "k2"]}' "$K2/jwks.json" >"$WORK/v2.json"
T1=$(/usr/bin/python3 "$REPO_DIR/tests/e2e/jwt_mint.py" token "$K1" ES256 k1 "$CLAIMS")
T2=$(/usr/bin/python3 "$REPO_DIR/tests/e2e/jwt_mint.py" token "$K2" ES256 k2 "$CLAIMS")

# a CA and the JWKS server's certificate for 127.0.0.1
ca_and_cert jwks

cp "$WORK/v1.json" "$WORK/served.json"
jwks_server keys "$WORK/served.json" tls
KP=$JP
echo 'this is not a JWKS' >"$WORK/junk.json"
jwks_server junk "$WORK/junk.json"
JUNK=$JP
DOWN=$(free_port)

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080

route() { # NAME URL
	printf '    - name: %s\n      matches: [{path: {pathPrefix: /%s}}]\n' "$1" "$1"
	printf '      policies:\n        jwtAuth:\n          mode: strict\n'
	printf '          issuer: https://issuer.example\n          jwks: {url: "%s"}\n' "$2"
	printf '      backends: [{host: 127.0.0.1:%s}]\n' "$V1"
}
{
	printf 'binds:\n- port: 8080\n  listeners:\n  - protocol: HTTP\n    routes:\n'
	route api "https://127.0.0.1:$KP/jwks"
	route down "https://127.0.0.1:$DOWN/jwks"
	route junk "http://127.0.0.1:$JUNK/keys.json"
	printf '    - name: open\n      backends: [{host: 127.0.0.1:%s}]\n' "$V1"
} >"$WORK/cfg.yaml"

if ! SSL_CERT_FILE=$WORK/ca.pem start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

# until_code WANT TOKEN PATH: asks up to 100 times, 0.1 s apart, until the
# answer is WANT; H_CODE is the last answer's.
until_code() {
	for _ in $(seq 100); do
		hcall -H "Authorization: Bearer $2" "$u/$3"
		[ "$H_CODE" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

busy_client_start "$u/open"

until_code 200 "$T1" api/x
check "the fetched key verifies a token (HTTP/1)" "$H_CODE [$(echo_header authorization)]" "200 []"
hcall --http2-prior-knowledge -H "Authorization: Bearer $T1" "$u/api/x"
check "the fetched key verifies a token (h2c)" "$H_CODE" "200"
hcall "$u/api/x"
check "no token on the strict route: 401" "$H_CODE $H_BODY" \
	"401 authentication failure: no bearer token found"
for _ in $(seq 20); do
	grep -q 'http.path=/api/x .*http.status=401 .*reason=jwt error=' "$WORK/gateway.log" && break
	sleep 0.1
done
check "the access log says why jwtAuth refused" \
	"$(grep -o 'http.path=/api/x .*http.status=401 .*reason=jwt error=.*' "$WORK/gateway.log" | tail -1 | grep -o 'error=.*')" \
	'error="authentication failure: no bearer token found"'
check "the JWKS was fetched over HTTPS once" "$(cut -d' ' -f2 "$WORK/keys.log")" "/jwks"

for r in down junk; do
	hcall -H "Authorization: Bearer $T1" "$u/$r/x"
	check "$r: no keys, the token is refused (fail closed)" "$H_CODE $H_BODY" \
		"401 authentication failure: token uses the unknown key \"k1\""
done
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.binds[0].listeners[].routes[] | .inlinePolicies[0].jwtAuth.providers[0].keys]')
check "config_dump names the kids fetched (none where the fetch fails)" "$got" '[["k1"],[],[],null]'
for _ in $(seq 50); do
	grep -q "jwks http://127.0.0.1:$JUNK/keys.json: " "$WORK/gateway.log" &&
		grep -q "jwks https://127.0.0.1:$DOWN/jwks: connect 127.0.0.1:$DOWN: Connection refused" \
			"$WORK/gateway.log" && break
	sleep 0.1
done
check "the failed fetches are logged with their cause" \
	"$(grep -c "jwks https://127.0.0.1:$DOWN/jwks: connect 127.0.0.1:$DOWN: Connection refused (the keys in force kept" "$WORK/gateway.log" | sed 's/[1-9][0-9]*/some/')" "some"
check "the garbage JWKS is logged as such" \
	"$(grep -o "jwks http://127.0.0.1:$JUNK/keys.json: [^(]*" "$WORK/gateway.log" | head -1)" \
	"jwks http://127.0.0.1:$JUNK/keys.json: not a JWKS "

# rotation under traffic: clients keep asking with the old token meanwhile
cp "$WORK/v2.json" "$WORK/served.json.new" && mv "$WORK/served.json.new" "$WORK/served.json"
(
	for _ in $(seq 40); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
			-H "Authorization: Bearer $T1" "$u/api/x"
	done >"$WORK/old.codes"
) &
OLD=$!
fetched=$(wc -l <"$WORK/keys.log")
t0=$(date +%s)
for _ in $(seq 30); do
	curl -s -o /dev/null --max-time 10 -H "Authorization: Bearer $T2" "$u/api/x"
done
# at most one fetch per SG_JWKS_KICK_MS (5 s) however many tokens miss
bound=$((($(date +%s) - t0) / 5 + 2))
check "30 tokens of an unknown kid asked for at most one fetch per 5 s" \
	"$(($(wc -l <"$WORK/keys.log") - fetched <= bound))" 1
until_code 200 "$T2" api/x
check "after the rotation the new kid passes" "$H_CODE" "200"
hcall -H "Authorization: Bearer $T1" "$u/api/x"
check "and the withdrawn kid is refused" "$H_CODE $H_BODY" \
	"401 authentication failure: token uses the unknown key \"k1\""
wait "$OLD"
check "the old token got 200 or 401 during the rotation, nothing else" \
	"$(sort -u "$WORK/old.codes" | grep -cv '^200$\|^401$')" 0
busy_client_check
stop_gateway

check_refuses "a JWKS URL that is not http(s)" "jwtAuth: {issuer: i, jwks: {url: ftp://x/jwks}}" \
	"6:42: binds[0].listeners[0].routes[0].policies.jwtAuth.jwks.url: expected an http:// or https:// URL, got \"ftp://x/jwks\""
finish
