# agentgateway's top-level policies: by each target form beyond gateway, listener and route (issue 68): a ListenerSet of the Kubernetes resources loaded beside the file reaches its listeners' requests, one of its listeners (section) beats it, the Gateway's own listener gets neither; an a2a policy aimed at a route's backend by agentgateway's name for it ("<route key>/backend0", namespace ""), at a route, or given in the backend's own policies makes that route's agent card GETs A2A; a request header modifier aimed at a backend by name reaches that backend alone, a response header modifier aimed at a Service its route's responses (sgbackend's JSON is no card: 503 "processing failed: agent card missing URL ..."), a route without stays 200; config_dump prints the targets as agentgateway does; a gateway target by port, an a2a on some backends of a route only, a backend name that names nothing and a backend policy aimed at a ListenerSet are check errors.
. "$(dirname "$0")/lib.sh"

start_backend a
A=$BACKEND_PORT
start_backend b
B=$BACKEND_PORT
P1=$(free_port)
P2=$(free_port)
NOCARD="processing failed: agent card missing URL (no 'url' or 'supportedInterfaces' field)"

cat >"$WORK/config.yaml" <<YAML
binds:
- port: $P1
  listeners:
  - name: main
    routes:
    - name: named
      matches: [{path: {pathPrefix: /named}}]
      backends: [{host: 127.0.0.1:$A}]
    - name: aimed
      matches: [{path: {pathPrefix: /aimed}}]
      backends: [{host: 127.0.0.1:$A}]
    - name: own
      matches: [{path: {pathPrefix: /own}}]
      backends: [{host: 127.0.0.1:$A, policies: {a2a: {}}}]
    - name: plain
      backends: [{host: 127.0.0.1:$A}]
policies:
- name: {name: by-name, namespace: default}
  target: {backend: {backend: {name: bind/$P1/main/named/backend0, namespace: ""}}}
  policy: {a2a: {}}
- name: {name: headers, namespace: default}
  target: {backend: {backend: {name: bind/$P1/main/named/backend0, namespace: ""}}}
  policy: {requestHeaderModifier: {set: {x-aimed: backend}}}
- name: {name: svc-headers, namespace: default}
  target: {backend: {service: {hostname: svc.ns.svc.cluster.local, namespace: ns}}}
  policy: {responseHeaderModifier: {set: {x-svc: aimed}}}
- name: {name: on-route, namespace: default}
  target: {route: {name: aimed, namespace: default}}
  policy: {a2a: {}}
- name: {name: set, namespace: default}
  target: {listenerSet: {name: ls, namespace: ns}}
  policy: {requestHeaderModifier: {set: {x-pol: listenerset}}}
