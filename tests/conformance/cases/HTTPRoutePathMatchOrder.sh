# httproute-path-match-order.go: an Exact match wins over any prefix, and
# of prefixes the longest wins, whatever the order of the rules.
p() { printf '  - matches: [{path: {type: %s, value: %s}}]\n    backendRefs: [{name: infra-backend-%s, port: 8080}]\n' "$@"; }
{
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: path-matching-order, namespace: %s}\nspec:\n  parentRefs: [{name: same-namespace}]\n  rules:\n' "$INFRA"
	p Exact /match v1
	p Exact /match/exact v2
	p Exact /match/exact/one v3
	p PathPrefix /match/ v3
	p PathPrefix /match/prefix/ v1
	p PathPrefix /match/prefix/one v2
} | apply
APPLY_RC=$?
R=$INFRA/path-matching-order
mcase 0 $R /match/exact/one infra-backend-v3
mcase 1 $R /match/exact infra-backend-v2
mcase 2 $R /match infra-backend-v1
mcase 3 $R /match/prefix/one/any infra-backend-v2
mcase 4 $R /match/prefix/any infra-backend-v1
mcase 5 $R /match/any infra-backend-v3
