# HTTPRoute filters as the Gateway API conformance suite checks them (HTTPRouteRequestHeaderModifier, HTTPRouteBackendRequestHeaderModifier, HTTPRouteResponseHeaderModifier, HTTPRouteRedirectPath/HostAndStatus/Port/Scheme/PortAndScheme on an 8080 listener, HTTPRouteRewritePath, HTTPRouteRewriteHost), translated to one host: the echo backend reports what it received; redirects reach no backend. What the API server's validation refuses (RequestRedirect with URLRewrite or with backendRefs, ReplacePrefixMatch without one PathPrefix match, an unknown type, a second URLRewrite, a body of another type) and ExtensionRef are refused by check and apply with the reason, the running config serving on; config_dump prints HTTPRoute filters as agentgateway does (API-server defaults applied). CORS (HTTPRouteCORS: wildcard origins, default maxAge); RequestMirror to two Services, one at a fraction (HTTPRouteRequestMultipleMirrors, percentage within binomial bounds). AgentgatewayPolicy traffic.headerModifiers, directResponse and hostRewrite apply where a route has no filter of that kind, and dump as agentgateway's traffic policies.
. "$(dirname "$0")/lib.sh"

start_backend v1
V1=$BACKEND_PORT
start_backend v2
V2=$BACKEND_PORT
start_backend m1
M1=$BACKEND_PORT
start_backend m2
M2=$BACKEND_PORT
DEAD=$(free_port) # nothing listens there
start_h2backend mh2 || { fail "h2backend did not start"; finish; }
MH2=$H2B_PORT

{
	gateway_yaml
	service_yaml dead "$DEAD"
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: mh2, namespace: e2e}
spec:
  clusterIP: 127.0.0.1
  ports: [{name: h2c, port: $MH2, targetPort: $MH2, appProtocol: kubernetes.io/h2c}]
