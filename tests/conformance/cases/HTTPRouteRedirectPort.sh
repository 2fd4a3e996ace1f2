# httproute-redirect-port.go: a RequestRedirect's port (alone, with a
# hostname, with a statusCode) is the Location's.
{
	filter_route redirect-port
	filter_rule /port RequestRedirect '{port: 8083}'
	filter_rule /port-and-host RequestRedirect '{hostname: example.org, port: 8083}'
	filter_rule /port-and-status RequestRedirect '{port: 8083, statusCode: 301}'
	filter_rule /port-and-host-and-status RequestRedirect '{port: 8083, hostname: example.org, statusCode: 302}'
} | apply
APPLY_RC=$?
R=$INFRA/redirect-port
N="should receive one of []"
tcase "0 request to '/port' $N" routed $R path=/port code=302 to.port=8083
tcase "1 request to '/port-and-host' $N" routed $R path=/port-and-host code=302 to.host=example.org to.port=8083
tcase "2 request to '/port-and-status' $N" routed $R path=/port-and-status code=301 to.port=8083
tcase "3 request to '/port-and-host-and-status' $N" routed $R path=/port-and-host-and-status code=302 \
	to.port=8083 to.host=example.org
