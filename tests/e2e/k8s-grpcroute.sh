# GRPCRoute (Gateway API v1, standard channel) on an HTTP listener, h2c to two gRPC backends (Services with appProtocol kubernetes.io/h2c): a method matched Exact (service and method) goes to its rule's backend, a service alone matches each of its methods, a method alone that method of any service, RegularExpression service and method match as regexes; a header match beside the method wins over the method alone (more header matches, Gateway API precedence); a call no rule matches gets the gateway's trailers-only grpc-status 12 (UNIMPLEMENTED, from its 404); ResponseHeaderModifier applies; an AgentgatewayPolicy may target the GRPCRoute, and one that targets an HTTPRoute of the same name stays off it; the listener lists GRPCRoute among its supportedKinds and the route is Accepted; a listener whose allowedRoutes.kinds names HTTPRoute alone takes no GRPCRoute (NotAllowedByListeners); a GRPCRoute with an HTTPRoute-only filter (RequestRedirect) or a method match with neither service nor method is refused by name and the config in force stays.
. "$(dirname "$0")/lib.sh"

start_h2backend a || { fail "h2backend a did not start"; finish; }
A=$H2B_PORT
start_h2backend b || { fail "h2backend b did not start"; finish; }
B=$H2B_PORT
P_HTTP_ONLY=$(free_port)

h2c_service() {
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: $1, namespace: e2e}
spec:
  clusterIP: 127.0.0.1
  ports: [{name: grpc, port: $2, targetPort: $2, appProtocol: kubernetes.io/h2c}]
YAML
}
mkdir -p "$WORK/cfg"
{
	cat <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: e2e}
spec:
  gatewayClassName: agentgateway
  listeners:
  - {name: http, port: 8080, protocol: HTTP}
  - {name: http-only, port: $P_HTTP_ONLY, protocol: HTTP, allowedRoutes: {kinds: [{kind: HTTPRoute}]}}
YAML
	h2c_service a "$A"
	h2c_service b "$B"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: echo, namespace: e2e}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{method: {service: echo.Echo, method: Echo}}]
    backendRefs: [{name: a, port: $A}]
  - matches:
    - method: {service: echo.Echo, method: Echo}
      headers: [{name: x-canary, value: "yes"}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier: {add: [{name: x-route, value: canary}]}
    backendRefs: [{name: b, port: $B}]
  - matches: [{method: {service: other.Svc}}]
    backendRefs: [{name: b, port: $B}]
  - matches: [{method: {method: Ping}}]
    backendRefs: [{name: a, port: $A}]
  - matches: [{method: {type: RegularExpression, service: "reg\\\\.v[0-9]+\\\\.Svc", method: "Get.*"}}]
    backendRefs: [{name: b, port: $B}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: echo, namespace: e2e}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /http-only}}]
    backendRefs: [{name: a, port: $A}]
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: on-grpc, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: GRPCRoute, name: echo}]
  traffic:
    headerModifiers:
      response: {set: [{name: X-Grpc-Policy, value: grpc}]}
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: on-http, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: echo}]
  traffic:
    headerModifiers:
      response: {set: [{name: X-Http-Policy, value: http}]}
YAML
} >"$WORK/cfg/gateway.yaml"
start_gateway -c "$WORK/cfg" || finish

# call PATH [ARGS...]: one gRPC call; prints "<grpc-status> <x-backend-name>".
call() {
	local path=$1 r
	shift
	r=$(timeout 30 /usr/bin/python3 "$E2E_DIR/grpc_client.py" --port 8080 --path "$path" "$@" hi)
	jq -r '"\(.grpc_status) \((.headers // []) | map(select(.[0] == "x-backend-name"))[0][1] // "-")"' \
		<<<"$r" 2>/dev/null
}
check "Exact service and method -> a" "$(call /echo.Echo/Echo)" "0 a"
check "the same with the header match -> b" "$(call /echo.Echo/Echo -H 'x-canary: yes')" "0 b"
r=$(timeout 30 /usr/bin/python3 "$E2E_DIR/grpc_client.py" --port 8080 --path /echo.Echo/Echo \
	-H 'x-canary: yes' hi)
