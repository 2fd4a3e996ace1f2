# backendtlspolicy-observed-generation-bump.go: the policy's hostname
# changed bumps its generation, and its ancestor conditions follow.
p() { btls observed-generation-bump observed-generation-bump-test:https "$1"; }
{
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: backendtlspolicy-observed-generation-bump, namespace: %s}\nspec:\n  parentRefs: [{name: same-namespace}]\n  rules: [{backendRefs: [{name: observed-generation-bump-test, port: 443}]}]\n' "$INFRA"
	tls_svc observed-generation-bump-test https
	p abc.example.com
} | apply
APPLY_RC=$?
bump() {
	local j g1 g2 P=$INFRA/observed-generation-bump
	applied && j=$(res backendtlspolicy $P) && latest "$j" || return 1
	[ "$(jq '.status.ancestors | length' <<<"$j")" -gt 0 ] || { echo "no ancestor in the status"; return 1; }
	g1=$(jq .metadata.generation <<<"$j")
	p foo.example.com | apply || { echo "the change was refused"; return 1; }
	j=$(res backendtlspolicy $P) && latest "$j" || return 1
	jq -e '.status.ancestors[] | select(.ancestorRef.name == "same-namespace") | .conditions[] |
		select(.type == "Accepted" and .status == "True")' <<<"$j" >/dev/null ||
		{ echo "not Accepted True under same-namespace"; return 1; }
	g2=$(jq .metadata.generation <<<"$j")
	[ "$g1" != "$g2" ] || { echo "generation $g1 unchanged after the change"; return 1; }
}
tcase "observedGeneration should increment" bump
