# backendAuth jwtSign (agentgateway's examples/traffic-jwt-sign): each request reaches the backend with a new JWT the gateway signed, in Authorization: Bearer by default (beside the example's x-demo-authorization-token-type header) or where location says (a query parameter); the token's header is {"typ":"JWT","alg":"ES256","kid":"demo-key-1"}, its claims the configured ones with iat 10 s back and exp ttl ahead, and its signature verifies with the key's public half (ES256 and RS256, a key from a file); config_dump shows the policy without the key; a key of another type than alg's is a check error.
. "$(dirname "$0")/lib.sh"

start_backend v1
V1=$BACKEND_PORT
P=$(free_port)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ec.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/rsa.pem" 2>/dev/null

cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: $P
  listeners:
  - protocol: HTTP
    routes:
    - name: jwt-sign
      matches: [{path: {pathPrefix: /es}}]
      policies:
        backendAuth:
          jwtSign:
            signingKey: {file: $WORK/ec.pem}
            alg: ES256
            kid: demo-key-1
            claims:
              iss: MYACCOUNT.MYUSER.SHA256:public-key-fingerprint
              sub: MYACCOUNT.MYUSER
              aud: http://127.0.0.1:8080
            ttl: 300s
        requestHeaderModifier:
          set:
            x-demo-authorization-token-type: KEYPAIR_JWT
      backends: [{host: 127.0.0.1:$V1}]
    - name: rsa
      matches: [{path: {pathPrefix: /rs}}]
      policies:
        backendAuth:
          jwtSign:
            signingKey: {file: $WORK/rsa.pem}
            claims: {sub: s, n: 7, ok: true}
            location: {queryParameter: {name: token}}
      backends: [{host: 127.0.0.1:$V1}]
YAML

out=$("$SG_BIN" check -c "$WORK/cfg.yaml" 2>&1)
check "check accepts jwtSign" "$out" "configuration ok"
start_gateway -c "$WORK/cfg.yaml" || finish

# verify TOKEN PEM: the token's header and claims (JSON, one line each;
# iat and exp made relative to now) if its signature verifies, else BAD.
verify() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import base64, json, sys, time
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

def b64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

tok, pem = sys.argv[1], open(sys.argv[2], "rb").read()
h, p, s = tok.split(".")
key = serialization.load_pem_private_key(pem, None).public_key()
sig, data = b64(s), (h + "." + p).encode()
try:
    if isinstance(key, ec.EllipticCurvePublicKey):
        half = len(sig) // 2
        der = utils.encode_dss_signature(int.from_bytes(sig[:half], "big"), int.from_bytes(sig[half:], "big"))
        key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    else:
        key.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
except Exception:
    print("BAD")
    sys.exit(0)
claims = json.loads(b64(p))
now = int(time.time())
claims["iat"] = "now-10" if abs(claims["iat"] - (now - 10)) <= 2 else claims["iat"]
claims["exp"] = "iat+310" if claims["exp"] - (now - 10) in range(308, 313) else claims["exp"]
print(b64(h).decode())
print(json.dumps(claims, separators=(",", ":")))
PY
}

hcall "http://127.0.0.1:$P/es"
expect "the ES256 route" 200 '*"pod": "v1"*'
auth=$(echo_header authorization)
check "the token goes as Authorization: Bearer" "${auth%% *}" "Bearer"
check "ES256: header, claims (iat 10 s back, exp ttl after now), signature" \
	"$(verify "${auth#Bearer }" "$WORK/ec.pem")" \
	'{"typ":"JWT","alg":"ES256","kid":"demo-key-1"}
{"aud":"http://127.0.0.1:8080","iss":"MYACCOUNT.MYUSER.SHA256:public-key-fingerprint","sub":"MYACCOUNT.MYUSER","iat":"now-10","exp":"iat+310"}'
check "the example's companion header" "$(echo_header x-demo-authorization-token-type)" "KEYPAIR_JWT"
first=$auth
sleep 1.1
hcall "http://127.0.0.1:$P/es"
check "a new token for each request" "$([ "$(echo_header authorization)" != "$first" ] && echo new)" "new"

hcall "http://127.0.0.1:$P/rs?a=1"
expect "the RS256 route" 200 '*"pod": "v1"*'
tok=$(jq -r '.path' <<<"$H_BODY" | sed -n 's/.*[?&]token=\([^&]*\).*/\1/p')
check "RS256 (the default) in the query parameter: header, claims as JSON values, signature" \
	"$(verify "$tok" "$WORK/rsa.pem")" \
	'{"typ":"JWT","alg":"RS256"}
{"n":7,"ok":true,"sub":"s","iat":"now-10","exp":"iat+310"}'
check "no Authorization for a query location" "$(echo_header authorization)" ""

dump=$(curl -s http://127.0.0.1:15000/config_dump)
json_equal "config_dump: jwtSign without its key" \
	"$(jq -c '.binds[].listeners[].routes[] | select(.name == "jwt-sign") | .inlinePolicies[] | select(.backendAuth) | .backendAuth' <<<"$dump")" \
	'{"jwtSign":{"alg":"ES256","kid":"demo-key-1","claims":{"aud":"http://127.0.0.1:8080","iss":"MYACCOUNT.MYUSER.SHA256:public-key-fingerprint","sub":"MYACCOUNT.MYUSER"},"ttl":"5m0s"}}'
stop_gateway

sed 's/alg: ES256/alg: ES384/' "$WORK/cfg.yaml" >"$WORK/bad.yaml"
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "a P-256 key for ES384: exit 1" "$?" 1
check "a P-256 key for ES384: the message" "$(sed "s|$WORK/bad.yaml:[0-9]*:[0-9]*: ||" "$WORK/err")" \
	"jwtSign.signingKey: alg ES384 signs with an EC key on P-384
1 error: configuration invalid"
finish
