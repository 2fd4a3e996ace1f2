# httproute-backend-request-redirect.go: a RequestRedirect among a
# backendRef's filters answers the redirect (ReplaceFullPath,
# ReplacePrefixMatch) instead of sending to it.
# As upstream, same-namespace listens on port 80 here (a redirect that
# names no port keeps the listener's: 80 is left out of Location).
br() { # PATH PATH-MODIFIER
	printf '  - matches: [{path: {type: PathPrefix, value: %s}}]\n    backendRefs:\n    - {name: infra-backend-v1, port: 8080, filters: [{type: RequestRedirect, requestRedirect: {path: {%s}}}]}\n' "$1" "$2"
}
{
	gw_yaml same-namespace 80 Same
	filter_route backend-request-redirect
	br /full 'type: ReplaceFullPath, replaceFullPath: /redirected-full'
	br /prefix 'type: ReplacePrefixMatch, replacePrefixMatch: /redirected-prefix'
} | apply
APPLY_RC=$?
R=$INFRA/backend-request-redirect
tcase "0 request to '/full/original' should receive one of []" routed $R port=80 path=/full/original code=302 \
	to.path=/redirected-full
tcase "1 request to '/prefix/original' should receive one of []" routed $R port=80 path=/prefix/original code=302 \
	to.path=/redirected-prefix/original
