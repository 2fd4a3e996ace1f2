# Generations, as a Kubernetes client reads them: `splicegate get` shows metadata.generation 1 for a new resource, the same after an apply that changes nothing and one more after each apply that changes its spec (a resource deleted and applied again starts at 1; another resource's change leaves it alone); every condition carries observedGeneration (the generation it was made from) and lastTransitionTime, which stays while the condition's status stays (a new match, a new reason) and moves when it changes (Accepted True -> False); `get -o yaml` prints them; a reload of the files records them too.
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
cat >"$WORK/base.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: e2e}
spec:
  gatewayClassName: splicegate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
YAML
start_engine copy -c "$WORK/base.yaml" || finish

# route PATH PARENT: HTTPRoute r matching PATH, attached to Gateway PARENT.
route() {
	cat <<YAML
$(service_yaml echo "$B")
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: e2e, generation: 42}
spec:
  parentRefs: [{name: $2}]
  rules:
  - matches: [{path: {type: PathPrefix, value: $1}}]
    backendRefs: [{name: echo, port: $B}]
YAML
}
# gen: "generation observedGeneration(Accepted) status(Accepted) lastTransitionTime(Accepted)"
gen() {
	"$SG_BIN" get httproute r -n e2e -o json | jq -r '.items[0] // . |
		(.status.parents[0].conditions[] | select(.type == "Accepted")) as $a |
		"\(.metadata.generation) \($a.observedGeneration) \($a.status) \($a.lastTransitionTime)"'
}
rfc3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'

route /a gw | "$SG_BIN" apply -f- >/dev/null || fail "apply 1"
read -r g o st t1 <<<"$(gen)"
check "a new HTTPRoute: generation 1 (the applied 42 is not kept), Accepted observedGeneration 1" \
	"$g $o $st" "1 1 True"
[[ $t1 =~ $rfc3339 ]] && pass "lastTransitionTime is RFC 3339 UTC ($t1)" || fail "lastTransitionTime '$t1'"

sleep 1.2 # the times have seconds: let a moved time be a different one
route /a gw | "$SG_BIN" apply -f- >/dev/null
check "the same spec applied again: generation 1, time kept" "$(gen)" "1 1 True $t1"
route /b gw | "$SG_BIN" apply -f- >/dev/null
check "a changed spec: generation 2, observedGeneration 2, Accepted still True: time kept" \
	"$(gen)" "2 2 True $t1"
route /b nogw | "$SG_BIN" apply -f- 2>/dev/null >/dev/null
read -r g o st t2 <<<"$(gen)"
check "a parentRef to no Gateway: generation 3, Accepted False observedGeneration 3" \
	"$g $o $st" "3 3 False"
[[ $t2 =~ $rfc3339 && $t2 > $t1 ]] && pass "Accepted changed: lastTransitionTime moved ($t1 -> $t2)" ||
	fail "lastTransitionTime '$t2' after '$t1'"

gw=$("$SG_BIN" get gateway gw -n e2e -o json)
check "the Gateway, its spec unchanged: generation 1, its conditions observedGeneration 1" \
	"$(jq -r '[.metadata.generation, (.status.conditions[].observedGeneration), (.status.listeners[].conditions[].observedGeneration)] | unique | join(",")' <<<"$gw")" \
	1
check "every Gateway and listener condition has a lastTransitionTime" \
	"$(jq -r '[.status.conditions[], .status.listeners[].conditions[] | .lastTransitionTime | test("'"${rfc3339//\\/\\\\}"'")] | all' <<<"$gw")" \
	true

"$SG_BIN" get httproute r -n e2e -o yaml >"$WORK/r.yaml"
grep -q '^  generation: 3$' "$WORK/r.yaml" && grep -q 'observedGeneration: 3$' "$WORK/r.yaml" &&
	grep -q "lastTransitionTime: \"*$t2\"*\$" "$WORK/r.yaml" &&
	pass "get -o yaml prints generation, observedGeneration and lastTransitionTime" ||
	fail "get -o yaml: $(grep -E 'generation|Generation|lastTransition' "$WORK/r.yaml" | tr '\n' '|')"

"$SG_BIN" delete httproute r -n e2e >/dev/null
route /b gw | "$SG_BIN" apply -f- >/dev/null
check "deleted and applied again: generation 1" "$(gen | cut -d' ' -f1-3)" "1 1 True"

# A reload of the files goes through the same record.
sed -i 's/protocol: HTTP}/protocol: HTTP, hostname: "*.example"}/' "$WORK/base.yaml"
kill -HUP "$GW_PID"
for _ in $(seq 50); do
	[ "$("$SG_BIN" get gateway gw -n e2e -o json | jq -r .metadata.generation)" = 2 ] && break
	sleep 0.1
done
check "the Gateway's file changed and reloaded: generation 2" \
	"$("$SG_BIN" get gateway gw -n e2e -o json | jq -r '"\(.metadata.generation) \(.status.conditions[0].observedGeneration)"')" \
	"2 2"
stop_gateway
finish
