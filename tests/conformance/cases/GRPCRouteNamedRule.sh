# grpcroute-named-rule.go (provisional, GRPCRouteNamedRouteRule): a rule
# with a name and one without both route, each to its backend.
S=gateway_api_conformance.echo_basic.grpcecho.GrpcEcho
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: grpc-named-rules, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - name: named-rule
    matches: [{method: {service: $S, method: Echo}}]
    backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
  - matches: [{method: {service: $S, method: EchoTwo}}]
    backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]
YAML
APPLY_RC=$?
to() { applied && parent GRPCRoute $INFRA/grpc-named-rules $INFRA/same-namespace Accepted True Accepted && grpc 8080 "" "$@"; }
tcase "0 request to '/$S/Echo' should go to grpc-infra-backend-v1" to "/$S/Echo" grpc-infra-backend-v1
tcase "1 request to '/$S/EchoTwo' should go to grpc-infra-backend-v2" to "/$S/EchoTwo" grpc-infra-backend-v2
