# httproute-request-mirror.go: a RequestMirror sends a copy of each
# request to another backend (infra-backend-v2) while infra-backend-v1
# answers; beside a RequestHeaderModifier too.
HM='{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Header-Set, value: set-overwrites-values}],
        add: [{name: X-Header-Add, value: header-val-1}, {name: X-Header-Add-Append, value: header-val-2}],
        remove: [X-Header-Remove]}}'
mirror_filter() { # BACKEND [PERCENT-LINE]
	printf '{type: RequestMirror, requestMirror: {backendRef: {name: %s, namespace: %s, port: 8080}%s}}' \
		"$1" "$INFRA" "${2:+, $2}"
}
mirror_rule() { # PATH FILTERS
	printf '  - matches: [{path: {type: PathPrefix, value: %s}}]\n    filters: [%s]\n    backendRefs: [{name: infra-backend-v1, port: 8080, namespace: %s}]\n' \
		"$1" "$2" "$INFRA"
}
# mirror_case ROUTE PATH MIRRORS CHECK-WORDS...: a request for PATH with a
# request id of its own (AddRequestIDQueryParam) answered by
# infra-backend-v1 as CHECK-WORDS say, and a copy of it at each MIRROR.
mirror_case() {
	local p="$2?gateway-api-conformance-request-id=$(cat /proc/sys/kernel/random/uuid)"
	routed "$INFRA/$1" path="$p" backend=infra-backend-v1 "${@:4}" && mirrored "$p" $3
}
MOD=(h='X-Header-Remove: remove-val' h='X-Header-Add-Append: append-val-1'
	req='X-Header-Add: header-val-1' req='X-Header-Add-Append: append-val-1,header-val-2'
	req='X-Header-Set: set-overwrites-values' noreq=X-Header-Remove)
if [ "$TEST" = HTTPRouteRequestMirror ]; then
	{
		filter_route request-mirror
		mirror_rule /mirror "$(mirror_filter infra-backend-v2)"
		mirror_rule /mirror-and-modify-headers "$HM, $(mirror_filter infra-backend-v2)"
	} | apply
	APPLY_RC=$?
	B="should go to infra-backend-v1"
	tcase "0 request to '/mirror' $B" mirror_case request-mirror /mirror infra-backend-v2
	tcase "1 request to '/mirror-and-modify-headers' with headers $B" mirror_case request-mirror \
		/mirror-and-modify-headers infra-backend-v2 "${MOD[@]}"
fi
