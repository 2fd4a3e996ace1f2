# CORS origins are compared as RFC 6454 origins (issue 63): scheme, host
# and port with the default ports (http://a.example:80 in the config is a
# browser's http://a.example, https://b.example is https://b.example:443),
# and "https://*.wild.example" matches whole labels only: an Origin of
# https://x.evil/.wild.example (or with ? or # for /) gets no CORS lines
# and no Allow-Credentials, over HTTP/1 and HTTP/2. An allowOrigins entry
# that is not an origin is refused by check in both dialects.
. "$(dirname "$0")/lib.sh"

start_backend echo
ECHO=$BACKEND_PORT
u=http://127.0.0.1:8080/cors

cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: cors
      matches: [{path: {pathPrefix: /cors}}]
      policies:
        cors:
          allowOrigins: ["https://*.wild.example", "http://a.example:80", "https://b.example"]
          allowCredentials: true
          allowMethods: [GET]
      backends: [{host: 127.0.0.1:$ECHO}]
YAML
start_gateway -c "$WORK/cfg.yaml" || finish

# cors ORIGIN: the last answer's Allow-Origin and Allow-Credentials, "|".
cors() {
	hcall "${@:2}" -H "Origin: $1" "$u"
	echo "$H_CODE|$(resp_header access-control-allow-origin)|$(resp_header access-control-allow-credentials)"
}
for proto in --http1.1 --http2-prior-knowledge; do
	for o in 'https://x.evil/.wild.example' 'https://x.evil?.wild.example' \
		'https://x.evil#.wild.example' 'https://evilwild.example' 'http://x.wild.example'; do
		check "$proto: $o is not under *.wild.example" "$(cors "$o" "$proto")" "200||"
	done
	check "$proto: one label under *.wild.example" \
		"$(cors https://x.wild.example "$proto")" "200|https://x.wild.example|true"
	check "$proto: two labels under *.wild.example" \
		"$(cors https://a.b.wild.example "$proto")" "200|https://a.b.wild.example|true"
	check "$proto: http://a.example:80 allows http://a.example" \
		"$(cors http://a.example "$proto")" "200|http://a.example|true"
	check "$proto: https://b.example allows https://b.example:443" \
		"$(cors https://b.example:443 "$proto")" "200|https://b.example:443|true"
	check "$proto: but not https://b.example:8443" "$(cors https://b.example:8443 "$proto")" "200||"
done
hcall -X OPTIONS -H 'Origin: https://x.evil/.wild.example' \
	-H 'Access-Control-Request-Method: GET' "$u"
check "a preflight from a non-origin gets no CORS lines" \
	"$(resp_header access-control-allow-origin)|$(resp_header access-control-allow-credentials)" "|"
stop_gateway

# refused NAME ENTRY: a config with allowOrigins [ENTRY] fails check (exit
# 1, the entry's location and what is expected), in both dialects.
refused() {
	sed "s|\"https://b.example\"|\"$2\"|" "$WORK/cfg.yaml" >"$WORK/bad.yaml"
	"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
	check "standalone: $1 refused (exit status)" "$?" 1
	check "standalone: $1 refused (says where and what)" \
		"$(grep -c "bad.yaml:11:[0-9]*: .*allowOrigins\[2\]: expected \"\*\" or an origin" "$WORK/err")" 1
}
refused "a path" "https://b.example/"
refused "a partial wildcard" "https://*b.example"
refused "a port wildcard" "https://b.example:*"
refused "no scheme" "b.example"

gateway_yaml >"$WORK/k8s.yaml"
service_yaml echo "$ECHO" >>"$WORK/k8s.yaml"
cat >>"$WORK/k8s.yaml" <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cors, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - filters:
    - type: CORS
      cors: {allowOrigins: ["https://x.example/path"]}
    backendRefs: [{name: echo, port: $ECHO}]
YAML
"$SG_BIN" check -c "$WORK/k8s.yaml" >/dev/null 2>"$WORK/err"
check "Kubernetes: an HTTPRoute CORS origin with a path is refused (exit status)" "$?" 1
check "Kubernetes: and says why" "$(grep -c 'allowOrigins\[0\]: expected "\*" or an origin' "$WORK/err")" 1
san_check
finish
