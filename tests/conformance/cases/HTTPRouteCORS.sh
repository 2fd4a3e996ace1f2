# httproute-cors.go: the CORS filter answers preflights (exact and
# wildcard origins, wildcard methods and headers, credentials only when
# allowed) and marks the answers to simple requests.
cors_route() { # NAME PATH CORS [PATH CORS]
	filter_route "$1"
	filter_rule "$2" CORS "$3" infra-backend-v1
	[ $# -lt 5 ] || filter_rule "$4" CORS "$5" infra-backend-v1
}
{
	cors_route cors-multiple-origins-methods-headers /cors-1 '{allowOrigins: ["https://www.foo.com", "https://*.bar.com"],
      allowMethods: [GET, OPTIONS], allowHeaders: [x-header-1, x-header-2], exposeHeaders: [x-header-3, x-header-4],
      allowCredentials: true, maxAge: 3600}'
	cors_route cors-wildcard-methods /cors-2 '{allowOrigins: ["https://www.foo.com"], allowMethods: ["*"]}'
	cors_route cors-wildcard-origin /cors-wildcard-origin '{allowOrigins: ["*"], allowMethods: [PUT], allowCredentials: false}'
	cors_route cors-wildcard-methods-headers /cors-wildcard-methods-headers \
		'{allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"], allowCredentials: true}' \
		/cors-wildcard-methods-headers-unauth \
		'{allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"], allowCredentials: false}'
} | apply
APPLY_RC=$?
# Every route accepted with its refs resolved, checked once as the suite
# does before its cases (each case then costs one request).
ready() {
	local r
	for r in cors-multiple-origins-methods-headers cors-wildcard-methods cors-wildcard-origin \
		cors-wildcard-methods-headers; do
		route_ok $INFRA/$r || return 1
	done
}
READY=$(ready 2>&1) && READY=ok
c() { [ "$READY" = ok ] || { echo "$READY"; return 1; }; check "$@"; }
PRE=(method=OPTIONS code=200,204 rpath=-)
ONE=(resany='access-control-allow-methods: GET, OPTIONS|OPTIONS, GET'
	resany='access-control-allow-headers: x-header-1, x-header-2|x-header-2, x-header-1'
	resany='access-control-expose-headers: x-header-3, x-header-4|x-header-4, x-header-3'
	resany='access-control-max-age: 3600' resany='access-control-allow-credentials: true')
ASK=(h='access-control-request-method: GET' h='access-control-request-headers: x-header-1, x-header-2')
tcase "CORS preflight request from an exact matching origin should be allowed" c path=/cors-1 "${PRE[@]}" \
	h='Origin: https://www.foo.com' "${ASK[@]}" resany='access-control-allow-origin: https://www.foo.com' "${ONE[@]}"
tcase "CORS preflight request from a wildcard matching origin should be allowed" c path=/cors-1 "${PRE[@]}" \
	h='Origin: https://www.bar.com' "${ASK[@]}" resany='access-control-allow-origin: https://www.bar.com' "${ONE[@]}"
tcase "CORS preflight request from a wildcard matching any number of periods left to '*' should be allowed" c \
	path=/cors-1 "${PRE[@]}" h='Origin: https://xpto.www.bar.com' "${ASK[@]}" \
	resany='access-control-allow-origin: https://xpto.www.bar.com' "${ONE[@]}"
tcase "CORS preflight request from a non-matching origin should not be allowed" c path=/cors-1 \
	method=OPTIONS code=200,204,403 rpath=- h='Origin: https://foobar.com' \
	h='access-control-request-method: GET' nores=access-control-allow-origin
tcase "Simple request from an exact matching origin should be allowed" c path=/cors-1 h='Origin: https://www.foo.com' \
	"${ASK[@]}" resany='access-control-allow-origin: https://www.foo.com'
tcase "Simple request from a wildcard matching origin should be allowed" c path=/cors-1 h='Origin: https://www.bar.com' \
	"${ASK[@]}" resany='access-control-allow-origin: https://www.bar.com'
