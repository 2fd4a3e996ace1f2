# httproute-redirect-host-and-status.go: a RequestRedirect to another
# hostname answers 302 (or the statusCode given), Location on that host.
# As upstream, same-namespace listens on port 80 here (a redirect that
# names no port keeps the listener's: 80 is left out of Location).
{
	gw_yaml same-namespace 80 Same
	filter_route redirect-host-and-status
	filter_rule /hostname-redirect RequestRedirect '{hostname: example.org}'
	filter_rule /host-and-status RequestRedirect '{statusCode: 301, hostname: example.org}'
} | apply
APPLY_RC=$?
R=$INFRA/redirect-host-and-status
tcase "0 request to '/hostname-redirect' should receive one of []" routed $R port=80 path=/hostname-redirect \
	code=302 to.host=example.org
tcase "1 request to '/host-and-status' should receive one of []" routed $R port=80 path=/host-and-status \
	code=301 to.host=example.org
