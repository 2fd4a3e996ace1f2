# httproute-request-header-modifier-backend-weights.go: two backendRefs of
# equal weight, each setting header Backend to its own name: each of 100
# requests reaches the backend its header names.
one_rule_route request-header-modifier-backend-weights '{name: infra-backend-v1, port: 8080, weight: 10,
      filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Backend, value: infra-backend-v1}]}}]},
    {name: infra-backend-v2, port: 8080, weight: 10,
      filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Backend, value: infra-backend-v2}]}}]}' |
	apply
APPLY_RC=$?
R=$INFRA/request-header-modifier-backend-weights
each() {
	local got
	applied && parent HTTPRoute $R $INFRA/same-namespace Accepted True Accepted &&
		parent HTTPRoute $R $INFRA/same-namespace ResolvedRefs True ResolvedRefs || return 1
	for _ in $(seq 100); do
		http 8080 "" / 200 || return 1
		# headers Backend (any spelling) as "count first" and the pod
		got=$(jq -r '[.headers | to_entries[] | select(.key | ascii_downcase == "backend") |
			.value[]] | "\(length) \(.[0] // "-")"' "$WORK/body")
		[[ ${got%% *} == 1 && $(jq -r .pod "$WORK/body") == "${got#* }"* ]] ||
			{ echo "Backend headers '$got', pod $(jq -r .pod "$WORK/body"): want one, naming the pod"; return 1; }
	done
}
tcase "An HTTPRoute with backend request header modifier filter sends traffic to the correct backends" each
