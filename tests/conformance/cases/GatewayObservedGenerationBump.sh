# gateway-observed-generation-bump.go: a listener added to a Gateway bumps
# its generation, and its conditions follow (observedGeneration).
gw() { # EXTRA-LISTENER-LINE
	cat <<YAML
$(gw_head gateway-observed-generation-bump)
  - {name: http, hostname: bar.com, port: 9001, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
$1
YAML
}
gw "" | apply
APPLY_RC=$?
bump() {
	local j g1 g2
	applied && j=$(res gateway $INFRA/gateway-observed-generation-bump) && latest "$j" || return 1
	g1=$(jq .metadata.generation <<<"$j")
	gw "  - {name: alternate, hostname: foo.com, port: 9001, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}" |
		apply || { echo "the change was refused: $(cat "$WORK/apply.out")"; return 1; }
	j=$(res gateway $INFRA/gateway-observed-generation-bump) && latest "$j" || return 1
	g2=$(jq .metadata.generation <<<"$j")
	[ "$g1" != "$g2" ] || { echo "generation $g1 unchanged after the change"; return 1; }
}
tcase "observedGeneration should increment" bump
