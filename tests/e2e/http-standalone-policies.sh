# agentgateway's standalone top-level policies: (issue 68): a policy aimed at the gateway reaches every route, one aimed at a listener only that listener's routes, one aimed at a route beats both, and a route's own inline policy beats all (response header x-pol says whose ran); a targeted request header modifier reaches the backend, a targeted local rate limit answers 429 "rate limit exceeded" after its tokens; services: and workloads: give a `service:` backend its endpoints (both workloads serve, each on its own port); config_dump lists the policies as agentgateway does (key ns/name, name kind Local) and the service and workloads; a target that names nothing is a check error naming it.
. "$(dirname "$0")/lib.sh"

start_backend a
A=$BACKEND_PORT
start_backend b
B=$BACKEND_PORT
P1=$(free_port)
P2=$(free_port)

cat >"$WORK/config.yaml" <<YAML
services:
- name: echo
  namespace: default
  hostname: echo.example
  vips: [/10.0.0.1]
  ports: {80: $A}
workloads:
- {uid: pod-a, name: pod-a, namespace: default, workloadIps: [127.0.0.1],
   services: {default/echo.example: {}}}
- {uid: pod-b, name: pod-b, namespace: default, workloadIps: [127.0.0.1],
   services: {default/echo.example: {80: $B}}}
binds:
- port: $P1
  listeners:
  - name: main
    routes:
    - name: api
      matches: [{path: {pathPrefix: /api}}]
      backends: [{host: 127.0.0.1:$A}]
    - name: own
      matches: [{path: {pathPrefix: /own}}]
      policies: {responseHeaderModifier: {set: {x-pol: inline}}}
      backends: [{host: 127.0.0.1:$A}]
    - name: svc
      matches: [{path: {pathPrefix: /svc}}]
      backends: [{service: {name: default/echo.example, port: 80}}]
    - name: limited
      matches: [{path: {pathPrefix: /limited}}]
      backends: [{host: 127.0.0.1:$A}]
- port: $P2
  listeners:
  - name: side
    routes:
    - name: side
      backends: [{host: 127.0.0.1:$B}]
policies:
- name: {name: everywhere, namespace: default}
  target: {gateway: {gatewayName: default, gatewayNamespace: default}}
  policy: {responseHeaderModifier: {set: {x-pol: gateway}}}
- name: {name: main-only, namespace: default}
  target: {gateway: {gatewayName: default, gatewayNamespace: default, listenerName: main}}
  policy: {requestHeaderModifier: {set: {x-from-policy: main}}}
- name: {name: api, namespace: team}
  target: {route: {name: api, namespace: default}}
  policy: {responseHeaderModifier: {set: {x-pol: route}}}
- name: {name: two, namespace: default}
  target: {route: {name: limited, namespace: default}}
  policy: {localRateLimit: [{maxTokens: 2, tokensPerFill: 1, fillInterval: 1h}]}
YAML

out=$("$SG_BIN" check -c "$WORK/config.yaml" 2>&1)
check "check accepts policies:, services: and workloads:" "$out" "configuration ok"
start_gateway -c "$WORK/config.yaml" || finish

hcall "http://127.0.0.1:$P1/api"
expect "a route's policy" 200 '*"pod": "a"*'
check "the route's policy beats the gateway's" "$(resp_header x-pol)" "route"
check "the listener's request header modifier reaches the backend" "$(echo_header x-from-policy)" "main"
hcall "http://127.0.0.1:$P1/own"
check "a route's own inline policy beats every targeted one" "$(resp_header x-pol)" "inline"
hcall "http://127.0.0.1:$P2/"
expect "the other listener's route" 200 '*"pod": "b"*'
check "the gateway's policy reaches the other listener" "$(resp_header x-pol)" "gateway"
check "the listener's policy does not" "$(echo_header x-from-policy)" ""

seen=""
for _ in $(seq 20); do
	hcall "http://127.0.0.1:$P1/svc"
	[ "$H_CODE" = 200 ] || fail "service backend: status $H_CODE"
	case $H_BODY in *'"pod": "a"'*) seen="$seen a" ;; *'"pod": "b"'*) seen="$seen b" ;; esac
done
check "the service's two workloads both serve (each on its port)" \
	"$(tr ' ' '\n' <<<"$seen" | sort -u | tr -d '\n')" "ab"
check "the gateway's policy reaches the service route" "$(resp_header x-pol)" "gateway"

hcall "http://127.0.0.1:$P1/limited"
expect "targeted rate limit: first token" 200 '*"pod": "a"*'
hcall "http://127.0.0.1:$P1/limited"
expect "targeted rate limit: second token" 200 '*"pod": "a"*'
hcall "http://127.0.0.1:$P1/limited"
expect "targeted rate limit: no token left" 429 "rate limit exceeded"
hcall "http://127.0.0.1:$P1/api"
expect "the other routes are not limited" 200 '*"pod": "a"*'

dump=$(curl -s http://127.0.0.1:15000/config_dump)
check "config_dump: the policies' keys and names" \
	"$(jq -c '[.policies[] | select(.name.kind == "Local") | [.key, .name.name, .name.namespace]]' <<<"$dump")" \
	'[["default/everywhere","everywhere","default"],["default/main-only","main-only","default"],["default/two","two","default"],["team/api","api","team"]]'
json_equal "config_dump: a route target and its traffic policy" \
	"$(jq -c '.policies[] | select(.key == "team/api") | {target, policy}' <<<"$dump")" \
	'{"target":{"route":{"name":"api","namespace":"default"}},"policy":{"traffic":{"phase":"route","responseHeaderModifier":{"set":{"x-pol":"route"}}}}}'
check "config_dump: the service" \
	"$(jq -c '[.services[] | [.name, .hostname, .vips, .ports]]' <<<"$dump")" \
	'[["echo","echo.example",["/10.0.0.1"],{"80":'"$A"'}]]'
check "config_dump: the workloads" \
	"$(jq -c '[.workloads[] | [.uid, .services]]' <<<"$dump")" \
	'[["pod-a",{"default/echo.example":{}}],["pod-b",{"default/echo.example":{"80":'"$B"'}}]]'
check "config_dump: the service backend" \
	"$(jq -c '.binds[].listeners[].routes[] | select(.name == "svc") | .backends' <<<"$dump")" \
	'[{"weight":1,"service":{"name":"default/echo.example","port":80}}]'
stop_gateway

# A target that names nothing: check says which key and exits 1.
cat >"$WORK/bad.yaml" <<YAML
binds:
- port: $P1
  listeners:
  - routes: [{name: r, backends: [{host: 127.0.0.1:$A}]}]
policies:
- name: {name: p, namespace: default}
  target: {route: {name: nope, namespace: default}}
  policy: {timeout: {requestTimeout: 1s}}
YAML
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "a target that names nothing: exit 1" "$?" 1
check "a target that names nothing: the message" "$(cat "$WORK/err")" \
	"$WORK/bad.yaml:7:26: policies[0].target.route.name: policy default/p names nothing: no route default/nope in this config
1 error: configuration invalid"
finish
