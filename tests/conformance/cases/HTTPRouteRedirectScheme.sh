# httproute-redirect-scheme.go: a RequestRedirect's scheme (alone, with a
# hostname, with a statusCode) is the Location's, its port the scheme's.
{
	filter_route redirect-scheme
	filter_rule /scheme RequestRedirect '{scheme: https}'
	filter_rule /scheme-and-host RequestRedirect '{hostname: example.org, scheme: https}'
	filter_rule /scheme-and-status RequestRedirect '{scheme: https, statusCode: 301}'
	filter_rule /scheme-and-host-and-status RequestRedirect '{scheme: https, statusCode: 302, hostname: example.org}'
} | apply
APPLY_RC=$?
R=$INFRA/redirect-scheme
N="should receive one of []"
tcase "0 request to '/scheme' $N" routed $R path=/scheme code=302 to.scheme=https
tcase "1 request to '/scheme-and-host' $N" routed $R path=/scheme-and-host code=302 to.host=example.org \
	to.scheme=https
tcase "2 request to '/scheme-and-status' $N" routed $R path=/scheme-and-status code=301 to.scheme=https
tcase "3 request to '/scheme-and-host-and-status' $N" routed $R path=/scheme-and-host-and-status code=302 \
	to.scheme=https to.host=example.org
