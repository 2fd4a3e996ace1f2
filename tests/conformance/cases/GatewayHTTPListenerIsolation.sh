# gateway-http-listener-isolation.go: four HTTP listeners on one port, with
# no hostname, *.example.com, *.foo.example.com and abc.foo.example.com: a
# request goes to the most specific listener whose hostname it matches and
# reaches only the routes attached there, also when every route names all
# four hostnames. The two Gateways listen on 80 upstream (each its own
# address); here 10080 and 10081.
listeners() { # PORT
	local n h
	for n in empty-hostname:'' wildcard-example-com:'*.example.com' \
		wildcard-foo-example-com:'*.foo.example.com' abc-foo-example-com:abc.foo.example.com; do
		h=${n#*:}
		printf '  - {name: %s, port: %s, protocol: HTTP%s, allowedRoutes: {namespaces: {from: All}}}\n' \
			"${n%%:*}" "$1" "${h:+, hostname: \"$h\"}"
	done
}
attach() { # ROUTE GATEWAY SECTION [HOSTNAMES]
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs: [{name: %s, namespace: %s, sectionName: %s}]\n' \
		"$1" "$INFRA" "$2" "$INFRA" "$3"
	[ -n "${4:-}" ] && printf '  hostnames: %s\n' "$4"
	printf '  rules:\n  - matches: [{path: {type: PathPrefix, value: /%s}}]\n    backendRefs: [{name: infra-backend-v1, port: 8080}]\n' "$3"
}
GW1=http-listener-isolation
GW2=http-listener-isolation-with-hostname-intersection
ALL='[bar.com, "*.example.com", "*.foo.example.com", abc.foo.example.com]'
SECTIONS="empty-hostname wildcard-example-com wildcard-foo-example-com abc-foo-example-com"
{
	gw_head $GW1
	listeners 10080
	gw_head $GW2
	listeners 10081
	for s in $SECTIONS; do
		attach attaches-to-$s $GW1 $s
		attach attaches-to-$s-with-hostname-intersection $GW2 $s "$ALL"
	done
} | apply
APPLY_RC=$?
routes1='' routes2=''
for s in $SECTIONS; do
	routes1+=${routes1:+,}$INFRA/attaches-to-$s
	routes2+=${routes2:+,}$INFRA/attaches-to-$s-with-hostname-intersection
done
# Each host meets the listener named beside it, and only that listener's
# path reaches the backend.
run() { # SUBTEST PORT ROUTES@GATEWAY
	local i=0 host path want
	MCASE_PREFIX=$1
	for host in bar.com:empty-hostname bar.example.com:wildcard-example-com \
		bar.foo.example.com:wildcard-foo-example-com abc.foo.example.com:abc-foo-example-com; do
		for path in $SECTIONS; do
			want=404
			[ "$path" = "${host#*:}" ] && want=infra-backend-v1
			mcase $i "$3" /$path $want port="$2" host="${host%%:*}"
			i=$((i + 1))
		done
	done
}
run "hostnames are configured only in listeners" 10080 "$routes1@$INFRA/$GW1"
run "intersecting hostnames are configured in listeners and HTTPRoutes" 10081 "$routes2@$INFRA/$GW2"
