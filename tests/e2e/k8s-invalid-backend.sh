# Reference problems accept the resource instead of refusing the file (Kubernetes dialect): a backendRef to a missing Service or port, or of an unknown kind, gets ResolvedRefs False (BackendNotFound, InvalidKind) and 500 "no valid backends" for its share of the weight (about half with 1:1 next to a valid one); a parentRef to a missing listener leaves that route unattached (Accepted False, NoMatchingParent) while the Gateway and the rest of the file apply; apply and check print the warnings and exit 0; a malformed file still changes nothing (HTTPRouteInvalidBackendRefUnknownKind, HTTPRouteWeight, HTTPRouteInvalidParentRefSectionNameNotMatchingPort).
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
cat >"$WORK/base.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: e2e}
spec: {clusterIP: 127.0.0.1, ports: [{name: http, port: $B}]}
YAML
cat >"$WORK/app.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: e2e}
spec:
  gatewayClassName: splicegate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: routes, namespace: e2e}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /missing-svc}}]
    backendRefs: [{name: nosuch, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /missing-port}}]
    backendRefs: [{name: echo, port: 1}]
  - matches: [{path: {type: PathPrefix, value: /bad-kind}}]
    backendRefs: [{group: example.com, kind: Backend, name: echo, port: $B}]
  - matches: [{path: {type: PathPrefix, value: /weighted}}]
    backendRefs: [{name: nosuch, port: 80, weight: 1}, {name: echo, port: $B, weight: 1}]
  - matches: [{path: {type: PathPrefix, value: /good}}]
    backendRefs: [{name: echo, port: $B}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: lost, namespace: e2e}
spec:
  parentRefs: [{name: gw, sectionName: http, port: 8081}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /lost}}]
    backendRefs: [{name: echo, port: $B}]
YAML

# cond ROUTE TYPE: "status reason" of the route's first parent's condition.
cond() {
	"$SG_BIN" get httproute "$1" -n e2e -o json |
		jq -r --arg t "$2" '.status.parents[0].conditions[] | select(.type == $t) | "\(.status) \(.reason)"'
}

"$SG_BIN" check -c "$WORK/base.yaml" -c "$WORK/app.yaml" >"$WORK/check.out" 2>&1
check "check: references do not reject the file (exit 0)" "$?" 0
check "check: one warning per problem" "$(grep -c ': warning: ' "$WORK/check.out")" 5
grep -q 'app.yaml:15:.*Service e2e/nosuch is not defined (BackendNotFound)' "$WORK/check.out" &&
	pass "check: the warning names file:line, the Service and the reason" ||
	fail "check said: $(cat "$WORK/check.out")"

# No listener yet: the Gateway comes with the applied file.
wait_ports_free 15000 8080 && start_gateway --splice copy -c "$WORK/base.yaml" ||
	{ fail "gateway did not start"; finish; }
"$SG_BIN" apply -f "$WORK/app.yaml" >"$WORK/apply.out" 2>"$WORK/apply.err"
check "apply: exit 0" "$?" 0
wait_port 8080 5 || fail "the applied Gateway does not listen on :8080"
check "apply: every resource created (stdout)" "$(cat "$WORK/apply.out")" \
	"gateway.gateway.networking.k8s.io/gw created
httproute.gateway.networking.k8s.io/routes created
httproute.gateway.networking.k8s.io/lost created"
check "apply: the warnings on stderr" "$(grep -c 'warning: ' "$WORK/apply.err")" 5
grep -q 'HTTPRoute e2e/lost: spec.parentRefs\[0\]: not attached (NoMatchingParent): Gateway e2e/gw: listener "http" is not on port 8081' "$WORK/apply.err" &&
	pass "apply: the sectionName/port warning names the real cause" ||
	fail "apply said: $(cat "$WORK/apply.err")"

hcall http://127.0.0.1:8080/missing-svc
expect "missing Service -> 500" 500 "no valid backends"
hcall http://127.0.0.1:8080/missing-port
expect "missing Service port -> 500" 500 "no valid backends"
hcall http://127.0.0.1:8080/bad-kind
expect "unknown backendRef kind -> 500" 500 "no valid backends"
hcall http://127.0.0.1:8080/good
expect "a valid rule of the same route -> 200" 200 '{*'
hcall http://127.0.0.1:8080/lost
expect "route whose parent listener does not match -> not attached (404)" 404 "route not found"
check "get: routes ResolvedRefs False BackendNotFound (the first problem)" \
	"$(cond routes ResolvedRefs)" "False BackendNotFound"