- name: {name: set-two, namespace: default}
  target: {listenerSet: {name: ls, namespace: ns, section: two}}
  policy: {requestHeaderModifier: {set: {x-pol: listenerset-two}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: agentgateway
  allowedListeners: {namespaces: {from: Same}}
  listeners:
  - {name: http, port: $P2, protocol: HTTP, hostname: gw.example}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: ls, namespace: ns}
spec:
  parentRef: {name: gw}
  listeners:
  - {name: one, port: $P2, protocol: HTTP, hostname: one.example}
  - {name: two, port: $P2, protocol: HTTP, hostname: two.example}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs:
  - {name: gw}
  - {kind: ListenerSet, group: gateway.networking.k8s.io, name: ls}
  rules: [{backendRefs: [{name: svc, port: $B}]}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: ns}
spec: {clusterIP: 127.0.0.1, ports: [{name: http, port: $B}]}
YAML

out=$("$SG_BIN" check -c "$WORK/config.yaml" 2>&1)
check "check accepts listenerSet and backend targets, and a2a on a backend" "$out" "configuration ok"
start_gateway -c "$WORK/config.yaml" || finish

for path in named aimed own; do
	hcall "http://127.0.0.1:$P1/$path/.well-known/agent-card.json"
	expect "a2a reaches route $path's backend: the card is read, and is none" 503 "$NOCARD"
done
hcall "http://127.0.0.1:$P1/plain/.well-known/agent-card.json"
expect "a route a2a does not reach: the backend's answer as it came" 200 '*"pod": "a"*'
hcall "http://127.0.0.1:$P1/named/x"
expect "an a2a route's other GETs are not cards" 200 '*"pod": "a"*'
check "a request header modifier aimed at the backend by name reaches it" \
	"$(echo_header x-aimed)" "backend"
hcall "http://127.0.0.1:$P1/plain"
check "and no other backend" "$(echo_header x-aimed)" ""

hcall -H "host: one.example" "http://127.0.0.1:$P2/"
expect "a ListenerSet's listener" 200 '*"pod": "b"*'
check "a policy aimed at the ListenerSet reaches its listener" "$(echo_header x-pol)" "listenerset"
hcall -H "host: two.example" "http://127.0.0.1:$P2/"
check "one aimed at its listener by section beats it" "$(echo_header x-pol)" "listenerset-two"
check "a response header modifier aimed at the route's Service" "$(resp_header x-svc)" "aimed"
hcall -H "host: gw.example" "http://127.0.0.1:$P2/"
expect "the Gateway's own listener" 200 '*"pod": "b"*'
check "the ListenerSet's policies do not reach the Gateway's own listener" "$(echo_header x-pol)" ""

dump=$(curl -s http://127.0.0.1:15000/config_dump)
json_equal "config_dump: a backend target and its a2a policy" \
	"$(jq -c '.policies[] | select(.key == "default/by-name") | {target, policy}' <<<"$dump")" \
	'{"target":{"backend":{"backend":{"name":"bind/'"$P1"'/main/named/backend0","namespace":""}}},"policy":{"backend":{"a2a":{}}}}'
json_equal "config_dump: a header modifier aimed at a backend is a backend policy" \
	"$(jq -c '.policies[] | select(.key == "default/headers") | .policy' <<<"$dump")" \
	'{"backend":{"requestHeaderModifier":{"set":{"x-aimed":"backend"}}}}'
json_equal "config_dump: a listenerSet target" \
	"$(jq -c '.policies[] | select(.key == "default/set-two") | .target' <<<"$dump")" \
	'{"listenerSet":{"name":"ls","namespace":"ns","section":"two"}}'
check "config_dump: a backend's own a2a" \
	"$(jq -c '.binds[].listeners[].routes[] | select(.name == "own") | .backends[0].inlinePolicies' <<<"$dump")" \
	'[{"a2a":{}}]'
stop_gateway

# refused: each a check error naming its key.
refused() {
	local what=$1 want=$2
	"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
	check "$what: exit 1" "$?" 1
	check "$what: the message" "$(head -1 "$WORK/err")" "$want"
}
cat >"$WORK/bad.yaml" <<YAML
binds: [{port: $P1, listeners: [{routes: [{backends: [{host: 127.0.0.1:$A}]}]}]}]
policies:
- name: {name: p, namespace: default}
  target: {gateway: {gatewayName: default, gatewayNamespace: default, port: $P1}}
  policy: {timeout: {requestTimeout: 1s}}
YAML
refused "a gateway target by port" \
	"$WORK/bad.yaml:4:77: policies[0].target.gateway.port: not supported (agentgateway applies a gateway target's port to frontendPolicies only, and a top-level policy is a traffic or backend policy: it would reach nothing; name the listener with listenerName)"
cat >"$WORK/bad.yaml" <<YAML
binds:
- port: $P1
  listeners:
  - routes: [{backends: [{host: 127.0.0.1:$A, policies: {a2a: {}}}, {host: 127.0.0.1:$B}]}]
YAML
refused "a2a on some backends of a route" \
	"$WORK/bad.yaml:4:26: a2a: not supported on some of route bind/$P1/listener0/route0's backends only (splicegate treats a route's requests as A2A or not before a backend is drawn): give it to every backend of the route, or to the route"
cat >"$WORK/bad.yaml" <<YAML
binds: [{port: $P1, listeners: [{routes: [{backends: [{host: 127.0.0.1:$A}]}]}]}]
policies:
- name: {name: p, namespace: default}
  target: {backend: {backend: {name: bind/$P1/listener0/route0/backend1, namespace: ""}}}
  policy: {a2a: {}}
YAML
refused "a backend name that names nothing" \
	"$WORK/bad.yaml:4:38: policies[0].target.backend.backend.name: policy default/p names nothing: no backend named \"bind/$P1/listener0/route0/backend1\" in namespace \"\" (a route's host or dynamic backend is \"<route key>/backend<index>\", namespace \"\", as config_dump's backends list them)"
cat >"$WORK/bad.yaml" <<YAML
binds: [{port: $P1, listeners: [{routes: [{backends: [{host: 127.0.0.1:$A}]}]}]}]
policies:
- name: {name: p, namespace: default}
  target: {listenerSet: {name: ls, namespace: ns}}
  policy: {backendTLS: {insecure: true}}
YAML
refused "a backend policy aimed at a ListenerSet" \
	"$WORK/bad.yaml:4:11: policies[0].target: not supported (agentgateway applies no backend policy aimed at a ListenerSet: aim it at the Gateway, its listener, a route or a backend)"
finish
