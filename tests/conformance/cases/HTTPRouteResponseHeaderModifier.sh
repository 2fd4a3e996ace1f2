# httproute-response-header-modifier.go: ResponseHeaderModifier's set,
# add and remove on the headers the backend answers with (the echo sets
# them, X-Echo-Set-Header), names case-insensitive, added names kept as
# written; beside a RequestHeaderModifier in the same rule.
rm_rule() { # PATH FILTERS
	printf '  - matches: [{path: {type: PathPrefix, value: %s}}]\n    filters: %s\n    backendRefs: [{name: infra-backend-v1, port: 8080}]\n' "$1" "$2"
}
rhm() { printf '[{type: ResponseHeaderModifier, responseHeaderModifier: %s}]' "$1"; }
MULTI='{set: [{name: X-Header-Set-1, value: header-set-1}, {name: X-Header-Set-2, value: header-set-2}],
      add: [{name: X-Header-Add-1, value: header-add-1}, {name: X-Header-Add-2, value: header-add-2}%s],
      remove: [X-Header-Remove-1, X-Header-Remove-2]}'
{
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: response-header-modifier, namespace: %s}\nspec:\n  parentRefs: [{name: same-namespace}]\n  rules:\n' "$INFRA"
	rm_rule /set "$(rhm '{set: [{name: X-Header-Set, value: set-overwrites-values}]}')"
	rm_rule /add "$(rhm '{add: [{name: X-Header-Add, value: add-appends-values}]}')"
	rm_rule /remove "$(rhm '{remove: [X-Header-Remove]}')"
	# shellcheck disable=SC2059
	rm_rule /multiple "$(rhm "$(printf "$MULTI" ', {name: X-Header-Add-3, value: header-add-3}')")"
	rm_rule /case-insensitivity "$(rhm '{set: [{name: X-Header-Set, value: header-set}],
      add: [{name: X-Header-Add, value: header-add}, {name: x-lowercase-add, value: lowercase-add},
        {name: x-Mixedcase-ADD-1, value: mixedcase-add-1}, {name: X-mixeDcase-add-2, value: mixedcase-add-2},
        {name: X-UPPERCASE-ADD, value: uppercase-add}],
      remove: [X-Header-Remove]}')"
	# shellcheck disable=SC2059
	rm_rule /response-and-request-header-modifiers "[{type: ResponseHeaderModifier, responseHeaderModifier: $(printf "$MULTI" '')},
      {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Header-Set, value: set-overwrites-values}],
        add: [{name: X-Header-Add, value: header-val-1}, {name: X-Header-Add-Append, value: header-val-2}],
        remove: [X-Header-Remove]}}]"
} | apply
APPLY_RC=$?
R=$INFRA/response-header-modifier
c() {
	applied && parent HTTPRoute $R $INFRA/same-namespace Accepted True Accepted &&
		parent HTTPRoute $R $INFRA/same-namespace ResolvedRefs True ResolvedRefs &&
		check backend=infra-backend-v1 "$@"
}
B="should go to infra-backend-v1"
tcase "0 request to '/set' $B" c path=/set set='Some-Other-Header: val' \
	res='Some-Other-Header: val' res='X-Header-Set: set-overwrites-values'
tcase "1 request to '/set' $B" c path=/set set='Some-Other-Header: val' set='X-Header-Set: some-other-value' \
	res='Some-Other-Header: val' res='X-Header-Set: set-overwrites-values'
tcase "2 request to '/add' $B" c path=/add set='Some-Other-Header: val' \
	res='Some-Other-Header: val' res='X-Header-Add: add-appends-values'
tcase "3 request to '/add' $B" c path=/add set='Some-Other-Header: val' set='X-Header-Add: some-other-value' \
	res='Some-Other-Header: val' res='X-Header-Add: some-other-value,add-appends-values'
tcase "4 request to '/remove' $B" c path=/remove set='X-Header-Remove: val' nores=X-Header-Remove
tcase "5 request to '/multiple' $B" c path=/multiple set='X-Header-Set-2: set-val-2' \
	set='X-Header-Add-2: add-val-2' set='X-Header-Remove-2: remove-val-2' \
	set='Another-Header: another-header-val' set='X-Header-Remove-1: val' \
	res='X-Header-Set-1: header-set-1' res='X-Header-Set-2: header-set-2' res='X-Header-Add-1: header-add-1' \
	res='X-Header-Add-2: add-val-2,header-add-2' res='X-Header-Add-3: header-add-3' \
	res='Another-Header: another-header-val' nores=X-Header-Remove-1 nores=X-Header-Remove-2
tcase "6 request to '/case-insensitivity' $B" c path=/case-insensitivity \
	set='x-header-set: original-val-set' set='x-header-add: original-val-add' \
	set='x-header-remove: original-val-remove' set='Another-Header: another-header-val' \
	res='X-Header-Set: header-set' res='X-Header-Add: original-val-add,header-add' \
	res='X-Lowercase-Add: lowercase-add' res='X-Mixedcase-Add-1: mixedcase-add-1' \
	res='X-Mixedcase-Add-2: mixedcase-add-2' res='X-Uppercase-Add: uppercase-add' \
	res='Another-Header: another-header-val' nores=x-header-remove
tcase "7 request to '/response-and-request-header-modifiers' with headers $B" c \
	path=/response-and-request-header-modifiers h='X-Header-Remove: remove-val' \
	h='X-Header-Add-Append: append-val-1' h='X-Header-Echo: echo' \
	set='X-Header-Set-2: set-val-2' set='X-Header-Add-2: add-val-2' set='X-Header-Remove-2: remove-val-2' \
	set='Another-Header: another-header-val' set='X-Header-Remove-1: remove-val-1' set='X-Header-Echo: echo' \
	req='X-Header-Add: header-val-1' req='X-Header-Set: set-overwrites-values' \
	req='X-Header-Add-Append: append-val-1,header-val-2' req='X-Header-Echo: echo' noreq=X-Header-Remove \
	res='X-Header-Set-1: header-set-1' res='X-Header-Set-2: header-set-2' res='X-Header-Add-1: header-add-1' \
	res='X-Header-Add-2: add-val-2,header-add-2' res='Another-Header: another-header-val' \
	res='X-Header-Echo: echo' nores=X-Header-Remove-1 nores=X-Header-Remove-2
