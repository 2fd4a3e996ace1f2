# httproute-observed-generation-bump.go: a backendRef changed bumps the
# route's generation, and its parent conditions follow.
r() { # BACKEND
	cat <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: observed-generation-bump, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules: [{backendRefs: [{name: $1, port: 8080}]}]
YAML
}
r infra-backend-v1 | apply
APPLY_RC=$?
bump() {
	local j g1 g2 R=$INFRA/observed-generation-bump
	applied && j=$(res httproute $R) && latest "$j" || return 1
	g1=$(jq .metadata.generation <<<"$j")
	r infra-backend-v2 | apply || { echo "the change was refused"; return 1; }
	parent HTTPRoute $R $INFRA/same-namespace Accepted True Accepted &&
		parent HTTPRoute $R $INFRA/same-namespace ResolvedRefs True ResolvedRefs || return 1
	j=$(res httproute $R) && latest "$j" || return 1
	g2=$(jq .metadata.generation <<<"$j")
	[ "$g1" != "$g2" ] || { echo "generation $g1 unchanged after the change"; return 1; }
}
tcase "observedGeneration should increment" bump