check "ResponseHeaderModifier on the canary rule" \
	"$(jq -r '.headers | map(select(.[0] == "x-route"))[0][1]' <<<"$r")" canary
check "service alone: other.Svc/Anything -> b" "$(call /other.Svc/Anything)" "0 b"
check "service alone is the service's: other.SvcX/Anything unmatched" \
	"$(call /other.SvcX/Anything)" "12 -"
check "method alone: any.Service/Ping -> a" "$(call /any.Service/Ping)" "0 a"
check "RegularExpression: reg.v2.Svc/GetThing -> b" "$(call /reg.v2.Svc/GetThing)" "0 b"
check "RegularExpression is whole-value: reg.v2.Svc/PutThing unmatched" \
	"$(call /reg.v2.Svc/PutThing)" "12 -"
check "Exact method is exact: echo.Echo/EchoMore unmatched" "$(call /echo.Echo/EchoMore)" "12 -"

# Policies target a GRPCRoute by its kind: the one naming the HTTPRoute of
# the same name stays off the GRPCRoute's routes, and the other way round.
r=$(timeout 30 /usr/bin/python3 "$E2E_DIR/grpc_client.py" --port 8080 --path /echo.Echo/Echo hi)
check "AgentgatewayPolicy on GRPCRoute echo applies to its call, HTTPRoute echo's does not" \
	"$(jq -r '[.headers[] | select(.[0] == "x-grpc-policy" or .[0] == "x-http-policy") | join("=")] | join(",")' <<<"$r")" \
	"x-grpc-policy=grpc"
hcall --http2-prior-knowledge http://127.0.0.1:8080/http-only
check "... and HTTPRoute echo's applies to it alone" \
	"$(resp_header x-http-policy)|$(resp_header x-grpc-policy)" "http|"

status=$("$SG_BIN" get grpcroute echo -n e2e -o json 2>&1)
check "GRPCRoute Accepted" \
	"$(jq -r '.status.parents[0].conditions[] | select(.type == "Accepted") | .status' <<<"$status")" \
	True
gw=$("$SG_BIN" get gateway gw -n e2e -o json 2>&1)
check "HTTP listener's supportedKinds" \
	"$(jq -r '[.status.listeners[] | select(.name == "http") | .supportedKinds[].kind] | join(",")' <<<"$gw")" \
	"HTTPRoute,GRPCRoute"
check "a listener of HTTPRoute alone attaches no GRPCRoute" \
	"$(jq -r '.status.listeners[] | select(.name == "http-only") | .attachedRoutes' <<<"$gw")" 0
out=$(timeout 30 /usr/bin/python3 "$E2E_DIR/grpc_client.py" --port "$P_HTTP_ONLY" \
	--path /echo.Echo/Echo hi | jq -r .grpc_status)
check "... and its calls are unmatched" "$out" 12

# Refused, by name; the config in force stays.
out=$("$SG_BIN" apply -f- 2>&1 <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: bad, namespace: e2e}
spec:
  parentRefs: [{name: gw}]
  rules:
  - filters: [{type: RequestRedirect, requestRedirect: {statusCode: 301}}]
    backendRefs: [{name: a, port: $A}]
YAML
)
[[ $out == *"a GRPCRoute filter"* ]] && pass "RequestRedirect in a GRPCRoute refused: $out" ||
	fail "RequestRedirect in a GRPCRoute: $out"
out=$("$SG_BIN" apply -f- 2>&1 <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: bad, namespace: e2e}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{method: {type: Exact}}]
    backendRefs: [{name: a, port: $A}]
YAML
)
[[ $out == *"a service, a method or both"* ]] && pass "a method match of neither refused: $out" ||
	fail "a method match of neither: $out"
check "the config in force still routes" "$(call /echo.Echo/Echo)" "0 a"
stop_gateway
finish
