# httproute-session-persistence-cookie-permanent-lifetime.go
# (kubernetes-sigs/gateway-api pull request 4954 at 25b5ff03, provisional,
# not in 4564255a): lifetimeType Permanent with absoluteTimeout 1h sets a
# cookie with Expires or Max-Age.
replicas infra-backend-v1 2
{
	slices infra-backend-v1 2
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: session-persistence-cookie-permanent-lifetime, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /session-persistence-permanent-lifetime}}]
    sessionPersistence:
      type: Cookie
      absoluteTimeout: 1h
      cookieConfig: {lifetimeType: Permanent}
    backendRefs: [{name: infra-backend-v1, port: 8080}]
YAML
} | apply
APPLY_RC=$?
R=$INFRA/session-persistence-cookie-permanent-lifetime
accepted() {
	applied && parent HTTPRoute $R $INFRA/same-namespace Accepted True Accepted &&
		parent HTTPRoute $R $INFRA/same-namespace ResolvedRefs True ResolvedRefs
}
sp_get /session-persistence-permanent-lifetime
first=$SP_CODE
[ "$first" = 200 ] && first=ok
tcase "GatewayAndHTTPRoutesMustBeAccepted and ResolvedRefs" accepted
tcase "session established" established "$first" "$SP_POD" "$SP_COOKIE"
tcase "permanent cookie must have an Expires or Max-Age attribute" permanent_attrs "$SP_COOKIE"