check "get: routes Accepted True" "$(cond routes Accepted)" "True Accepted"
check "get: lost Accepted False NoMatchingParent" "$(cond lost Accepted)" \
	"False NoMatchingParent"
check "get gateway: created from the same file, Programmed" \
	"$("$SG_BIN" get gateway -n e2e | no_age)" "NAME   CLASS        ADDRESS   PROGRAMMED
gw     splicegate             True"

# half_fail PATH WHAT: 200 requests to PATH (one curl, one connection),
# split 1:1 with a backend that cannot serve: only 200s and 500s, and about
# half 500s.
half_fail() {
	local bad other
	rm -rf "$WORK/half" && mkdir "$WORK/half"
	curl -s -o "$WORK/half/#1" -w '%{http_code}\n' --max-time 60 \
		"http://127.0.0.1:8080$1?n=[1-200]" >"$WORK/half.codes"
	bad=$(grep -c '^500$' "$WORK/half.codes")
	other=$(grep -vc '^200$\|^500$' "$WORK/half.codes")
	check "weighted 1:1 with $2: 200 answers, only 200 and 500" \
		"$(wc -l <"$WORK/half.codes") $other" "200 0"
	[ $bad -ge 60 ] && [ $bad -le 140 ] && pass "weighted 1:1 with $2: $bad of 200 got 500" ||
		fail "weighted 1:1 with $2: $bad of 200 got 500 (want 60..140)"
}
half_fail /weighted "an invalid backendRef"

# Listeners a host gateway cannot serve do not refuse their Gateway: a
# UDP listener (UnsupportedProtocol) and a TCP one on the HTTP port
# (ProtocolConflict) serve nothing and say why; the Gateway's other
# listener serves.
TP=$(free_port)
"$SG_BIN" apply -f- >"$WORK/bad-l.out" 2>"$WORK/bad-l.err" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: extra, namespace: e2e}
spec:
  gatewayClassName: splicegate
  listeners:
  - {name: dns, port: 5353, protocol: UDP}
  - {name: raw, port: 8080, protocol: TCP}
  - {name: tcp, port: $TP, protocol: TCP}
YAML
check "apply of a Gateway with listeners it cannot serve: exit 0" "$?" 0
check "apply: a warning for each" "$(grep -c 'serves nothing' "$WORK/bad-l.err")" 2
lconds() {
	"$SG_BIN" get gateway extra -n e2e -o json | jq -r --arg l "$1" \
		'[.status.listeners[] | select(.name == $l) | .conditions[] | "\(.type)=\(.status)/\(.reason)"] | join(" ")'
}
check "listener dns: UnsupportedProtocol" "$(lconds dns)" \
	"Accepted=False/UnsupportedProtocol Conflicted=False/NoConflicts Programmed=False/Invalid ResolvedRefs=True/ResolvedRefs"
check "listener raw: ProtocolConflict" "$(lconds raw)" \
	"Accepted=True/Accepted Conflicted=True/ProtocolConflict Programmed=False/Invalid ResolvedRefs=True/ResolvedRefs"
check "the Gateway: Accepted with ListenersNotValid, Programmed" \
	"$("$SG_BIN" get gateway extra -n e2e -o json | jq -r '[.status.conditions[] | "\(.type)=\(.status)/\(.reason)"] | join(" ")')" \
	"Accepted=True/ListenersNotValid Programmed=True/Programmed"
wait_port "$TP" 5 && pass "its TCP listener on its own port opened" || fail "port $TP did not open"
hcall http://127.0.0.1:8080/good
expect "the HTTP port still serves HTTP" 200 '{*'
"$SG_BIN" delete gateway extra -n e2e >/dev/null
"$SG_BIN" apply -f- >/dev/null 2>&1 <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: only-bad, namespace: e2e}
spec:
  gatewayClassName: splicegate
  listeners: [{name: invalid, port: 1111, protocol: INVALID}]
