# grpcroute-listener-hostname-matching.go: GRPCRoutes attached to listeners
# by sectionName take the :authority their listener's hostname matches
# (exact, then wildcard); another authority is UNIMPLEMENTED.
S=gateway_api_conformance.echo_basic.grpcecho.GrpcEcho
groute() { # NAME BACKEND SECTIONS...
	local n=$1 b=$2
	shift 2
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs:\n' "$n" "$INFRA"
	for s in "$@"; do
		echo "  - {name: grpcroute-listener-hostname-matching, namespace: $INFRA, sectionName: $s}"
	done
	echo "  rules: [{backendRefs: [{name: $b, port: 8080}]}]"
}
{
	gw_head grpcroute-listener-hostname-matching
	for l in "1 bar.com" "2 foo.bar.com" "3 '*.bar.com'" "4 '*.foo.com'"; do
		echo "  - {name: listener-${l%% *}, port: 9001, protocol: HTTP, hostname: ${l#* }}"
	done
	groute backend-v1 grpc-infra-backend-v1 listener-1
	groute backend-v2 grpc-infra-backend-v2 listener-2
	groute backend-v3 grpc-infra-backend-v3 listener-3 listener-4
} | apply
APPLY_RC=$?
n=0
one() { # AUTHORITY BACKEND|12
	local name="$n request to '$1/$S/Echo'"
	if [ "$2" = 12 ]; then
		tcase "$name should receive a Unimplemented (12)" grpc_unmatched 9001 "$1" "/$S/Echo"
	else
		tcase "$name should go to $2" grpc 9001 "$1" "/$S/Echo" "$2"
	fi
	n=$((n + 1))
}
one bar.com grpc-infra-backend-v1
one foo.bar.com grpc-infra-backend-v2
one baz.bar.com grpc-infra-backend-v3
one boo.bar.com grpc-infra-backend-v3
one multiple.prefixes.bar.com grpc-infra-backend-v3
one multiple.prefixes.foo.com grpc-infra-backend-v3
one foo.com 12
one no.matching.host 12
