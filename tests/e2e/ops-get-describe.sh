# `splicegate get` and `describe` as kubectl prints them, against a running
# gateway: several kinds at once (one table a kind, names as
# kind.group/name), the AGE column, -o wide (a Gateway's listeners and
# attached routes, a route's parents), -o name, -o json indented by two
# spaces (a List for several kinds), and `describe KIND NAME` with each
# condition's observedGeneration and lastTransitionTime. An unknown kind in
# the list, a missing name and an unknown -o are refused with kubectl's
# words.
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
cat >"$WORK/k8s.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: e2e}
spec:
  gatewayClassName: splicegate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
$(service_yaml echo "$B")
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: e2e, creationTimestamp: "2001-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: [a.example]
  rules:
  - backendRefs: [{name: echo, port: $B}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: broken, namespace: e2e}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{name: nosvc, port: 80}]
YAML
start_engine copy -c "$WORK/k8s.yaml" || finish

# ages: every AGE value (the last column) of seconds read as "Ns".
ages() {
	sed -E 's/  [0-9]+s$/  Ns/'
}

check "get gateway,httproute: one table a kind, kind.group/name, AGE" \
	"$("$SG_BIN" get gateway,httproute -n e2e | ages)" \
	"NAME                                   CLASS        ADDRESS   PROGRAMMED   AGE
gateway.gateway.networking.k8s.io/gw   splicegate             True         Ns

NAME                                         HOSTNAMES       ACCEPTED   RESOLVEDREFS   REASON            AGE
httproute.gateway.networking.k8s.io/r        [\"a.example\"]   True       True                             Ns
httproute.gateway.networking.k8s.io/broken                   True       False          BackendNotFound   Ns"

check "get -o wide: a route's parents, a Gateway's listeners and attached routes" \
	"$("$SG_BIN" get httproute,gtw -n e2e -o wide | sed -E 's/  [0-9]+s  /  Ns  /')" \
	"NAME                                         HOSTNAMES       ACCEPTED   RESOLVEDREFS   REASON            AGE   PARENTS
httproute.gateway.networking.k8s.io/r        [\"a.example\"]   True       True                             Ns    gw
httproute.gateway.networking.k8s.io/broken                   True       False          BackendNotFound   Ns    gw

NAME                                   CLASS        ADDRESS   PROGRAMMED   AGE   LISTENERS   ATTACHED
gateway.gateway.networking.k8s.io/gw   splicegate             True         Ns    1           2"

check "get -o name: kind.group/name, the core group's kind/name" \
	"$("$SG_BIN" get gateway,httproute,svc -n e2e -o name)" \
	"gateway.gateway.networking.k8s.io/gw
httproute.gateway.networking.k8s.io/r
httproute.gateway.networking.k8s.io/broken
service/echo"

json=$("$SG_BIN" get httproute r -n e2e -o json)
check "get -o json: two-space indents" "$(sed -n 2,4p <<<"$json")" \
	'  "apiVersion": "gateway.networking.k8s.io/v1",
  "kind": "HTTPRoute",
  "metadata": {'
created=$(jq -r .metadata.creationTimestamp <<<"$json")
[[ $created =~ ^20[2-9][0-9]-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ && $created != 2001-* ]] &&
	pass "creationTimestamp is when the gateway took the resource ($created), not the file's" ||
	fail "creationTimestamp '$created'"
check "get -o json of two kinds: one List of their items" \
	"$("$SG_BIN" get gateway,httproute -n e2e -o json | jq -c '[.kind, [.items[] | .kind + "/" + .metadata.name]]')" \
	'["List",["Gateway/gw","HTTPRoute/r","HTTPRoute/broken"]]'

check "describe httproute r: metadata, spec, status with each condition's generation and time" \
	"$("$SG_BIN" describe httproute r -n e2e | sed "s/$created/T/; s/Port:  $B\$/Port:  B/")" \
	"Name:         r
Namespace:    e2e
API Version:  gateway.networking.k8s.io/v1
Kind:         HTTPRoute
Metadata:
  Name:                r
  Namespace:           e2e
  Generation:          1
  Creation Timestamp:  T
Spec:
  Parent Refs:
    Name:  gw
  Hostnames:
    a.example
  Rules:
    Backend Refs:
      Name:  echo
      Port:  B
Status:
  Parents:
    Parent Ref:
      Group:      gateway.networking.k8s.io
      Kind:       Gateway
      Namespace:  e2e
      Name:       gw
    Controller Name:  splicegate.dev/gateway-controller
    Conditions:
      Type:                  Accepted
      Status:                True
      Reason:                Accepted
      Message:               attached
      Observed Generation:   1
      Last Transition Time:  T
      Type:                  ResolvedRefs
      Status:                True
      Reason:                ResolvedRefs
      Message:               resolved
      Observed Generation:   1
      Last Transition Time:  T
Events:       <none>"

"$SG_BIN" describe gateway gw -n e2e >"$WORK/gw.txt"
grep -q '^      Type:                  Programmed$' "$WORK/gw.txt" &&
	grep -q '^    Attached Routes:  2$' "$WORK/gw.txt" &&
	pass "describe gateway: its listeners' conditions and attached routes" ||
	fail "describe gateway: $(head -40 "$WORK/gw.txt")"

"$SG_BIN" describe httproute gone -n e2e >"$WORK/out" 2>"$WORK/err"
check "describe of a missing resource: NotFound, exit 1" "$? $(cat "$WORK/out" "$WORK/err")" \
	'1 Error from server (NotFound): httproutes "gone" not found'
"$SG_BIN" get gateway,widgets -n e2e >"$WORK/out" 2>"$WORK/err"
check "get with an unknown kind in the list: refused, nothing printed, exit 1" \
	"$? $(cat "$WORK/out" "$WORK/err")" \
	"1 error: the server doesn't have a resource type \"widgets\""
"$SG_BIN" get gateway -n e2e -o jsonpath >"$WORK/out" 2>"$WORK/err"
check "get -o jsonpath: kubectl's refusal, exit 1" "$? $(cat "$WORK/err")" \
	"1 error: unable to match a printer suitable for the output format \"jsonpath\", allowed formats are: json,name,wide,yaml"
"$SG_BIN" get gateway,httproute -n nowhere >"$WORK/out" 2>"$WORK/err"
check "several kinds, none there: one 'No resources found', exit 0" "$? $(cat "$WORK/out" "$WORK/err")" \
	"0 No resources found in nowhere namespace."
finish
