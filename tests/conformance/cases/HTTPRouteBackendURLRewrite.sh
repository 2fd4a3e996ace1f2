# httproute-backend-url-rewrite.go: a URLRewrite among a backendRef's
# filters rewrites the path that backend gets (ReplaceFullPath,
# ReplacePrefixMatch).
br() { # PATH PATH-MODIFIER
	printf '  - matches: [{path: {type: PathPrefix, value: %s}}]\n    backendRefs:\n    - {name: infra-backend-v1, port: 8080, filters: [{type: URLRewrite, urlRewrite: {path: {%s}}}]}\n' "$1" "$2"
}
{
	filter_route backend-url-rewrite
	br /full 'type: ReplaceFullPath, replaceFullPath: /rewritten-full'
	br /prefix 'type: ReplacePrefixMatch, replacePrefixMatch: /rewritten-prefix'
} | apply
APPLY_RC=$?
R=$INFRA/backend-url-rewrite
B="should go to infra-backend-v1"
tcase "0 request to '/full/original' $B" routed $R path=/full/original rpath=/rewritten-full \
	backend=infra-backend-v1
tcase "1 request to '/prefix/original' $B" routed $R path=/prefix/original \
	rpath=/rewritten-prefix/original backend=infra-backend-v1
