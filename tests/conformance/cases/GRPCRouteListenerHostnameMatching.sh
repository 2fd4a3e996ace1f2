# grpcroute-listener-hostname-matching.go: GRPCRoutes attached to listeners
# by sectionName take the :authority their listener's hostname matches
# (exact, then wildcard); another authority is UNIMPLEMENTED.
S=gateway_api_conformance.echo_basic.grpcecho.GrpcEcho
hostname_matching GRPCRoute grpc-infra-backend | apply
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
