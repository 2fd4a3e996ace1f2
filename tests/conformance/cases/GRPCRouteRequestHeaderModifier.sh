# grpcroute-request-header-modifier.go: a GRPCRoute's RequestHeaderModifier
# sets, adds and removes request metadata by case-insensitive names. The
# suite's own check compares the status, the method and the backend only
# (its expected headers are not compared), and its manifest gives the
# set, add and remove rules the same match (GrpcEcho/Echo), so the first
# rule, set, is the one Echo takes (GEP-1016: the first matching rule in
# order). This port checks what the suite checks and, besides, the metadata
# the backend saw (h2backend.py's x-echo-metadata) as the rules in force
# make it: for Echo the set rule's, for EchoTwo the multiple rule's.
S=gateway_api_conformance.echo_basic.grpcecho.GrpcEcho
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: grpc-request-header-modifier, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{method: {service: $S, method: Echo}}]
    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Header-Set, value: set-overwrites-values}]}}]
    backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
  - matches: [{method: {service: $S, method: Echo}}]
    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: X-Header-Add, value: add-appends-values}]}}]
    backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
  - matches: [{method: {service: $S, method: Echo}}]
    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {remove: [X-Header-Remove]}}]
    backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
  - matches: [{method: {service: $S, method: EchoTwo}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Header-Set-1, value: header-set-1}, {name: X-Header-Set-2, value: header-set-2}]
        add: [{name: X-Header-Add-1, value: header-add-1}, {name: X-Header-Add-2, value: header-add-2}]
        remove: [X-Header-Remove-1, X-Header-Remove-2]
    backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]
YAML
APPLY_RC=$?
# meta METHOD BACKEND SEEN HEADERS...: a call of METHOD with HEADERS
# ("Name:value") answered OK by BACKEND, which saw the metadata SEEN: the
# x-header-* and some-other-header fields as "name=value[,value]" sorted
# by name, a name's values in order.
meta() {
	local method=$1 want=$2 seen=$3 args=() r got
	shift 3
	applied && parent GRPCRoute $INFRA/grpc-request-header-modifier $INFRA/same-namespace \
		Accepted True Accepted || return 1
	for h in "$@"; do args+=(-H "${h%%:*}: ${h#*:}"); done
	r=$(timeout 20 /usr/bin/python3 "$REPO/tests/e2e/grpc_client.py" --port 8080 \
		--authority "$S" --path "/$S/$method" -H 'x-grpc-echo-metadata: 1' "${args[@]}" hi)
	got=$(jq -r '"\(.grpc_status) \((.headers // []) | map(select(.[0] == "x-backend-name"))[0][1] // "-")"' <<<"$r")
	[ "$got" = "0 $want" ] || { echo "call $method: got '$got', want '0 $want'"; return 1; }
	got=$(jq -r '(.headers | map(select(.[0] == "x-echo-metadata"))[0][1] // "[]") | fromjson |
		map(select(.[0] | test("^(x-header-|some-other-header$)"))) | group_by(.[0]) |
		map("\(.[0][0])=\(map(.[1]) | join(","))") | join(" ")' <<<"$r")
	[ "$got" = "$seen" ] || { echo "call $method: the backend saw '$got', want '$seen'"; return 1; }
}
V1=grpc-infra-backend-v1
V2=grpc-infra-backend-v2
tcase "Set headers -- X-Header-Set should have the original value" meta Echo $V1 \
	"some-other-header=this-header-should-be-set x-header-set=set-overwrites-values" \
	Some-Other-Header:this-header-should-be-set
tcase "Set headers -- X-Header-Set should get overwritten with the original value" meta Echo $V1 \
	"some-other-header=this-header-should-be-set x-header-set=set-overwrites-values" \
	Some-Other-Header:this-header-should-be-set X-Header-Set:this-value-should-be-overwritten
# Echo takes the set rule: add's and remove's rules are never reached.
tcase "Add headers -- X-Header-Add should have the original value" meta Echo $V1 \
	"some-other-header=this-header-should-be-set x-header-set=set-overwrites-values" \
	Some-Other-Header:this-header-should-be-set
tcase "Add headers -- X-Header-Add should append the new value to the original value" meta Echo $V1 \
	"some-other-header=this-header-should-be-set x-header-add=this-value-should-be-appended x-header-set=set-overwrites-values" \
	Some-Other-Header:this-header-should-be-set X-Header-Add:this-value-should-be-appended
tcase "Remove headers -- X-Header-Remove should be removed" meta Echo $V1 \
	"x-header-remove=this-should-be-removed x-header-set=set-overwrites-values" \
	X-Header-Remove:this-should-be-removed
tcase "Multiple operations - all header operations should be applied" meta EchoTwo $V2 \
	"some-other-header=another-header-val x-header-add-1=header-add-1 x-header-add-2=add-header-2,header-add-2 x-header-set-1=header-set-1 x-header-set-2=header-set-2" \
	X-Header-Set-2:set-header-2 X-Header-Add-2:add-header-2 X-Header-Remove-2:should-be-removed-2 \
	Some-Other-Header:another-header-val
tcase "Case sensitivity check for header names" meta EchoTwo $V2 \
	"x-header-add-1=existing-add-1,header-add-1 x-header-add-2=header-add-2 x-header-set-1=header-set-1 x-header-set-2=header-set-2" \
	x-header-set-1:original-set-1 x-header-add-1:existing-add-1 x-header-remove-1:should-be-removed-1
