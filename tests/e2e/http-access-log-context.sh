# The access log's CEL context beyond the request (agentgateway's
# schema/cel.md, as its examples' accessLog fields read it): basicAuth
# (jwt and apiKey come the same way, from the request's authentication),
# proxy (bind, gateway, listener, route), backend (name, type,
# protocol; traffic-a2a logs the whole map), request.version, request.uri,
# source.port, source.rawAddress and rawPort (the TCP peer),
# destination.address and port, env (POD_NAME, NAMESPACE, GATEWAY; an unset one absent) and
# the request's times, over HTTP/1 and h2c, in the JSON format; an
# LLM-only variable is refused by name, saying why (the bodies and the
# response's headers: tests/e2e/http-access-log-headers-body.sh).
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
      uri: request.uri
      port: source.port
      raw: 'source.rawAddress + ":" + string(source.rawPort)'
      dst: 'destination.address + ":" + string(destination.port)'
      pod: env.podName
      ns: env.namespace
      gw: 'default(env.gateway, "none")'
      times: 'request.startTime <= request.endTime && request.endTime - request.startTime < duration("60s") && request.startTime > timestamp("2026-01-01T00:00:00Z")'
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
export POD_NAME=pod-7 NAMESPACE=ns-7
unset GATEWAY
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi
unset POD_NAME NAMESPACE
port=$(free_port)
curl -s -o /dev/null -u ann:secret --local-port "$port" "http://127.0.0.1:8080/one?x=1"
curl -s -o /dev/null --http2-prior-knowledge -u ann:secret http://127.0.0.1:8080/two
sleep 0.5
be="127.0.0.1:$BACKEND_PORT"
got=$(grep '"http.path":"/one?x=1"' "$WORK/gateway.log" | jq -c 'del(.time, .level)')
json_equal "HTTP/1: basicAuth, backend, request.version, proxy, uri, port, env, times on the line" "$got" \
	"{\"http.path\":\"/one?x=1\",\"http.version\":\"HTTP/1.1\",\"http.status\":200,\"user\":\"ann\",\"backend\":{\"name\":\"$be\",\"type\":\"static\",\"protocol\":\"http\"},\"b.name\":\"$be\",\"version\":\"HTTP/1.1\",\"where\":\"bind/8080 default web app HTTPRoute\",\"uri\":\"http://127.0.0.1:8080/one?x=1\",\"port\":$port,\"raw\":\"127.0.0.1:$port\",\"dst\":\"127.0.0.1:8080\",\"pod\":\"pod-7\",\"ns\":\"ns-7\",\"gw\":\"none\",\"times\":true}"
got=$(grep '"http.path":"/two"' "$WORK/gateway.log" | jq -c '[.version, .uri, .port > 1023, .times]')
check "h2c: request.version, uri, source.port, times" "$got" '["HTTP/2","http://127.0.0.1:8080/two",true,true]'

sed 's|version: request.version|version: llm.requestModel|' "$WORK/cfg.yaml" >"$WORK/bad.yaml"
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "an LLM-only variable is refused by check: exit 1" "$?" 1
check "the refusal names the field and says why" "$(grep -c "accessLog.add.version: column 1 of the expression: the variable 'llm' is only set for LLM traffic" "$WORK/err")" 1
finish