YAML
check "a Gateway whose only listener is unsupported: Accepted False ListenersNotValid" \
	"$("$SG_BIN" get gateway only-bad -n e2e -o json | jq -r '[.status.conditions[] | "\(.type)=\(.status)/\(.reason)"] | join(" ")')" \
	"Accepted=False/ListenersNotValid Programmed=False/Invalid"
"$SG_BIN" delete gateway only-bad -n e2e >/dev/null

# Several -f, and a directory, as kubectl takes them: each file applied.
mkdir -p "$WORK/many"
for r in multi-a multi-b; do
	cat >"$WORK/many/$r.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $r, namespace: e2e}
spec:
  parentRefs: [{name: gw}]
  rules: [{matches: [{path: {type: PathPrefix, value: /$r}}], backendRefs: [{name: echo, port: $B}]}]
YAML
done
check "apply -f A -f B: both created" \
	"$("$SG_BIN" apply -f "$WORK/many/multi-a.yaml" -f "$WORK/many/multi-b.yaml" 2>&1)" \
	"httproute.gateway.networking.k8s.io/multi-a created
httproute.gateway.networking.k8s.io/multi-b created"
hcall http://127.0.0.1:8080/multi-b
expect "the second file's route serves" 200 '{*'
check "delete -f DIR: each file's resources deleted" "$("$SG_BIN" delete -f "$WORK/many" 2>&1)" \
	"httproute.gateway.networking.k8s.io/multi-a deleted
httproute.gateway.networking.k8s.io/multi-b deleted"
"$SG_BIN" apply -f "$WORK/many" >/dev/null 2>&1
check "delete KIND NAME NAME: both deleted" \
	"$("$SG_BIN" delete httproute multi-a multi-b -n e2e 2>&1)" \
	"httproute.gateway.networking.k8s.io/multi-a deleted
httproute.gateway.networking.k8s.io/multi-b deleted"
"$SG_BIN" apply -f "$WORK/many" >/dev/null 2>&1
out=$("$SG_BIN" delete httproute nosuch -n e2e 2>&1)
check "delete of a resource that does not exist: exit 1" "$?" 1
grep -q 'Error from server (NotFound): httproute.gateway.networking.k8s.io "nosuch" not found' <<<"$out" &&
	pass "... with kubectl's NotFound line" || fail "delete nosuch said: $out"
out=$("$SG_BIN" delete httproute nosuch -n e2e --ignore-not-found 2>&1)
check "delete --ignore-not-found of it: exit 0, nothing said" "$? '$out'" "0 ''"
check "delete KIND/NAME KIND/NAME: both deleted" \
	"$("$SG_BIN" delete httproute/multi-a httproutes/multi-b -n e2e 2>&1)" \
	"httproute.gateway.networking.k8s.io/multi-a deleted
httproute.gateway.networking.k8s.io/multi-b deleted"

# apply -n NS as kubectl: a resource that names no namespace goes in NS,
# one that names another is refused and nothing changes.
cat >"$WORK/nons.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: nons}
spec:
  parentRefs: [{name: gw, namespace: e2e}]
  rules: [{matches: [{path: {type: PathPrefix, value: /nons}}], backendRefs: [{name: echo, port: $B}]}]
YAML
check "apply -n e2e: the route without a namespace is e2e's" \
	"$("$SG_BIN" apply -n e2e -f "$WORK/nons.yaml" 2>&1)" "httproute.gateway.networking.k8s.io/nons created"
check "get -n e2e finds it" "$("$SG_BIN" get httproute nons -n e2e -o json | jq -r .metadata.namespace)" e2e
hcall http://127.0.0.1:8080/nons
expect "its backend in the same namespace serves (no grant needed)" 200 '{*'
out=$("$SG_BIN" apply -n other -f "$WORK/many/multi-a.yaml" 2>&1)
check "apply -n other of a resource in e2e: refused (exit 1)" "$?" 1
grep -q 'does not match the namespace "other"' <<<"$out" && pass "... with kubectl's reason" ||
	fail "apply -n other said: $out"
