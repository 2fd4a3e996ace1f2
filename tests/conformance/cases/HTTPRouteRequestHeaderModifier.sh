# httproute-request-header-modifier.go: RequestHeaderModifier's set
# replaces, add appends (a header already there keeps its value first),
# remove drops, all by case-insensitive names.
hm_rule() { # PATH FILTER-BODY
	printf '  - matches: [{path: {type: PathPrefix, value: %s}}]\n    filters: [{type: RequestHeaderModifier, requestHeaderModifier: %s}]\n    backendRefs: [{name: infra-backend-v1, port: 8080}]\n' "$1" "$2"
}
{
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: request-header-modifier, namespace: %s}\nspec:\n  parentRefs: [{name: same-namespace}]\n  rules:\n' "$INFRA"
	hm_rule /set '{set: [{name: X-Header-Set, value: set-overwrites-values}]}'
	hm_rule /add '{add: [{name: X-Header-Add, value: add-appends-values}]}'
	hm_rule /remove '{remove: [X-Header-Remove]}'
	hm_rule /multiple '{set: [{name: X-Header-Set-1, value: header-set-1}, {name: X-Header-Set-2, value: header-set-2}],
      add: [{name: X-Header-Add-1, value: header-add-1}, {name: X-Header-Add-2, value: header-add-2}, {name: X-Header-Add-3, value: header-add-3}],
      remove: [X-Header-Remove-1, X-Header-Remove-2]}'
	hm_rule /case-insensitivity '{set: [{name: X-Header-Set, value: header-set}], add: [{name: X-Header-Add, value: header-add}], remove: [X-Header-Remove]}'
} | apply
APPLY_RC=$?
R=$INFRA/request-header-modifier
c() { # CHECK-WORDS...: the route accepted, its refs resolved, then check
	applied && parent HTTPRoute $R $INFRA/same-namespace Accepted True Accepted &&
		parent HTTPRoute $R $INFRA/same-namespace ResolvedRefs True ResolvedRefs &&
		check backend=infra-backend-v1 "$@"
}
B="should go to infra-backend-v1"
tcase "0 request to '/set' with headers $B" c path=/set h='Some-Other-Header: val' \
	req='Some-Other-Header: val' req='X-Header-Set: set-overwrites-values'
tcase "1 request to '/set' with headers $B" c path=/set h='Some-Other-Header: val' \
	h='X-Header-Set: some-other-value' req='Some-Other-Header: val' req='X-Header-Set: set-overwrites-values'
tcase "2 request to '/add' with headers $B" c path=/add h='Some-Other-Header: val' \
	req='Some-Other-Header: val' req='X-Header-Add: add-appends-values'
tcase "3 request to '/add' with headers $B" c path=/add h='Some-Other-Header: val' \
	h='X-Header-Add: some-other-value' req='Some-Other-Header: val' \
	req='X-Header-Add: some-other-value,add-appends-values'
tcase "4 request to '/remove' with headers $B" c path=/remove h='X-Header-Remove: val' noreq=X-Header-Remove
tcase "5 request to '/multiple' with headers $B" c path=/multiple h='X-Header-Set-2: set-val-2' \
	h='X-Header-Add-2: add-val-2' h='X-Header-Remove-2: remove-val-2' h='Another-Header: another-header-val' \
	req='X-Header-Set-1: header-set-1' req='X-Header-Set-2: header-set-2' req='X-Header-Add-1: header-add-1' \
	req='X-Header-Add-2: add-val-2,header-add-2' req='X-Header-Add-3: header-add-3' \
	req='Another-Header: another-header-val' noreq=X-Header-Remove-1 noreq=X-Header-Remove-2
tcase "6 request to '/case-insensitivity' with headers $B" c path=/case-insensitivity \
	h='x-header-set: original-val-set' h='x-header-add: original-val-add' \
	h='x-header-remove: original-val-remove' h='Another-Header: another-header-val' \
	req='X-Header-Set: header-set' req='X-Header-Add: original-val-add,header-add' \
	req='Another-Header: another-header-val' noreq=x-header-remove
