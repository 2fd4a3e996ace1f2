# Resources arrive in any order: in a watched config directory where the HTTPRoute's file sorts before the Service it needs, the gateway starts (the route answers 500 "no valid backends", ResolvedRefs False/BackendNotFound), serves the route once the Service's file is added, with no restart, and when the Service's file goes away the route answers 500 again, never the old backend; an EndpointSlice that arrives before its Service is used once the Service comes.
. "$(dirname "$0")/lib.sh"

start_backend one
ONE=$BACKEND_PORT
start_backend two
TWO=$BACKEND_PORT
mkdir -p "$WORK/cfg"
cat >"$WORK/cfg/00-route.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: e2e}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: e2e
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports: [{name: http, port: $TWO}]
endpoints: [{addresses: [127.0.0.1]}]
YAML
cat >"$WORK/cfg/10-gateway.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: e2e}
spec:
  gatewayClassName: splicegate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
YAML
# written elsewhere, renamed into the directory (as ConfigMap updates are)
cat >"$WORK/svc.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: web, namespace: e2e}
spec: {clusterIP: 127.0.0.1, ports: [{name: http, port: 80, targetPort: $ONE}]}
YAML

code() { curl -s -o "$WORK/body" -w '%{http_code}' --max-time 3 http://127.0.0.1:8080/get; }
until_code() { # WANT: poll up to 5 s
	for _ in $(seq 50); do
		[ "$(code)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
resolved() {
	"$SG_BIN" get httproute r -n e2e -o json |
		jq -r '.status.parents[0].conditions[] | select(.type == "ResolvedRefs") | "\(.status) \(.reason)"'
}

start_engine copy -c "$WORK/cfg" || { fail "gateway did not start"; finish; }
hcall http://127.0.0.1:8080/get
expect "route before its Service: 500" 500 "no valid backends"
check "get: ResolvedRefs False BackendNotFound" "$(resolved)" "False BackendNotFound"

cp "$WORK/svc.yaml" "$WORK/cfg/.20-service.yaml.tmp"
mv "$WORK/cfg/.20-service.yaml.tmp" "$WORK/cfg/20-service.yaml"
until_code 200 && pass "Service file added: the route serves, no restart" ||
	fail "after adding the Service: $(code)"
hcall http://127.0.0.1:8080/get
check "the EndpointSlice that came first is used (backend two)" \
	"$(tr -d '\r' <"$H_HEADERS" | awk -F': ' 'tolower($1) == "x-backend" { print $2 }')" two
check "get: ResolvedRefs True" "$(resolved)" "True ResolvedRefs"
check "still the gateway it started as" "$(kill -0 "$GW_PID" && echo alive)" alive

rm "$WORK/cfg/20-service.yaml"
until_code 500 && pass "Service file removed: 500, never the old backend" ||
	fail "after removing the Service: $(code)"
hcall http://127.0.0.1:8080/get
expect "and the body says why" 500 "no valid backends"
check "get: ResolvedRefs False BackendNotFound again" "$(resolved)" "False BackendNotFound"
stop_gateway
san_check
finish
