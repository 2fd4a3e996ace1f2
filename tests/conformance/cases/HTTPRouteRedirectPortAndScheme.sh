# httproute-redirect-port-and-scheme.go: a redirect without a port takes
# the redirect scheme's well-known port (left out of Location), else the
# listener's (its port, unless it is its scheme's: 80 for HTTP, 443 for
# HTTPS). Unlike the other cases the listener ports are the suite's own
# here: same-namespace is applied again on port 80, the HTTPS Gateway on
# 443, beside a Gateway on 8080 (the run is root in a network namespace
# of its own, so these ports are free).
S=same-namespace-with-https-listener
{
	gw_yaml same-namespace 80 Same
	{
		gw_head $S
		https_listener https
		https_listener https-with-hostname second-example.org
		https_listener https-with-wildcard-hostname '*.wildcard.org'
		https_listener https-with-hostname-matching-wildcard fourth-example.wildcard.org
	} | sed 's/port: 8443/port: 443/'
	cat <<YAML
$(gw_head same-namespace-with-http-listener-on-8080)
  - {name: http, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}
YAML
	rr() { # PATH REDIRECT-BODY
		filter_rule "$1" RequestRedirect "{$2hostname: example.org}"
	}
	filter_route http-route-for-listener-on-port-80
	rr /scheme-nil-and-port-nil ''
	rr /scheme-nil-and-port-80 'port: 80, '
	rr /scheme-nil-and-port-8080 'port: 8080, '
	rr /scheme-https-and-port-nil 'scheme: https, '
	rr /scheme-https-and-port-443 'scheme: https, port: 443, '
	rr /scheme-https-and-port-8443 'scheme: https, port: 8443, '
	filter_route http-route-for-listener-on-port-8080 same-namespace-with-http-listener-on-8080
	rr /scheme-nil-and-port-nil ''
	rr /scheme-nil-and-port-80 'port: 80, '
	rr /scheme-https-and-port-nil 'scheme: https, '
	filter_route http-route-for-listener-on-port-443 $S
	rr /scheme-nil-and-port-nil ''
	rr /scheme-nil-and-port-443 'port: 443, '
	rr /scheme-nil-and-port-8443 'port: 8443, '
	rr /scheme-http-and-port-nil 'scheme: http, '
	rr /scheme-http-and-port-80 'scheme: http, port: 80, '
	rr /scheme-http-and-port-8080 'scheme: http, port: 8080, '
} | apply
APPLY_RC=$?
# at ROUTE GATEWAY CHECK-WORDS...
at() { route_ok "$INFRA/$1" "$INFRA/$2" && check code=302 to.host=example.org "${@:3}"; }
N="should receive one of []"
P=http-listener-on-80
A="at http-route-for-listener-on-port-80 same-namespace port=80"
tcase "$P/0 request to '/scheme-nil-and-port-nil' $N" $A path=/scheme-nil-and-port-nil to.scheme=http
tcase "$P/1 request to '/scheme-nil-and-port-80' $N" $A path=/scheme-nil-and-port-80 to.scheme=http
tcase "$P/2 request to '/scheme-nil-and-port-8080' $N" $A path=/scheme-nil-and-port-8080 to.scheme=http to.port=8080
tcase "$P/3 request to '/scheme-https-and-port-nil' $N" $A path=/scheme-https-and-port-nil to.scheme=https
tcase "$P/4 request to '/scheme-https-and-port-443' $N" $A path=/scheme-https-and-port-443 to.scheme=https
tcase "$P/5 request to '/scheme-https-and-port-8443' $N" $A path=/scheme-https-and-port-8443 to.scheme=https to.port=8443
P=http-listener-on-8080
A="at http-route-for-listener-on-port-8080 same-namespace-with-http-listener-on-8080 port=8080"
tcase "$P/0 request to '/scheme-nil-and-port-nil' $N" $A path=/scheme-nil-and-port-nil to.scheme=http to.port=8080
tcase "$P/1 request to '/scheme-nil-and-port-80' $N" $A path=/scheme-nil-and-port-80 to.scheme=http
tcase "$P/2 request to '/scheme-https-and-port-nil' $N" $A path=/scheme-https-and-port-nil to.scheme=https
P=https-listener-on-443
A="at http-route-for-listener-on-port-443 $S port=443 sni=example.org"
tcase "$P/0 request to 'example.org/scheme-nil-and-port-nil' $N" $A path=/scheme-nil-and-port-nil to.scheme=https
tcase "$P/1 request to 'example.org/scheme-nil-and-port-443' $N" $A path=/scheme-nil-and-port-443 to.scheme=https
tcase "$P/2 request to 'example.org/scheme-nil-and-port-8443' $N" $A path=/scheme-nil-and-port-8443 to.scheme=https to.port=8443
tcase "$P/3 request to 'example.org/scheme-http-and-port-nil' $N" $A path=/scheme-http-and-port-nil to.scheme=http
tcase "$P/4 request to 'example.org/scheme-http-and-port-80' $N" $A path=/scheme-http-and-port-80 to.scheme=http
tcase "$P/5 request to 'example.org/scheme-http-and-port-8080' $N" $A path=/scheme-http-and-port-8080 to.scheme=http to.port=8080