YAML
	service_yaml v1 "$V1"
	service_yaml v2 "$V2"
	service_yaml m1 "$M1"
	service_yaml m2 "$M2"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: headers, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /set}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: X-Header-Set, value: set-overwrites-values}]}
    backendRefs: [{name: v1, port: $V1}]
  - matches: [{path: {type: PathPrefix, value: /add}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {add: [{name: X-Header-Add, value: add-appends-values}]}
    backendRefs: [{name: v1, port: $V1}]
  - matches: [{path: {type: PathPrefix, value: /remove}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {remove: [X-Header-Remove]}
    backendRefs: [{name: v1, port: $V1}]
  - matches: [{path: {type: PathPrefix, value: /multiple}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Header-Set-1, value: header-set-1}, {name: X-Header-Set-2, value: header-set-2}]
        add:
        - {name: X-Header-Add-1, value: header-add-1}
        - {name: X-Header-Add-2, value: header-add-2}
        - {name: X-Header-Add-3, value: header-add-3}
        remove: [X-Header-Remove-1, X-Header-Remove-2]
    backendRefs: [{name: v1, port: $V1}]
  - matches: [{path: {type: PathPrefix, value: /case-insensitivity}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Header-Set, value: header-set}, {name: x-header-set, value: second-ignored}]
        add: [{name: X-Header-Add, value: header-add}]
        remove: [X-Header-Remove]
    backendRefs: [{name: v1, port: $V1}]
  - matches: [{path: {type: PathPrefix, value: /backend-filter}}]
    backendRefs:
    - name: v2
      port: $V2
      filters:
      - type: RequestHeaderModifier
        requestHeaderModifier: {set: [{name: X-Header-Set, value: from-backend-ref}]}
  - matches: [{path: {type: PathPrefix, value: /response}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        add: [{name: X-Header-Add, value: header-add}, {name: X-Mixedcase-ADD-1, value: m}]
        set: [{name: X-Header-Set, value: header-set}]
        remove: [X-Header-Remove]
    backendRefs: [{name: v1, port: $V1}]
  - matches: [{path: {type: PathPrefix, value: /response-dead}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier: {add: [{name: X-Header-Add, value: header-add}]}
    backendRefs: [{name: dead, port: $DEAD}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: redirects, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /original-prefix}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}}
  - matches: [{path: {type: PathPrefix, value: /full}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /full-path-replacement}}
  - matches: [{path: {type: PathPrefix, value: /host-and-status}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {hostname: example.org, statusCode: 301}
  - matches: [{path: {type: PathPrefix, value: /port-and-host}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {hostname: example.org, port: 8083}
  - matches: [{path: {type: PathPrefix, value: /scheme-and-host}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https, hostname: example.org}
  - matches: [{path: {type: PathPrefix, value: /scheme-nil-and-port-nil}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {hostname: example.org}
  - matches: [{path: {type: PathPrefix, value: /scheme-nil-and-port-80}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {hostname: example.org, port: 80}
  - matches: [{path: {type: PathPrefix, value: /scheme-https-and-port-nil}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https, hostname: example.org}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: rewrites, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /prefix/one}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}
    backendRefs: [{name: v1, port: $V1}]
  - matches: [{path: {type: PathPrefix, value: /strip-prefix}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
    backendRefs: [{name: v1, port: $V1}]
  - matches: [{path: {type: PathPrefix, value: /full/one}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /one}}
    backendRefs: [{name: v1, port: $V1}]
  - matches: [{path: {type: PathPrefix, value: /rewrite-host}}]
    filters:
    - type: URLRewrite
      urlRewrite: {hostname: one.example.org}
    backendRefs: [{name: v2, port: $V2}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: mirrors, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /mirror}}]
    filters:
    - type: RequestMirror
      requestMirror: {backendRef: {name: m1, port: $M1}}
    - type: RequestMirror
      requestMirror: {backendRef: {name: m2, port: $M2}, fraction: {numerator: 1, denominator: 2}}
    backendRefs: [{name: v1, port: $V1}]
  - matches: [{path: {type: PathPrefix, value: /mirror-h2}}]
    filters:
    - type: RequestMirror
      requestMirror: {backendRef: {name: mh2, port: $MH2}}
    backendRefs: [{name: v1, port: $V1}]
  - matches: [{path: {type: PathPrefix, value: /auto-host}}]
    backendRefs: [{name: v2, port: $V2}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cors, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /cors}}]
    filters:
    - type: CORS
      cors:
        allowOrigins: ["https://www.foo.com", "https://*.bar.com"]
        allowMethods: [GET, OPTIONS]
        allowHeaders: [x-header-1]
        exposeHeaders: [x-header-3]
        allowCredentials: true
    backendRefs: [{name: v1, port: $V1}]
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: auto-host, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: mirrors}]
  traffic:
    hostRewrite: {mode: Auto}
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: gw-headers, namespace: agentgateway-system}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: agentgateway-proxy}]
  traffic:
    headerModifiers:
      request: {add: [{name: X-Policy, value: gateway}]}
      response: {set: [{name: X-Policy-Resp, value: gateway}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: maintenance, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /maintenance}}]
    backendRefs: [{name: v1, port: $V1}]
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: down, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: maintenance}]
  traffic:
    directResponse: {status: 503, body: "down for maintenance"}
YAML
} >"$WORK/cfg.yaml"

if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi
u=http://127.0.0.1:8080

hcall -H 'Some-Other-Header: val' "$u/set"
check "set adds" "$(echo_values X-Header-Set)/$(echo_values Some-Other-Header)" "set-overwrites-values/val"
hcall -H 'X-Header-Set: some-other-value' "$u/set"
check "set overwrites" "$(echo_values X-Header-Set)" "set-overwrites-values"
hcall "$u/add"
check "add" "$(echo_values X-Header-Add)" "add-appends-values"
hcall -H 'X-Header-Add: some-other-value' "$u/add"
check "add appends" "$(echo_values X-Header-Add)" "some-other-value,add-appends-values"
hcall -H 'X-Header-Remove: val' "$u/remove"
check "remove" "$(echo_values X-Header-Remove)" ""
hcall -H 'X-Header-Set-2: set-val-2' -H 'X-Header-Add-2: add-val-2' -H 'X-Header-Remove-2: remove-val-2' \
	-H 'Another-Header: another-header-val' "$u/multiple"
check "multiple" \
	"$(echo_values X-Header-Set-1)|$(echo_values X-Header-Set-2)|$(echo_values X-Header-Add-1)|$(echo_values X-Header-Add-2)|$(echo_values X-Header-Add-3)|$(echo_values Another-Header)|$(echo_values X-Header-Remove-1)$(echo_values X-Header-Remove-2)" \
	"header-set-1|header-set-2|header-add-1|add-val-2,header-add-2|header-add-3|another-header-val|"
hcall -H 'x-header-set: original-val-set' -H 'x-header-add: original-val-add' \
	-H 'x-header-remove: original-val-remove' "$u/case-insensitivity"
check "case-insensitivity (first of equal names wins)" \
	"$(echo_values X-Header-Set)|$(echo_values X-Header-Add)|$(echo_values X-Header-Remove)" \
	"header-set|original-val-add,header-add|"
hcall -H 'X-Header-Set: client' "$u/backend-filter"
check "backendRef filter" "$(jq -r .pod <<<"$H_BODY") $(echo_values X-Header-Set)" "v2 from-backend-ref"
hcall -H 'X-Echo-Set-Header: X-Header-Set: some-other-value' -H 'X-Echo-Set-Header: X-Header-Remove: val' \
	"$u/response"
check "response header modifier" \
	"$(resp_header X-Header-Set)|$(resp_header X-Header-Add)|$(resp_header X-Mixedcase-ADD-1)|$(resp_header X-Header-Remove)" \
	"header-set|header-add|m|"
# The gateway's own answer (503: the backend refuses) gets the route's
# response filters too, as agentgateway's errors do.
for v in --http1.1 --http2-prior-knowledge; do
	hcall "$v" "$u/response-dead"
	check "response header modifier on the gateway's 503 ($v)" \
		"$H_CODE $(resp_header X-Header-Add) $(resp_header content-type)" "503 header-add text/plain"
done

# AgentgatewayPolicy traffic filters: a route's own filter of a kind beats
# the policy's.
hcall "$u/rewrite-host/x"
check "policy headerModifiers on a route without its own" \
	"$(echo_values X-Policy) $(resp_header X-Policy-Resp)" "gateway gateway"
hcall "$u/set"
check "the route's RequestHeaderModifier beats the policy's" \
	"$(echo_values X-Policy)|$(echo_values X-Header-Set)|$(resp_header X-Policy-Resp)" \
	"|set-overwrites-values|gateway"
hcall "$u/maintenance"
check "policy directResponse" "$H_CODE $H_BODY $(resp_header x-backend)" "503 down for maintenance "
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name == "gw-headers" or .name.name == "down") | .policy]')
json_equal "config_dump AgentgatewayPolicy traffic filters" "$got" '[
  {"traffic": {"phase": "route", "requestHeaderModifier": {"add": {"X-Policy": "gateway"}}}},
  {"traffic": {"phase": "route", "responseHeaderModifier": {"set": {"X-Policy-Resp": "gateway"}}}},
  {"traffic": {"phase": "route", "directResponse": {"body": "ZG93biBmb3IgbWFpbnRlbmFuY2U=", "status": 503}}}
]'
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name == "auto-host") | .policy]')
json_equal "config_dump hostRewrite" "$got" '[{"traffic": {"phase": "route", "hostRewrite": "auto"}}]'
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.binds[].listeners[].routes[] | select(.name == "mirrors") | .inlinePolicies // empty][0]')
json_equal "config_dump RequestMirror" "$got" '[{"requestMirror": [
  {"backend": {"service": {"name": "e2e/m1.e2e.svc.cluster.local", "port": '"$M1"'}}, "percentage": 1.0},
  {"backend": {"service": {"name": "e2e/m2.e2e.svc.cluster.local", "port": '"$M2"'}}, "percentage": 0.5}]}]'

