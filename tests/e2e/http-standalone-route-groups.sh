# agentgateway's routeGroups: (issue 68): a route whose backend is `routeGroup: NAME` hands the request to the best matching route of that group, which may delegate again (two levels here); the chain's policies merge as agentgateway merges them (the parent's reach the child, the child's own or a policy aimed at it win; a group route's local rate limit counts); a request no route of the group matches gets 404 "route not found"; a route mixing a group and a host backend sends each its share; config_dump lists the groups under routes.routeGroups and the delegating backend as {"routeGroup": NAME}; a cycle of groups and an unknown group are check errors.
. "$(dirname "$0")/lib.sh"

start_backend a
A=$BACKEND_PORT
start_backend b
B=$BACKEND_PORT
P=$(free_port)

cat >"$WORK/config.yaml" <<YAML
binds:
- port: $P
  listeners:
  - name: main
    routes:
    - name: top
      matches: [{path: {pathPrefix: /api}}]
      policies:
        requestHeaderModifier: {set: {x-chain: top}}
        responseHeaderModifier: {set: {x-pol: top}}
      backends: [{routeGroup: api}]
    - name: half
      matches: [{path: {pathPrefix: /half}}]
      backends: [{routeGroup: api, weight: 1}, {host: 127.0.0.1:$B, weight: 1}]
routeGroups:
- name: api
  routes:
  - name: v1
    matches: [{path: {pathPrefix: /api/v1}}]
    backends: [{routeGroup: v1}]
  - name: plain
    matches: [{path: {pathPrefix: /api/plain}}, {path: {pathPrefix: /half}}]
    policies: {responseHeaderModifier: {set: {x-pol: plain}}}
    backends: [{host: 127.0.0.1:$A}]
- name: v1
  routes:
  - name: users
    matches: [{path: {pathPrefix: /api/v1/users}}]
    backends: [{host: 127.0.0.1:$B}]
  - name: exact
    matches: [{path: {exact: /api/v1/users/me}}]
    policies: {localRateLimit: [{maxTokens: 2, tokensPerFill: 1, fillInterval: 1h}]}
    backends: [{host: 127.0.0.1:$A}]
policies:
- name: {name: users, namespace: default}
  target: {route: {name: users, namespace: default}}
  policy: {responseHeaderModifier: {set: {x-pol: aimed-at-users}}}
YAML

out=$("$SG_BIN" check -c "$WORK/config.yaml" 2>&1)
check "check accepts routeGroups: and routeGroup backends" "$out" "configuration ok"
start_gateway -c "$WORK/config.yaml" || finish

hcall "http://127.0.0.1:$P/api/v1/users/7"
expect "two levels of delegation reach the second group's route" 200 '*"pod": "b"*'
check "the top route's request policy reaches the last route of the chain" \
	"$(echo_header x-chain)" "top"
check "a policy aimed at the last route beats the top route's own" "$(resp_header x-pol)" \
	"aimed-at-users"
hcall --http2-prior-knowledge "http://127.0.0.1:$P/api/v1/users/7"
expect "HTTP/2 alike" 200 '*"pod": "b"*'
check "HTTP/2: the chain's policies" "$(echo_header x-chain) $(resp_header x-pol)" \
	"top aimed-at-users"
hcall "http://127.0.0.1:$P/api/v1/users/me"
expect "within a group, an exact match beats a prefix" 200 '*"pod": "a"*'
check "the top route's response policy reaches a route without one" "$(resp_header x-pol)" "top"
hcall "http://127.0.0.1:$P/api/v1/users/me"
expect "a group route's rate limit: its second token" 200 '*"pod": "a"*'
hcall "http://127.0.0.1:$P/api/v1/users/me"
expect "a group route's rate limit: no token left" 429 "rate limit exceeded"
hcall "http://127.0.0.1:$P/api/plain"
expect "one level of delegation" 200 '*"pod": "a"*'
check "the group route's own policy beats its parent's" "$(resp_header x-pol)" "plain"
check "and its parent's other policy still reaches the backend" "$(echo_header x-chain)" "top"
hcall "http://127.0.0.1:$P/api/other"
expect "no route of the group matches: 404" 404 "route not found"
hcall "http://127.0.0.1:$P/api/v1/other"
expect "no route of the second group matches: 404" 404 "route not found"
hcall "http://127.0.0.1:$P/nowhere"
expect "no listener route matches: 404" 404 "route not found"

