# The access log's CEL context beyond the request (agentgateway's
# schema/cel.md, as its examples' accessLog fields read it): basicAuth
# (jwt and apiKey come the same way, from the request's authentication),
# proxy (bind, gateway, listener, route), backend (name, type,
# protocol; traffic-a2a logs the whole map), request.version, over HTTP/1
# and h2c, in the JSON format; env and request times are refused by name.
. "$(dirname "$0")/lib.sh"

start_backend ctx
openssl passwd -apr1 secret | sed 's/^/ann:/' >"$WORK/htpasswd"
cat >"$WORK/cfg.yaml" <<YAML
config:
  logging:
    format: json
frontendPolicies:
  accessLog:
    add:
      user: basicAuth.username
      backend: backend
      b.name: backend.name
      version: request.version
      where: 'proxy.bind + " " + proxy.gateway.name + " " + proxy.listener.name + " " + proxy.route.name + " " + proxy.route.kind'
    remove: [src.addr, duration, duration_ms, bytes_out, engine, endpoint, http.host, attempts,
             gateway, listener, route, protocol, bytes_in, http.method]
binds:
- port: 8080
  listeners:
  - name: web
    routes:
    - name: app
      policies:
        basicAuth: {htpasswd: {file: $WORK/htpasswd}, mode: strict}
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi
curl -s -o /dev/null -u ann:secret http://127.0.0.1:8080/one
curl -s -o /dev/null --http2-prior-knowledge -u ann:secret http://127.0.0.1:8080/two
sleep 0.5
be="127.0.0.1:$BACKEND_PORT"
got=$(grep '"http.path":"/one"' "$WORK/gateway.log" | jq -c 'del(.time, .level)')
json_equal "HTTP/1: basicAuth, backend, request.version and proxy on the line" "$got" \
	"{\"http.path\":\"/one\",\"http.version\":\"HTTP/1.1\",\"http.status\":200,\"user\":\"ann\",\"backend\":{\"name\":\"$be\",\"type\":\"static\",\"protocol\":\"http\"},\"b.name\":\"$be\",\"version\":\"HTTP/1.1\",\"where\":\"bind/8080 default web app HTTPRoute\"}"
got=$(grep '"http.path":"/two"' "$WORK/gateway.log" | jq -c '.version')
check "h2c: request.version" "$got" '"HTTP/2"'

sed 's|version: request.version|version: env.podName|' "$WORK/cfg.yaml" >"$WORK/bad.yaml"
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "env is refused by check: exit 1" "$?" 1
check "the refusal names the field" "$(grep -c 'accessLog.add.version: an access log expression can read' "$WORK/err")" 1
finish