# HTTPRouteRequestMultipleMirrors and a fraction: every request to m1, about
# half to m2 (200 requests: 100 +- 3 binomial standard deviations), the
# main response from v1 each time. One curl, paced at 100 a second: at full
# speed the copies would outrun the mirror's 64 in flight per worker, past
# which copies are dropped by design (README "Mirroring").
uuid=$(new_uuid)
rm -rf "$WORK/mirror" && mkdir "$WORK/mirror"
curl -s -o "$WORK/mirror/#1" -w '%{http_code}\n' --max-time 60 --rate 100/s \
	"$u/mirror?uuid=$uuid&n=[1-200]" >"$WORK/mirror.codes"
check "mirrored requests answered 200 by v1" \
	"$(grep -c '^200$' "$WORK/mirror.codes") $(cat "$WORK"/mirror/* | jq -r .pod | grep -c '^v1$')" \
	"200 200"
for _ in $(seq 50); do
	[ "$(backend_count "$M1" "$uuid")" = 200 ] && break
	sleep 0.1
done
check "every request mirrored to m1" "$(backend_count "$M1" "$uuid")" 200
n=$(backend_count "$M2" "$uuid")
if [ "$n" -ge 79 ] && [ "$n" -le 121 ]; then
	pass "half of them mirrored to m2 ($n of 200)"
