# agentgateway's current standalone form (issue 68): named gateways: (one listener, or listeners named GATEWAY/NAME), top-level routes: and tcpRoutes: attached by gateways: (a route without it goes to the gateway named default), beside binds:. Requests reach the backend their route names (traffic-http's documented curl: /match?param=hello with x-header: test-0), per listener hostname; a TCP gateway pipes connections; config_dump keys listeners "gateway/REFERENCE" as agentgateway does; a wrong reference, a route of the wrong kind, a port taken twice and the keys splicegate lacks are refused by check with exit 1 and the message. A gateway's own policies (apiKey, authorization) run before a route is chosen.
. "$(dirname "$0")/lib.sh"

start_backend a
A=$BACKEND_PORT
start_backend b
B=$BACKEND_PORT
P1=$(free_port)
P2=$(free_port)
P3=$(free_port)
P4=$(free_port)

cat >"$WORK/config.yaml" <<YAML
binds:
- port: $P4
  listeners:
  - routes:
    - policies: {directResponse: {body: "from binds", status: 200}}
gateways:
  default:
    port: $P1
  multi:
    port: $P2
    listeners:
    - name: a
      hostname: a.example.test
    - hostname: b.example.test
  raw:
    port: $P3
    protocol: TCP
routes:
- name: direct
  matches: [{path: {pathPrefix: /direct}}]
  policies: {directResponse: {body: "hello!", status: 200}}
- name: match-example
  matches:
  - path: {pathPrefix: /match}
    method: GET
    query: [{name: param, value: {exact: hello}}]
    headers: [{name: x-header, value: {regex: "test-[0-9]"}}]
  backends: [{host: 127.0.0.1:$A}]
- name: only-a
  gateways: multi/a
  namespace: team
  backends: [{host: 127.0.0.1:$A}]
- name: both
  gateways: [multi, multi/a]  # multi/a twice: the route is on it once
  matches: [{path: {pathPrefix: /both}}]
  backends: [{host: 127.0.0.1:$B}]
tcpRoutes:
- name: pipe
  gateways: raw
  backends: [{host: 127.0.0.1:$B}]
YAML

out=$("$SG_BIN" check -c "$WORK/config.yaml" 2>&1)
check "check accepts gateways:, routes:, tcpRoutes: beside binds:" "$out" "configuration ok"

start_gateway -c "$WORK/config.yaml" || finish
wait_port "$P3" || fail "TCP gateway port $P3 not listening"

hcall "http://127.0.0.1:$P1/match?param=hello" -H 'x-header: test-0'
expect "traffic-http's curl: /match?param=hello with x-header: test-0 reaches backend a" 200 '*"pod": "a"*'
hcall "http://127.0.0.1:$P1/match?param=hello"
expect "without the header no route matches" 404 "route not found"
hcall "http://127.0.0.1:$P1/direct"
expect "a route without gateways: is on the gateway named default" 200 "hello!"
hcall "http://127.0.0.1:$P2/" -H 'Host: a.example.test'
expect "multi/a takes only-a" 200 '*"pod": "a"*'
hcall "http://127.0.0.1:$P2/both" -H 'Host: a.example.test'
expect "gateways: [multi, multi/a] attaches to multi/a" 200 '*"pod": "b"*'
hcall "http://127.0.0.1:$P2/both" -H 'Host: b.example.test'
expect "gateways: [multi, multi/a] attaches to multi/listener1" 200 '*"pod": "b"*'
hcall "http://127.0.0.1:$P2/" -H 'Host: b.example.test'
expect "only-a is not on multi/listener1" 404 "route not found"
hcall "http://127.0.0.1:$P3/through-tcp"
expect "the TCP gateway pipes to backend b" 200 '*"pod": "b"*'
hcall "http://127.0.0.1:$P4/"
expect "binds: serve beside gateways:" 200 "from binds"

