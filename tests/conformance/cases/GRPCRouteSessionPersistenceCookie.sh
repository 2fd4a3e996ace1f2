# grpcroute-session-persistence-cookie.go (kubernetes-sigs/gateway-api pull
# request 4954 at 25b5ff03, provisional, not in 4564255a): a GRPCRoute rule
# with sessionPersistence {type: Cookie} sets a session cookie (no Expires,
# no Max-Age) in the first call's response metadata, and ten calls, each on
# a fresh connection, carrying it as cookie metadata reach that call's pod.
# grpc-infra-backend-v1 has three pods here.
replicas grpc-infra-backend-v1 3 grpc
{
	slices grpc-infra-backend-v1 3
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: grpcroute-session-persistence-cookie, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - sessionPersistence: {type: Cookie}
    backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
YAML
} | apply
APPLY_RC=$?
accepted() {
	applied && parent GRPCRoute $INFRA/grpcroute-session-persistence-cookie \
		$INFRA/same-namespace Accepted True Accepted
}
sp_grpc
first=$SP_CODE
[ "$first" = 0 ] && first=ok
pod=$SP_POD
cookie=$SP_COOKIE
got=()
for _ in $(seq 10); do
	sp_grpc -H "cookie: ${cookie%%;*}"
	got+=("$SP_CODE:$SP_POD")
done
tcase "GatewayAndRoutesMustBeAccepted" accepted
tcase "session established" established "$first" "$pod" "$cookie"
tcase "session cookie must not have an Expires attribute" no_attr "$cookie" Expires
tcase "session cookie must not have a Max-Age attribute" no_attr "$cookie" Max-Age
tcase "sticky requests 1-10 reach the first pod" all_on "0:$pod" "${got[@]}"
