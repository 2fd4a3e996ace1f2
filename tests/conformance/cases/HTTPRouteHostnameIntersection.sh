# httproute-hostname-intersection.go: an HTTPRoute attaches to the
# listeners its hostnames intersect (exact or wildcard on either side) and
# serves only the intersection; one that intersects none is Accepted
# False NoMatchingListenerHostname and counted nowhere; a listener without
# a hostname serves the route's own hostnames. The two Gateways (upstream
# both port 80) are here 9001 (httproute-hostname-intersection) and 9002
# (httproute-hostname-intersection-all).
hr() { # NAME GATEWAY HOSTNAMES PATH|- BACKEND
	local m=
	[ "$4" = - ] || m="matches: [{path: {type: PathPrefix, value: $4}}], "
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs: [{name: %s, namespace: %s}]\n  hostnames: %s\n  rules: [{%sbackendRefs: [{name: %s, port: 8080}]}]\n' \
		"$1" "$INFRA" "$2" "$INFRA" "$3" "$m" "$5"
}
G=httproute-hostname-intersection
GA=httproute-hostname-intersection-all
{
	gw_head $G
	for l in "1 very.specific.com" "2 '*.wildcard.io'" "3 '*.anotherwildcard.io'"; do
		echo "  - {name: listener-${l%% *}, port: 9001, protocol: HTTP, hostname: ${l#* }, allowedRoutes: {namespaces: {from: Same}}}"
	done
	gw_head $GA
	echo "  - {name: listener-1, port: 9002, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}"
	hr specific-host-matches-listener-specific-host $G \
		"[non.matching.com, '*.nonmatchingwildcard.io', very.specific.com]" /s1 infra-backend-v1
	hr specific-host-matches-listener-wildcard-host $G \
		"[non.matching.com, wildcard.io, foo.wildcard.io, bar.wildcard.io, foo.bar.wildcard.io]" /s2 infra-backend-v2
	hr wildcard-host-matches-listener-specific-host $G "[non.matching.com, '*.specific.com']" /s3 infra-backend-v3
	hr wildcard-host-matches-listener-wildcard-host $G "['*.anotherwildcard.io']" /s4 infra-backend-v1
	hr no-intersecting-hosts $G "[specific.but.wrong.com, wildcard.io]" /s5 infra-backend-v2
	hr $GA $GA "[first.com, sub.first.com, second.com, sub.second.com]" - infra-backend-v2
} | apply
APPLY_RC=$?
# ready GW ROUTE...: the Gateway programmed, each route accepted by it
# with its refs resolved (GatewayAndHTTPRoutesMustBeAccepted,
# HTTPRouteMustHaveResolvedRefsConditionsTrue).
ready() {
	local r
	applied && gw_cond $INFRA/$1 Programmed True '*' || return 1
	for r in "${@:2}"; do route_ok $INFRA/$r $INFRA/$1 || return 1; done
}
ROUTES=(specific-host-matches-listener-specific-host specific-host-matches-listener-wildcard-host
	wildcard-host-matches-listener-specific-host wildcard-host-matches-listener-wildcard-host)
# req PORT HOST PATH BACKEND|404: one case of subtest $S, numbered $i,
# after the subtest's preconditions ($PRE).
req() {
	if [ "$4" = 404 ]; then
		tcase "$S/$i request to '$2$3' should receive one of []" pre_http "$1" "$2" "$3" 404
	else
		tcase "$S/$i request to '$2$3' should go to $4" pre_http "$1" "$2" "$3" 200 "$4"
	fi
	i=$((i + 1))
}
pre_http() { "${PRE[@]}" && http "$@"; }

S="HTTPRoutes that do intersect with listener hostnames"
PRE=(ready $G "${ROUTES[@]}")
tcase "$S" "${PRE[@]}"
i=0
for c in "very.specific.com /s1 infra-backend-v1" "very.specific.com:1234 /s1 infra-backend-v1" \
	"non.matching.com /s1 404" "foo.nonmatchingwildcard.io /s1 404" "foo.wildcard.io /s1 404" \
	"very.specific.com /non-matching-prefix 404" \
	"foo.wildcard.io /s2 infra-backend-v2" "bar.wildcard.io /s2 infra-backend-v2" \
	"foo.bar.wildcard.io /s2 infra-backend-v2" "non.matching.com /s2 404" "wildcard.io /s2 404" \
	"very.specific.com /s2 404" "foo.wildcard.io /non-matching-prefix 404" \
	"very.specific.com /s3 infra-backend-v3" "non.matching.com /s3 404" "foo.specific.com /s3 404" \
	"foo.wildcard.io /s3 404" "very.specific.com /non-matching-prefix 404" \
	"foo.anotherwildcard.io /s4 infra-backend-v1" "bar.anotherwildcard.io /s4 infra-backend-v1" \
	"foo.bar.anotherwildcard.io /s4 infra-backend-v1" "anotherwildcard.io /s4 404" \
	"foo.wildcard.io /s4 404" "very.specific.com /s4 404" "foo.anotherwildcard.io /non-matching-prefix 404"; do
	# shellcheck disable=SC2086
	req 9001 $c
done

# no_parent: no-intersecting-hosts has exactly one parent, the Gateway
# (group, kind, namespace, name), of this controller, Accepted False
# NoMatchingListenerHostname (HTTPRouteMustHaveParents).
no_parent() {
	local j why
	applied && gw_cond $INFRA/$G Programmed True '*' || return 1
	j=$(res httproute $INFRA/no-intersecting-hosts) || { echo "no HTTPRoute no-intersecting-hosts"; return 1; }
	latest "$j" || return 1
	why=$(jq -r --arg ns "$INFRA" --arg g "$G" '.status.parents // [] |
		if length != 1 then "\(length) parents, want 1"
		else .[0] | [
			if .parentRef.group != "gateway.networking.k8s.io" or .parentRef.kind != "Gateway" or
				.parentRef.namespace != $ns or .parentRef.name != $g
			then "parentRef \(.parentRef | tojson)" else empty end,
			if .controllerName != "splicegate.dev/gateway-controller"
			then "controllerName \(.controllerName)" else empty end
		] | join("; ") end' <<<"$j")
	[ -z "$why" ] || { echo "$why"; return 1; }
	parent HTTPRoute $INFRA/no-intersecting-hosts $INFRA/$G Accepted False NoMatchingListenerHostname
}
S="HTTPRoutes that do not intersect with listener hostnames"
PRE=(no_parent)
tcase "$S" no_parent
i=0
req 9001 specific.but.wrong.com /s5 404
req 9001 wildcard.io /s5 404

# GatewayStatusMustHaveListeners: listener-1 has 2 routes, listener-2
# and listener-3 one each (no-intersecting-hosts counts nowhere).
counted() {
	applied && owner_listeners gateway $INFRA/$G listener-1=2 listener-2=1 listener-3=1
}
tcase "HTTPRoutes have to be counted in AttachedRoutes only if they are Accepted" counted

S="HTTPRoutes intersects with an unspecified hostname listener"
PRE=(ready $GA $GA)
tcase "$S" "${PRE[@]}"
i=0
for c in "first.com infra-backend-v2" "sub.first.com infra-backend-v2" "second.com infra-backend-v2" \
	"sub.second.com infra-backend-v2" "third.com 404" "sub.third.com 404"; do
	req 9002 "${c% *}" / "${c#* }"
done