dump=$(curl -s http://127.0.0.1:15000/config_dump)
check "config_dump: listeners keyed gateway/REFERENCE, in file order" \
	"$(jq -c '[.binds[] | .listeners | keys_unsorted[]]' <<<"$dump")" \
	'["bind/'"$P4"'/listener0","gateway/default","gateway/multi/a","gateway/multi/listener1","gateway/raw"]'
check "config_dump: a route's key, name and namespace; a listener named twice has the route once" \
	"$(jq -c '[.binds[].listeners["gateway/multi/a"] | select(.) | .routes[] | [.key, .name, .namespace]]' <<<"$dump")" \
	'[["gateway/multi/a/only-a","only-a","team"],["gateway/multi/a/both","both","default"]]'
check "config_dump: the route named by two references is on multi/a once (its key and key field)" \
	"$(grep -o '"gateway/multi/a/both"' <<<"$dump" | wc -l)" 2
check "config_dump: the TCP gateway's route" \
	"$(jq -c '[.binds[].listeners["gateway/raw"] | select(.) | .tcpRoutes | keys[]]' <<<"$dump")" \
	'["gateway/raw/pipe"]'
stop_gateway

# refused NAME YAML WANT: check exits 1 with exactly WANT (after the file
# name) and the count line.
refused() {
	printf '%s\n' "$2" >"$WORK/bad.yaml"
	"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
	local rc=$?
	check "$1: exit 1" "$rc" 1
	check "$1: message" "$(cat "$WORK/err")" "$WORK/bad.yaml:$3"$'\n'"1 error: configuration invalid"
}

refused "an unknown gateway reference" "gateways: {web: {port: $P1}}
routes:
- gateways: [nope]
  backends: [{host: 127.0.0.1:$A}]" \
	'3:13: routes[0].gateways: unknown gateway reference "nope"'
refused "an HTTP route on a TCP gateway" "gateways: {raw: {port: $P1, protocol: TCP}}
routes:
- gateways: raw
  backends: [{host: 127.0.0.1:$A}]" \
	'3:13: routes[0].gateways: gateway reference "raw" has no HTTP or HTTPS listeners'
refused "a route with no gateway to go to" "gateways: {web: {port: $P1}}
routes:
- backends: [{host: 127.0.0.1:$A}]" \
	'3:3: routes[0]: a route needs gateways: (there is no gateway named default with HTTP or HTTPS listeners to attach it to)'
refused "a port taken by binds and a gateway" "binds: [{port: $P1, listeners: [{routes: []}]}]
gateways: {web: {port: $P1}}" \
	"2:24: gateways.web.port: port $P1 is configured twice (by binds or another gateway); each gateway takes a port of its own"
refused "protocol on a gateway with listeners" "gateways: {web: {port: $P1, protocol: HTTP, listeners: [{name: x}]}}" \
	'1:17: gateways.web: a gateway with listeners sets protocol and tls on each listener, not on the gateway'
refused "transformations on a gateway" "gateways: {web: {port: $P1, transformations: {request: {set: {a: '\"b\"'}}}}}" \
	"1:48: gateways.web.transformations: not supported in a listener's policies (splicegate runs it after the route is chosen): put it in each route's policies"
refused "ruleName" "gateways: {default: {port: $P1}}
routes:
- ruleName: r1
  backends: [{host: 127.0.0.1:$A}]" \
	'3:13: routes[0].ruleName: not supported (a route here is one rule; name it with name)'
refused "a route naming a top-level backend" "gateways: {default: {port: $P1}}
backends: [{name: x, host: 127.0.0.1:$A}]
routes:
- backends: [{backend: x}]" \
	'4:24: routes[0].backends[0].backend: not supported (a route does not name a top-level backends: entry yet (they serve frontendPolicies.tracing): write the backend inline as host: "address:port")'

# A gateway's own policies (agentgateway's LocalGatewayPolicy, flattened
# into its map) are its listeners' gateway phase, as a bind listener's
# `policies`: before a route is chosen; keyed gateway/<reference>/<index>.
cat >"$WORK/pol.yaml" <<YAML
gateways:
  web:
    port: $P1
    apiKey: {mode: strict, keys: [{key: k-1}]}
  multi:
    port: $P2
    listeners:
    - name: a
      authorization: {rules: ['request.headers["x-pre"] == "yes"']}
routes:
- gateways: [web, multi]
  matches: [{path: {pathPrefix: /app}}]
  backends: [{host: 127.0.0.1:$A}]
YAML
start_engine auto -p "$P1" -p "$P2" -c "$WORK/pol.yaml" || finish
hcall "http://127.0.0.1:$P1/nothere"
check "a gateway's apiKey: 401 where no route matches" "$H_CODE" 401
hcall -H "Authorization: Bearer k-1" "http://127.0.0.1:$P1/app/x"
check "... and the route with the key: 200" "$H_CODE" 200
hcall "http://127.0.0.1:$P2/app/x"
check "a gateway listener's authorization: 403" "$H_CODE" 403
hcall -H "x-pre: yes" "http://127.0.0.1:$P2/app/x"
check "... 200 when it holds" "$H_CODE" 200
check "config_dump: keyed gateway/<reference>/<index>, phase gateway" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -c '[.policies[] | select(.key | startswith("gateway/")) | [.key, .policy.traffic.phase, .target.gateway.listenerName]] | sort')" \
	'[["gateway/multi/a/0","gateway","multi/a"],["gateway/web/0","gateway","web"]]'
stop_gateway
finish
