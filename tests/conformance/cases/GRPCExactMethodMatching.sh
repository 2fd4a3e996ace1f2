# grpcroute-exact-method-matching.go: method matches Exact on service and
# method; a method no rule names is UNIMPLEMENTED.
S=gateway_api_conformance.echo_basic.grpcecho.GrpcEcho
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: exact-matching, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{method: {service: $S, method: Echo}}]
    backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
  - matches: [{method: {service: $S, method: EchoTwo}}]
    backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]
YAML
APPLY_RC=$?
to() { applied && parent GRPCRoute $INFRA/exact-matching $INFRA/same-namespace Accepted True Accepted && grpc 8080 "" "$@"; }
none() { applied && grpc_unmatched 8080 "" "$1"; }
tcase "0 request to '/$S/Echo' should go to grpc-infra-backend-v1" to "/$S/Echo" grpc-infra-backend-v1
tcase "1 request to '/$S/EchoTwo' should go to grpc-infra-backend-v2" to "/$S/EchoTwo" grpc-infra-backend-v2
tcase "2 request to '/$S/EchoThree' should receive a Unimplemented (12)" none "/$S/EchoThree"
