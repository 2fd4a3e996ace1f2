# grpcroute-header-matching.go: header matches (all of a match's headers,
# any of a rule's matches; more headers win), else UNIMPLEMENTED.
S=gateway_api_conformance.echo_basic.grpcecho.GrpcEcho
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: grpc-header-matching, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{headers: [{name: version, value: one}]}]
    backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
  - matches: [{headers: [{name: version, value: two}]}]
    backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]
  - matches: [{headers: [{name: version, value: two}, {name: color, value: orange}]}]
    backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
  - matches: [{headers: [{name: color, value: blue}]}, {headers: [{name: color, value: green}]}]
    backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
  - matches: [{headers: [{name: color, value: red}]}, {headers: [{name: color, value: yellow}]}]
    backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]
YAML
APPLY_RC=$?
n=0
# one EXPECTED HEADERS...: EXPECTED a backend or "12"; HEADERS "Name:value".
one() {
	local want=$1 args=() name keys
	shift
	for h in "$@"; do args+=(-H "${h%%:*}: ${h#*:}"); done
	keys=$(printf '%s\n' "$@" | sort | paste -sd, -)
	name="$n request to '/$S/Echo' with headers '{$keys}'"
	if [ "$want" = 12 ]; then
		tcase "$name should receive a Unimplemented (12)" grpc_unmatched 8080 "" "/$S/Echo" "${args[@]}"
	else
		tcase "$name should go to $want" grpc 8080 "" "/$S/Echo" "$want" "${args[@]}"
	fi
	n=$((n + 1))
}
one grpc-infra-backend-v1 Version:one
one grpc-infra-backend-v2 Version:two
one grpc-infra-backend-v1 Color:orange Version:two
one grpc-infra-backend-v2 Color:blue Version:two
one 12 Color:orange
one 12 Some-Other-Header:one
one grpc-infra-backend-v1 Color:blue
one grpc-infra-backend-v1 Color:green
one grpc-infra-backend-v2 Color:red
one grpc-infra-backend-v2 Color:yellow
one 12 Color:purple
