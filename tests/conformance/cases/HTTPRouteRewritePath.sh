# httproute-rewrite-path.go: URLRewrite's path, ReplacePrefixMatch (the
# matched prefix replaced, "/" strips it) or ReplaceFullPath, is the path
# the backend gets (also beside a RequestHeaderModifier).
HM='{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Header-Set, value: set-overwrites-values}],
        add: [{name: X-Header-Add, value: header-val-1}, {name: X-Header-Add-Append, value: header-val-2}],
        remove: [X-Header-Remove]}}'
PFX='type: ReplacePrefixMatch, replacePrefixMatch'
FULL='type: ReplaceFullPath, replaceFullPath'
rw() { # PATH URLREWRITE-PATH [MORE-FILTERS]
	printf '  - matches: [{path: {type: PathPrefix, value: %s}}]\n    filters: [{type: URLRewrite, urlRewrite: {path: {%s}}}%s]\n    backendRefs: [{name: infra-backend-v1, port: 8080}]\n' \
		"$1" "$2" "${3:+, $3}"
}
{
	filter_route rewrite-path
	rw /prefix/one "$PFX: /one"
	rw /strip-prefix "$PFX: /"
	rw /full/one "$FULL: /one"
	rw /full/rewrite-path-and-modify-headers "$FULL: /test" "$HM"
	rw /prefix/rewrite-path-and-modify-headers "$PFX: /prefix" "$HM"
} | apply
APPLY_RC=$?
R=$INFRA/rewrite-path
B="should go to infra-backend-v1"
c() { routed $R backend=infra-backend-v1 "$@"; }
MOD=(h='X-Header-Remove: remove-val' h='X-Header-Add-Append: append-val-1' h='X-Header-Set: set-val'
	req='X-Header-Add: header-val-1' req='X-Header-Add-Append: append-val-1,header-val-2'
	req='X-Header-Set: set-overwrites-values' noreq=X-Header-Remove)
tcase "0 request to '/prefix/one/two' $B" c path=/prefix/one/two rpath=/one/two
tcase "1 request to '/strip-prefix/three' $B" c path=/strip-prefix/three rpath=/three
tcase "2 request to '/strip-prefix' $B" c path=/strip-prefix rpath=/
tcase "3 request to '/full/one/two' $B" c path=/full/one/two rpath=/one
tcase "4 request to '/full/rewrite-path-and-modify-headers/test' with headers $B" c \
	path=/full/rewrite-path-and-modify-headers/test rpath=/test "${MOD[@]}"
tcase "5 request to '/prefix/rewrite-path-and-modify-headers/one' with headers $B" c \
	path=/prefix/rewrite-path-and-modify-headers/one rpath=/prefix/one "${MOD[@]}"
