# httproute-https-listener-detect-misdirected-requests.go: HTTP/2 over TLS
# to same-namespace-with-https-listener (:8443), whose listeners name no
# hostname, second-example.org, *.wildcard.org and
# fourth-example.wildcard.org: a request whose :authority is served by
# another listener than its SNI chose is answered 421 (RFC 9110 15.5.20);
# one no listener serves, 404 where its SNI's listener has no hostname.
r() { # N SECTION BACKEND [HOSTNAMES]
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: https-listener-detect-misdirected-requests-test-%s, namespace: %s}\nspec:\n  parentRefs: [{name: same-namespace-with-https-listener, sectionName: %s}]\n' \
		"$1" "$INFRA" "$2"
	[ -n "${4:-}" ] && printf '  hostnames: [%s]\n' "$4"
	printf '  rules:\n  - matches: [{path: {type: PathPrefix, value: /detect-misdirected-requests}}]\n    backendRefs: [{name: %s, port: 8080}]\n' "$3"
}
{
	r 1 https infra-backend-v1 example.org
	r 2 https-with-hostname infra-backend-v2
	r 3 https-with-wildcard-hostname infra-backend-v3
	r 4 https-with-hostname-matching-wildcard infra-backend-v1
} | apply
APPLY_RC=$?
R=
for n in 1 2 3 4; do R+=${R:+,}$INFRA/https-listener-detect-misdirected-requests-test-$n; done
R+=@$INFRA/same-namespace-with-https-listener
i=0
md() { # SNI HOST WANT
	local p=/detect-misdirected-requests words=(port=8443 sni="$1" h="Host: $2" h2=1 path=/detect-misdirected-requests)
	if [[ $3 == [0-9]* ]]; then
		tcase "$i request to '$2$p' should receive one of [$3]" routes_check "$R" "${words[@]}" code="$3"
	else
		tcase "$i request to '$2$p' should go to $3" routes_check "$R" "${words[@]}" backend="$3"
	fi
	i=$((i + 1))
}
md example.org example.org infra-backend-v1
md example.org second-example.org 421
md example.org unknown-example.org 404
md second-example.org second-example.org infra-backend-v2
md second-example.org example.org 421
md second-example.org unknown-example.org 421
md third-example.wildcard.org third-example.wildcard.org infra-backend-v3
md third-example.wildcard.org fith-example.wildcard.org infra-backend-v3
md third-example.wildcard.org fourth-example.wildcard.org 421
md third-example.wildcard.org second-example.org 421
md third-example.wildcard.org unknown-example.org 421
md fourth-example.wildcard.org fourth-example.wildcard.org infra-backend-v1
md fourth-example.wildcard.org fith-example.wildcard.org 421
md unknown-example.org example.org infra-backend-v1
md unknown-example.org unknown-example.org 404