tcase "Simple request from a non-matching origin should not be allowed" c path=/cors-1 h='Origin: https://foobar.com' \
	h='access-control-request-method: GET' nores=access-control-allow-origin
tcase "CORS preflight request with POST method should be allowed by allowMethods with wildcard" c path=/cors-2 \
	"${PRE[@]}" h='Origin: https://www.foo.com' h='access-control-request-method: POST' \
	resany='access-control-allow-methods: POST|*' resany='access-control-allow-origin: https://www.foo.com' \
	nores=access-control-allow-credentials
tcase "CORS preflight request should not receive access-control-allow-credentials header without access-control-allow-credentials set to true" \
	c path=/cors-2 "${PRE[@]}" h='Origin: https://www.foo.com' h='access-control-request-method: POST' \
	nores=Access-Control-Allow-Credentials
tcase "CORS preflight request from a wildcard origin should return header with '*' or with the requested Origin" c \
	path=/cors-wildcard-origin "${PRE[@]}" h='Origin: https://foobar.com' h='access-control-request-method: PUT' \
	resany='access-control-allow-origin: https://foobar.com|*' resany='access-control-allow-methods: PUT' \
	nores=Access-Control-Allow-Credentials
tcase "CORS preflight request from a wildcard origin containing a port should return header with '*' or with the requested Origin" \
	c path=/cors-wildcard-origin "${PRE[@]}" h='Origin: https://foobar.com:12345' \
	h='access-control-request-method: PUT' resany='access-control-allow-origin: https://foobar.com:12345|*' \
	resany='access-control-allow-methods: PUT' nores=Access-Control-Allow-Credentials
tcase "Request from a wildcard origin containing a port should return header with '*' or with the requested Origin" c \
	path=/cors-wildcard-origin method=PUT h='Origin: https://foobar.com:12345' \
	resany='access-control-allow-origin: https://foobar.com:12345|*'
tcase "Simple request from a wildcard origin should return header with '*' or with the requested Origin" c \
	path=/cors-wildcard-origin method=PUT h='Origin: https://foobar.com' \
	resany='access-control-allow-origin: https://foobar.com|*' nores=Access-Control-Allow-Credentials
tcase "CORS preflight request requesting specific method and headers should be allowed and always echo the origin with allowCredentials set to true" \
	c path=/cors-wildcard-methods-headers "${PRE[@]}" h='Origin: https://other.foo.com' \
	h='access-control-request-method: PUT' h='access-control-request-headers: x-header-1, x-header-2' \
	resany='access-control-allow-origin: https://other.foo.com' resany='access-control-allow-methods: PUT' \
	resany='access-control-allow-headers: x-header-1, x-header-2|x-header-2, x-header-1' \
	resany='access-control-allow-credentials: true'
tcase "CORS preflight request requesting specific method and headers should hide access-control-allow-credentials headers with allowCredentials set to false" \
	c path=/cors-wildcard-methods-headers-unauth "${PRE[@]}" h='Origin: https://other.foo.com' \
	h='access-control-request-method: PUT' h='access-control-request-headers: x-header-1, x-header-2' \
	resany='access-control-allow-origin: https://other.foo.com|*' resany='access-control-allow-methods: PUT|*' \
	resany='access-control-allow-headers: x-header-1, x-header-2|x-header-2, x-header-1|*' \
	nores=access-control-allow-credentials
tcase "CORS request should receive access-control-allow-credentials header with allowCredentials set to true" c \
	path=/cors-wildcard-methods-headers h='Origin: https://other.foo.com' \
	resany='access-control-allow-origin: https://other.foo.com' resany='access-control-allow-credentials: true'
tcase "CORS request should not receive access-control-allow-credentials header without allowCredentials set to true" \
	c path=/cors-wildcard-methods-headers-unauth h='Origin: https://other.foo.com' \
	resany='access-control-allow-origin: https://other.foo.com|*' nores=access-control-allow-credentials