seen=""
for _ in $(seq 40); do
	hcall "http://127.0.0.1:$P/half"
	[ "$H_CODE" = 200 ] || fail "half: status $H_CODE"
	case $H_BODY in *'"pod": "a"'*) seen="$seen a" ;; *'"pod": "b"'*) seen="$seen b" ;; esac
done
check "a route with a group and a host backend sends each its share" \
	"$(tr ' ' '\n' <<<"$seen" | sort -u | tr -d '\n')" "ab"

dump=$(curl -s http://127.0.0.1:15000/config_dump)
check "config_dump: the delegating backend" \
	"$(jq -c '.binds[].listeners[].routes[] | select(.name == "top") | .backends' <<<"$dump")" \
	'[{"weight":1,"routeGroup":"api"}]'
check "config_dump: the groups and their routes' keys" \
	"$(jq -c '.routes.routeGroups | to_entries | map([.key, (.value | keys)])' <<<"$dump")" \
	'[["api",["routegroup/api/default/plain","routegroup/api/default/v1"]],["v1",["routegroup/v1/default/exact","routegroup/v1/default/users"]]]'
json_equal "config_dump: a group's route" \
	"$(jq -c '.routes.routeGroups.api["routegroup/api/default/plain"]' <<<"$dump")" \
	'{"key":"routegroup/api/default/plain","name":"plain","namespace":"default","matches":[{"path":{"pathPrefix":"/api/plain"}},{"path":{"pathPrefix":"/half"}}],"backends":[{"weight":1,"host":"127.0.0.1:'"$A"'"}],"inlinePolicies":[{"responseHeaderModifier":{"set":{"x-pol":"plain"}}}]}'
check "config_dump: the mesh route sets are empty" \
	"$(jq -c '[.routes.httpMesh, .routes.tcpMesh]' <<<"$dump")" '[{},{}]'
check "config_dump: a group route's host backend is listed" \
	"$(jq -c '[.backends[] | select(.host.name == "routegroup/v1/default/users/backend0") | .host.target]' <<<"$dump")" \
	"[\"127.0.0.1:$B\"]"
stop_gateway

# A cycle, and a group nobody defined: check names them and exits 1.
cat >"$WORK/cycle.yaml" <<YAML
binds:
- port: $P
  listeners:
  - routes: [{backends: [{routeGroup: a}]}]
routeGroups:
- name: a
  routes: [{backends: [{routeGroup: b}]}]
- name: b
  routes: [{matches: [{path: {pathPrefix: /b}}], backends: [{routeGroup: a}]}]
YAML
"$SG_BIN" check -c "$WORK/cycle.yaml" >/dev/null 2>"$WORK/err"
check "a cycle of route groups: exit 1" "$?" 1
check "a cycle of route groups: the message" "$(cat "$WORK/err")" \
	"$WORK/cycle.yaml:6:3: routeGroups: route group \"a\" delegates back to itself (a -> b -> a): a routeGroup chain must end in a backend
1 error: configuration invalid"
sed -i '9s/routeGroup: a}/routeGroup: nope}/' "$WORK/cycle.yaml"
"$SG_BIN" check -c "$WORK/cycle.yaml" >/dev/null 2>"$WORK/err"
check "an unknown route group: the message" "$(cat "$WORK/err")" \
	"$WORK/cycle.yaml:9:74: routeGroups[1].routes[0].backends[0].routeGroup: no route group \"nope\" in routeGroups:
1 error: configuration invalid"
finish