else
	fail "fraction 1/2 mirrored $n of 200 to m2 (want 79..121)"
fi
# A mirror to a Service port of appProtocol kubernetes.io/h2c speaks
# HTTP/2 to it, as a backendRef there does (its copies were HTTP/1.1
# requests to an h2c server before).
hcall "$u/mirror-h2/get"
hcall -X POST -d hello "$u/mirror-h2/post"
check "mirrored to h2c: answered by v1" "$H_CODE $(jq -r .pod <<<"$H_BODY")" "200 v1"
for _ in $(seq 50); do
	[ "$(h2stats "$MH2" streams)" = 2 ] && break
	sleep 0.1
done
check "both copies reached the h2c mirror as HTTP/2 streams, none as HTTP/1" \
	"$(h2stats "$MH2" streams) $(h2stats "$MH2" http1_connections)" "2 0"
h2backend_clean mh2 "$MH2"
hcall "$u/auto-host/x"
check "hostRewrite Auto: the backend's host name as Host" "$(jq -r .host <<<"$H_BODY")" \
	"v2.e2e.svc.cluster.local"
hcall "$u/set"
check "hostRewrite on another route changes nothing there" "$(jq -r .host <<<"$H_BODY")" \
	"127.0.0.1:8080"

# HTTPRouteCORS: a preflight from an allowed (wildcard) origin is answered by
# the gateway with the API server's default max-age 5; another origin's
# preflight gets no CORS headers.
hcall -X OPTIONS -H 'Origin: https://app.bar.com' -H 'Access-Control-Request-Method: GET' \
	"$u/cors"
check "CORS preflight" \
	"$H_CODE|$(resp_header access-control-allow-origin)|$(resp_header access-control-allow-methods)|$(resp_header access-control-allow-headers)|$(resp_header access-control-expose-headers)|$(resp_header access-control-max-age)|$(resp_header access-control-allow-credentials)|$(resp_header x-backend)" \
	"200|https://app.bar.com|GET,OPTIONS|x-header-1|x-header-3|5|true|"
hcall -X OPTIONS -H 'Origin: https://foo.com' -H 'Access-Control-Request-Method: GET' "$u/cors"
check "CORS preflight from another origin" "$H_CODE|$(resp_header access-control-allow-origin)" "200|"
hcall -H 'Origin: https://www.foo.com' "$u/cors"
check "CORS actual request" \
	"$H_CODE|$(resp_header x-backend)|$(resp_header access-control-allow-origin)|$(resp_header access-control-expose-headers)" \
	"200|v1|https://www.foo.com|x-header-3"

