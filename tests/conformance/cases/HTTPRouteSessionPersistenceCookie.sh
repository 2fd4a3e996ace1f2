# httproute-session-persistence-cookie.go (kubernetes-sigs/gateway-api pull
# request 4954 at 25b5ff03, provisional, not in 4564255a): a rule with
# sessionPersistence {type: Cookie} sets a session cookie without Expires
# or Max-Age on the first response, and ten requests carrying it reach
# that response's pod. infra-backend-v1 has three pods here (upstream's
# Deployment runs several), so that the cookie has a choice to hold.
replicas infra-backend-v1 3
{
	slices infra-backend-v1 3
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: session-persistence-cookie, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /session-persistence}}]
    sessionPersistence: {type: Cookie}
    backendRefs: [{name: infra-backend-v1, port: 8080}]
YAML
} | apply
APPLY_RC=$?
R=$INFRA/session-persistence-cookie
accepted() {
	applied && parent HTTPRoute $R $INFRA/same-namespace Accepted True Accepted &&
		parent HTTPRoute $R $INFRA/same-namespace ResolvedRefs True ResolvedRefs
}
sp_get /session-persistence
first=$SP_CODE
[ "$first" = 200 ] && first=ok
pod=$SP_POD
cookie=$SP_COOKIE
got=()
for _ in $(seq 10); do
	sp_get /session-persistence -H "Cookie: ${cookie%%;*}"
	got+=("$SP_CODE:$SP_POD")
done
tcase "GatewayAndHTTPRoutesMustBeAccepted and ResolvedRefs" accepted
tcase "session established" established "$first" "$pod" "$cookie"
tcase "session cookie must not have an Expires attribute" no_attr "$cookie" Expires
tcase "session cookie must not have a Max-Age attribute" no_attr "$cookie" Max-Age
tcase "sticky requests 1-10 reach the first pod" all_on "200:$pod" "${got[@]}"
