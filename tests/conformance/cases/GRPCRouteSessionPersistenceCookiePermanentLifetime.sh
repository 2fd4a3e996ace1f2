# grpcroute-session-persistence-cookie-permanent-lifetime.go
# (kubernetes-sigs/gateway-api pull request 4954 at 25b5ff03, provisional,
# not in 4564255a): a GRPCRoute rule with lifetimeType Permanent and
# absoluteTimeout 1h sets a cookie with Expires or Max-Age.
replicas grpc-infra-backend-v1 2 grpc
{
	slices grpc-infra-backend-v1 2
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: grpcroute-session-persistence-cookie-permanent-lifetime, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - sessionPersistence:
      type: Cookie
      absoluteTimeout: 1h
      cookieConfig: {lifetimeType: Permanent}
    backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
YAML
} | apply
APPLY_RC=$?
accepted() {
	applied && parent GRPCRoute $INFRA/grpcroute-session-persistence-cookie-permanent-lifetime \
		$INFRA/same-namespace Accepted True Accepted
}
sp_grpc
first=$SP_CODE
[ "$first" = 0 ] && first=ok
tcase "GatewayAndRoutesMustBeAccepted" accepted
tcase "session established" established "$first" "$SP_POD" "$SP_COOKIE"
tcase "permanent cookie must have an Expires or Max-Age attribute" permanent_attrs "$SP_COOKIE"
