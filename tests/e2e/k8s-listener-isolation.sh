# Listener isolation: with listeners *.example.com, *.foo.example.com and bar.foo.example.com on one port, a request goes to the most specific listener whose hostname matches its Host (exact over wildcard, longer wildcard over shorter, whatever their order) and is matched only against that listener's routes: a path another listener's route would take gets 404 (Gateway API GatewayHTTPListenerIsolation). Indistinct listeners (the same port and hostname, here a second Gateway's bar.foo.example.com applied at run time: one Gateway may not hold two, as its CRD's CEL rule says) are both Conflicted (HostnameConflict) and Programmed False, neither takes its route (Accepted False) nor requests (its host falls to the next listener that matches, *.foo.example.com), each Gateway is Accepted with ListenersNotValid; removing the duplicate restores the exact listener.
. "$(dirname "$0")/lib.sh"

start_backend one
ONE=$BACKEND_PORT
start_backend two
TWO=$BACKEND_PORT
route() { # NAME SECTION PATH PORT [GATEWAY]
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $1, namespace: e2e}
spec:
  parentRefs: [{name: ${5:-gw}, sectionName: $2}]
  rules:
  - matches: [{path: {type: PathPrefix, value: $3}}]
    backendRefs: [{name: s$4, port: $4}]
YAML
}
{
	cat <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: e2e}
spec:
  gatewayClassName: splicegate
  listeners:
  - {name: wild, port: 8080, protocol: HTTP, hostname: "*.example.com"}
  - {name: foowild, port: 8080, protocol: HTTP, hostname: "*.foo.example.com"}
  - {name: exact, port: 8080, protocol: HTTP, hostname: bar.foo.example.com}
YAML
	service_yaml "s$ONE" "$ONE"
	service_yaml "s$TWO" "$TWO"
	route r-wild wild / "$ONE"
	route r-foo foowild /foo "$TWO"
	route r-exact exact /exact "$ONE"
} >"$WORK/gw.yaml"

# at HOST PATH: "status backend" ("-" when no backend answered).
at() {
	local out
	out=$(curl -s -D - -o /dev/null --max-time 5 -H "Host: $1" "http://127.0.0.1:8080$2" | tr -d '\r')
	echo "$(awk 'NR == 1 { print $2 }' <<<"$out") $(awk -F': ' 'tolower($1) == "x-backend" { b = $2 } END { print b ? b : "-" }' <<<"$out")"
}

start_engine copy -c "$WORK/gw.yaml" || { fail "gateway did not start"; finish; }
check "a.example.com / -> *.example.com's route" "$(at a.example.com /)" "200 one"
check "baz.foo.example.com /foo -> *.foo.example.com's route, not the shorter wildcard's" \
	"$(at baz.foo.example.com /foo)" "200 two"
check "baz.foo.example.com / -> 404: *.example.com's / route is not its listener's" \
	"$(at baz.foo.example.com /)" "404 -"
check "bar.foo.example.com /exact -> the exact listener's route" \
	"$(at bar.foo.example.com /exact)" "200 one"
check "bar.foo.example.com /foo -> 404: the wildcard listeners' routes do not apply" \
	"$(at bar.foo.example.com /foo)" "404 -"
check "BAZ.Foo.Example.COM:8080 /foo -> case and port ignored" \
	"$(at BAZ.Foo.Example.COM:8080 /foo)" "200 two"
check "example.com (no listener matches) -> 404" "$(at example.com /)" "404 -"
check "get: all three routes accepted" "$("$SG_BIN" get httproute -n e2e | no_age)" \
	"NAME      HOSTNAMES   ACCEPTED   RESOLVEDREFS   REASON
r-wild                True       True
r-foo                 True       True
r-exact               True       True"

# A second Gateway's listener with bar.foo.example.com on the same port:
# neither wins.
{
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw2, namespace: e2e}
spec:
  gatewayClassName: splicegate
  listeners:
  - {name: twin, port: 8080, protocol: HTTP, hostname: bar.foo.example.com}
YAML
	route r-twin twin /exact "$TWO" gw2
} >"$WORK/twin.yaml"
"$SG_BIN" apply -f "$WORK/twin.yaml" >/dev/null || fail "apply of the twin listener"
lcond() { # GATEWAY LISTENER TYPE: "status reason"
	"$SG_BIN" get gateway "$1" -n e2e -o json | jq -r --arg l "$2" --arg t "$3" \
		'.status.listeners[] | select(.name == $l) | .conditions[] | select(.type == $t) | "\(.status) \(.reason)"'
}
for gl in gw/exact gw2/twin; do
	check "listener $gl: Conflicted True HostnameConflict" "$(lcond ${gl%/*} ${gl#*/} Conflicted)" "True HostnameConflict"
	check "listener $gl: Programmed False" "$(lcond ${gl%/*} ${gl#*/} Programmed)" "False Invalid"
done
check "listener wild: Conflicted False" "$(lcond gw wild Conflicted)" "False NoConflicts"
for g in gw gw2; do
	check "Gateway $g: Accepted, ListenersNotValid" \
		"$("$SG_BIN" get gateway $g -n e2e -o json | jq -r '.status.conditions[] | select(.type == "Accepted") | "\(.status) \(.reason)"')" \
		"True ListenersNotValid"
done
check "routes on the twins: not accepted" \
	"$("$SG_BIN" get httproute -n e2e -o json | jq -r '[.items[] | select(.metadata.name == "r-exact" or .metadata.name == "r-twin") | .status.parents[0].conditions[] | select(.type == "Accepted") | "\(.status) \(.reason)"] | join(", ")')" \
	"False NotAllowedByListeners, False NotAllowedByListeners"
check "bar.foo.example.com /exact -> neither twin's route: 404" "$(at bar.foo.example.com /exact)" "404 -"
check "bar.foo.example.com /foo -> the next listener that matches, *.foo.example.com" \
	"$(at bar.foo.example.com /foo)" "200 two"
"$SG_BIN" delete -f "$WORK/twin.yaml" >/dev/null || fail "delete of the twin"
check "without the twin: the exact listener serves again" "$(at bar.foo.example.com /exact)" "200 one"
check "without the twin: Conflicted False" "$(lcond gw exact Conflicted)" "False NoConflicts"
stop_gateway
san_check
finish