"$SG_BIN" delete -n e2e -f "$WORK/nons.yaml" >/dev/null || fail "delete -n e2e"
out=$("$SG_BIN" apply -n Bad_NS -f "$WORK/nons.yaml" 2>&1)
check "apply -n Bad_NS: refused (exit 1)" "$?" 1
check "... saying what a namespace is" "$out" \
	'--namespace: expected a lowercase RFC 1123 label (a-z, 0-9 and '"'-'"', a letter or digit at each end, at most 63 characters), got "Bad_NS"'
hcall http://127.0.0.1:8080/nons
expect "... and the route is not there" 404 '*'
# The value reaches the gateway as written: not cut at '&' into "e2e",
# nor dropped (for "default") when long.
"$SG_BIN" apply -n 'e2e&x=1' -f "$WORK/nons.yaml" >/dev/null 2>&1
check "apply -n 'e2e&x=1': refused (exit 1)" "$?" 1
"$SG_BIN" apply -n "$(printf 'a%.0s' {1..300})" -f "$WORK/nons.yaml" >/dev/null 2>&1
check "apply -n (300 characters): refused (exit 1)" "$?" 1
hcall http://127.0.0.1:8080/nons
expect "... and the route is in neither namespace" 404 '*'

# A Service whose only endpoint is not ready keeps its share too: its
# half gets 500, the other backend's traffic does not double.
"$SG_BIN" apply -f- >/dev/null 2>&1 <<YAML
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: e2e}
spec: {clusterIP: None, ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: empty-1, namespace: e2e, labels: {kubernetes.io/service-name: empty}}
addressType: IPv4
endpoints: [{addresses: [127.0.0.1], conditions: {ready: false}}]
ports: [{name: http, port: $B}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: split-empty, namespace: e2e}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /split-empty}}]
    backendRefs: [{name: empty, port: 80, weight: 1}, {name: echo, port: $B, weight: 1}]
YAML
half_fail /split-empty "a Service without ready endpoints"

# InvalidKind alone on a route of its own.
"$SG_BIN" apply -f- >/dev/null 2>&1 <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: kind, namespace: e2e}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{kind: ConfigMap, name: echo, port: $B}]}]
YAML
check "get: unknown kind -> ResolvedRefs False InvalidKind" "$(cond kind ResolvedRefs)" \
	"False InvalidKind"

# get -o yaml: the condition and reason as kubectl prints them.
"$SG_BIN" get httproute lost -n e2e -o yaml >"$WORK/lost.yaml"
grep -A3 -- '- type: Accepted' "$WORK/lost.yaml" | tr -d ' ' | head -3 | tr '\n' ' ' >"$WORK/lost.cond"
check "get -o yaml: Accepted False NoMatchingParent" "$(cat "$WORK/lost.cond")" \
	'-type:Accepted status:"False" reason:NoMatchingParent '

# An AgentgatewayPolicy whose target does not exist: accepted, no effect,
# and get says why.
"$SG_BIN" apply -f- >/dev/null 2>"$WORK/policy.err" <<YAML
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: p, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: nowhere}]
  traffic: {timeouts: {request: 1s}}
YAML
check "policy for a missing route: get says Accepted False TargetNotFound" \
	"$("$SG_BIN" get agentgatewaypolicy -n e2e | no_age)" "NAME   ACCEPTED   REASON
p      False      TargetNotFound"
grep -q 'HTTPRoute e2e/nowhere is not defined' "$WORK/policy.err" &&
	pass "policy for a missing route: apply warns" || fail "policy apply said: $(cat "$WORK/policy.err")"

# A malformed body still changes nothing.
before=$(curl -s http://127.0.0.1:15000/config_dump)
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: nosuch, namespace: e2e}\nspec: {ports: [{port: 80}], bogus: 1}\n' |
	"$SG_BIN" apply -f- >"$WORK/bad.out" 2>&1
check "unknown field: apply exits 1" "$?" 1
grep -q '^apply#[0-9]*:4:.*bogus' "$WORK/bad.out" && pass "unknown field: error with file:line:col" ||
	fail "unknown field said: $(cat "$WORK/bad.out")"
check "unknown field: config unchanged" "$(curl -s http://127.0.0.1:15000/config_dump)" "$before"
stop_gateway
san_check
finish