# redirect PATH WANT-STATUS WANT-LOCATION
redirect() {
	hcall "$u$1"
	check "redirect $1" "$H_CODE $(resp_header location) $(resp_header x-backend)" "$2 $3 "
}
redirect /original-prefix/lemon 302 http://127.0.0.1:8080/replacement-prefix/lemon
redirect /full/path/original 302 http://127.0.0.1:8080/full-path-replacement
redirect /host-and-status 301 http://example.org:8080/host-and-status
redirect /port-and-host 302 http://example.org:8083/port-and-host
redirect /scheme-and-host 302 https://example.org/scheme-and-host
redirect /scheme-nil-and-port-nil 302 http://example.org:8080/scheme-nil-and-port-nil
redirect /scheme-nil-and-port-80 302 http://example.org/scheme-nil-and-port-80
redirect /scheme-https-and-port-nil 302 https://example.org/scheme-https-and-port-nil

hcall "$u/prefix/one/two"
check "rewrite prefix" "$(jq -r .path <<<"$H_BODY")" /one/two
hcall "$u/strip-prefix/three"
check "rewrite strip prefix" "$(jq -r .path <<<"$H_BODY")" /three
hcall "$u/strip-prefix"
check "rewrite strip whole prefix" "$(jq -r .path <<<"$H_BODY")" /
hcall "$u/full/one/two"
check "rewrite full path" "$(jq -r .path <<<"$H_BODY")" /one
hcall "$u/rewrite-host/x"
check "rewrite host" "$(jq -r '.host + " " + .pod' <<<"$H_BODY")" "one.example.org v2"

# refused NAME FILTERS-YAML WANT: an HTTPRoute rule with these filters (and
# a backendRef unless the YAML says "nobackend") is refused by check, exit
# 1, with an error naming WANT; and by apply, which leaves the running
# config serving.
refused() {
	local refs="backendRefs: [{name: v1, port: $V1}]"
	case $2 in *nobackend*) refs="" ;; esac
	{
		gateway_yaml
		service_yaml v1 "$V1"
		cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: Exact, value: /bad}}]
    filters: ${2/nobackend/}
    $refs
YAML
	} >"$WORK/bad.yaml"
	"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
	check "refused: $1 (exit status)" "$?" 1
	check "refused: $1 (says why)" "$(grep -c -- "$3" "$WORK/err")" 1
	"$SG_BIN" apply -f "$WORK/bad.yaml" >/dev/null 2>&1
	hcall "$u/bad"
	check "refused: $1 (not in force after apply)" "$H_CODE" 404
	hcall "$u/set"
	check "refused: $1 (the running config still serves)" "$H_CODE" 200
}
refused "RequestRedirect with URLRewrite" \
	'[{type: RequestRedirect, requestRedirect: {hostname: a}}, {type: URLRewrite, urlRewrite: {hostname: b}}] nobackend' \
	"cannot be combined"
refused "RequestRedirect with backendRefs" \
	'[{type: RequestRedirect, requestRedirect: {hostname: a}}]' "RequestRedirect filter must not be used together with backendRefs"
refused "ReplacePrefixMatch on an Exact match" \
	'[{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}}}]' \
	"exactly one match, of type PathPrefix"
refused "an unknown type" '[{type: Frobnicate}]' '"Frobnicate" is not supported'
refused "ExtensionRef" '[{type: ExtensionRef, extensionRef: {group: g, kind: k, name: n}}]' \
	'"ExtensionRef" is not supported'
refused "a second URLRewrite" \
	'[{type: URLRewrite, urlRewrite: {hostname: a}}, {type: URLRewrite, urlRewrite: {hostname: b}}]' \
	"a second URLRewrite filter"
refused "a body of another type" '[{type: URLRewrite, requestRedirect: {hostname: a}}]' \
	"has type and urlRewrite, and nothing else"

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.binds[].listeners[].routes[] | select(.name == "headers" or .name == "redirects") | .inlinePolicies // empty | .[]] | .[0:2] + .[-2:]')
json_equal "config_dump HTTPRoute filters" "$got" '[
  {"requestHeaderModifier": {"set": {"X-Header-Set": "set-overwrites-values"}}},
  {"requestHeaderModifier": {"add": {"X-Header-Add": "add-appends-values"}}},
  {"requestRedirect": {"authority": {"full": "example.org:80"}, "status": 302}},
  {"requestRedirect": {"scheme": "https", "authority": {"host": "example.org"}, "status": 302}}
]'
stop_gateway
finish
