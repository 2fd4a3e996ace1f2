# httproute-listener-hostname-matching.go: four HTTP listeners on one port
# (upstream 80, here 9001), hostnames bar.com, foo.bar.com, *.bar.com and
# *.foo.com, routes attached by sectionName: a request goes to the route
# of the listener whose hostname matches its Host best (exact before
# wildcard); a Host no listener matches gets 404.
hostname_matching HTTPRoute infra-backend | apply
APPLY_RC=$?
G=$INFRA/httproute-listener-hostname-matching
# The suite's preconditions: each route accepted by its listeners, its
# refs resolved; the Gateway programmed.
ready() {
	local r
	applied && gw_cond $G Programmed True '*' || return 1
	for r in backend-v1:listener-1 backend-v2:listener-2 backend-v3:listener-3 backend-v3:listener-4; do
		route_ok $INFRA/${r%:*} $G:${r#*:} || return 1
	done
}
n=0
one() { # HOST BACKEND|404
	if [ "$2" = 404 ]; then
		tcase "$n request to '$1/' should receive one of []" ready_http "$1" 404
	else
		tcase "$n request to '$1/' should go to $2" ready_http "$1" 200 "$2"
	fi
	n=$((n + 1))
}
ready_http() { ready && http 9001 "$1" / "${@:2}"; }
one bar.com infra-backend-v1
one foo.bar.com infra-backend-v2
one baz.bar.com infra-backend-v3
one boo.bar.com infra-backend-v3
one multiple.prefixes.bar.com infra-backend-v3
one multiple.prefixes.foo.com infra-backend-v3
one foo.com 404
one no.matching.host 404
