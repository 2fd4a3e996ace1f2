# Local rate limits (agentgateway's localRateLimit route policy and
# AgentgatewayPolicy traffic.rateLimit.local): a route's bucket starts full,
# each request takes a token, and without one the request gets 429 "rate
# limit exceeded" (gRPC: grpc-status 14) and never reaches the backend;
# every response of a limited route says x-ratelimit-limit/-remaining/-reset
# (a backend's own x-ratelimit-* fields are kept instead). HTTP/1 and HTTP/2 clients and
# both workers take from the same bucket; a fill adds tokensPerFill; a
# reload keeps the tokens of a limit it did not change and starts a changed
# one full; CORS preflights take no token. config_dump prints the limits as
# agentgateway does; bad limits are refused by check and by reload, the
# running config serving on. Kubernetes: requests + burst a unit, a
# Gateway-wide policy shared by its routes, `global` refused by name.
. "$(dirname "$0")/lib.sh"

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080

# standalone_yaml FILL [EXTRA-ROUTE]: route /limited (3 tokens, 1 a FILL),
# /fill (1 token a second), /pair (two limits: 5 an hour and 2 an hour; a
# minute's fill could come between its requests on a slow run),
# /tokens (a tokens limit, which counts no request), /burst (10 an hour,
# and a response transformation) and / (no limit).
standalone_yaml() {
	cat <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: limited
      matches: [{path: {pathPrefix: /limited}}]
      policies:
        cors: {allowOrigins: ["https://a.example"], allowMethods: [GET]}
        localRateLimit:
        - {maxTokens: 3, tokensPerFill: 1, fillInterval: $1}
      backends: [{host: 127.0.0.1:$V1}]
    - name: fill
      matches: [{path: {pathPrefix: /fill}}]
      policies:
        localRateLimit: [{maxTokens: 1, tokensPerFill: 1, fillInterval: 1s}]
      backends: [{host: 127.0.0.1:$V1}]
    - name: pair
      matches: [{path: {pathPrefix: /pair}}]
      policies:
        localRateLimit:
        - {maxTokens: 5, tokensPerFill: 5, fillInterval: 1h}
        - {maxTokens: 2, tokensPerFill: 2, fillInterval: 1h, type: requests}
      backends: [{host: 127.0.0.1:$V1}]
    - name: tokens
      matches: [{path: {pathPrefix: /tokens}}]
      policies:
        localRateLimit: [{maxTokens: 1, tokensPerFill: 1, fillInterval: 1h, type: tokens}]
      backends: [{host: 127.0.0.1:$V1}]
    - name: burst
      matches: [{path: {pathPrefix: /burst}}]
      policies:
        localRateLimit: [{maxTokens: 10, tokensPerFill: 10, fillInterval: 1h}]
        transformations: {response: {add: {x-t: "'v'"}}}
      backends: [{host: 127.0.0.1:$V1}]
    ${2:-}
    - name: rest
      backends: [{host: 127.0.0.1:$V1}]
YAML
}

# limits: the last hcall's x-ratelimit-limit and -remaining, or "none".
limits() {
	local l r
	l=$(resp_header x-ratelimit-limit)
	r=$(resp_header x-ratelimit-remaining)
	[ -z "$l$r$(resp_header x-ratelimit-reset)" ] && echo none || echo "$l $r"
}

# reset_in WHAT MIN MAX: the last hcall's x-ratelimit-reset (whole seconds
# to the next fill, which comes at whole intervals after the gateway took
# the config) is in [MIN, MAX].
reset_in() {
	local s
	s=$(resp_header x-ratelimit-reset)
	if [[ "$s" =~ ^[0-9]+$ ]] && [ "$s" -ge "$2" ] && [ "$s" -le "$3" ]; then
		pass "$1: x-ratelimit-reset $s"
	else
		fail "$1: x-ratelimit-reset '$s', want $2 to $3"
	fi
}

standalone_yaml 1h >"$WORK/cfg.yaml"
if ! start_engine auto -c "$WORK/cfg.yaml" --workers 2; then
	fail "gateway did not start"
	finish
fi

# A preflight is answered by CORS before the limit: it takes no token.
hcall -X OPTIONS -H "Origin: https://a.example" -H "Access-Control-Request-Method: GET" \
	"$u/limited/pre"
check "a CORS preflight is answered before the limit" "$H_CODE $(limits)" "200 none"

uuid=$(new_uuid)
for want in "200 3 2" "200 3 1" "200 3 0"; do
	hcall "$u/limited/a?uuid=$uuid"
	check "a token a request: $want" "$H_CODE $(limits)" "$want"
done
reset_in "the next fill is within the hour" 3500 3600
hcall -H "Origin: https://a.example" "$u/limited/a?uuid=$uuid"
expect "no token left: 429" 429 "rate limit exceeded"
check "the 429 says the limit and nothing left" "$(limits)" "3 0"
reset_in "the 429 says when the next fill is" 3500 3600
check "the 429 has the route's CORS lines" "$(resp_header access-control-allow-origin)" \
	https://a.example
check "the 429 is text" "$(resp_header content-type)" text/plain
check "a refused request never reached the backend" "$(backend_count "$V1" "$uuid")" 3
hcall --http2-prior-knowledge "$u/limited/h2"
check "an HTTP/2 client takes from the same bucket" "$H_CODE $H_BODY $(limits)" \
	"429 rate limit exceeded 3 0"
hcall --http2-prior-knowledge -H "content-type: application/grpc" -d '' "$u/limited/pkg.Svc/M"
check "a gRPC call: UNAVAILABLE, with the fields" \
	"$H_CODE $(resp_header grpc-status) $(resp_header grpc-message) $(limits)" \
	"200 14 rate%20limit%20exceeded 3 0"
hcall "$u/rest"
check "a route without a limit: no fields" "$H_CODE $(limits)" "200 none"
hcall "$u/tokens"
hcall "$u/tokens"
check "a limit of tokens counts no request" "$H_CODE $(limits)" "200 none"

# Once refused, a fill within the second gives a token again. The first
# two requests go on one connection of one curl, back to back (two curl
# processes may start more than the second apart on a loaded machine);
# the second's head is the one checked. A fill between them (they can
# straddle a whole second) shows as a second 200: then once more.
for _ in 1 2 3; do
	curl -s --max-time 20 -D "$WORK/both" -o /dev/null -o "$WORK/body" \
		-w '%{http_code}\n' "$u/fill" "$u/fill" >"$WORK/codes"
	H_CODE=$(tail -n1 "$WORK/codes")
	H_HEADERS=$WORK/headers
	awk '/^HTTP\// { n++ } n == 2' "$WORK/both" >"$H_HEADERS"
	[ "$H_CODE" = 429 ] && break
done
check "1 token a second: spent" "$H_CODE $(limits)" "429 1 0"
reset_in "the fill is within the second" 0 1
sleep 1.1
hcall "$u/fill"
check "a fill gives a token again" "$H_CODE $(limits)" "200 1 0"

# Two limits: each request takes from both; the fields name the one with
# fewer left; the third is refused by the second limit.
hcall "$u/pair"
check "two limits: the fields name the tighter" "$H_CODE $(limits)" "200 2 1"
reset_in "two limits: the tighter's next fill" 3300 3600
hcall "$u/pair"
hcall "$u/pair"
check "two limits: the tighter refuses" "$H_CODE $(limits)" "429 2 0"

# A backend that says its own x-ratelimit-* keeps them. The route's
# response transformation adds its line either way.
hcall "$u/burst"
check "a transformed response has our fields and the transformation's line" \
	"$(limits) $(resp_header x-t)" "10 9 v"
hcall -H "X-Echo-Set-Header: X-RateLimit-Remaining: 99" "$u/burst"
check "a backend's own x-ratelimit-remaining is kept, ours not added; x-t still" \
	"$(grep -ci '^x-ratelimit-' "$H_HEADERS") $(resp_header x-ratelimit-remaining) $(resp_header x-t)" \
	"1 99 v"
hcall -H "X-Echo-Set-Header: X-RateLimit-Limit: 99" "$u/burst"
check "a backend's own x-ratelimit-limit is kept, ours not added" \
	"$(resp_header x-ratelimit-limit) $(resp_header x-ratelimit-remaining)" "99 "
hcall --http2-prior-knowledge -H "X-Echo-Set-Header: X-RateLimit-Limit: 99" "$u/burst"
check "so for an HTTP/2 client" \
	"$(resp_header x-ratelimit-limit) $(resp_header x-ratelimit-remaining) $(resp_header x-t)" "99  v"

# 20 requests at once, over both workers, for the 6 tokens left: 6 pass.
uuid=$(new_uuid)
seq 20 | xargs -P 10 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
	"$u/burst/c?uuid=$uuid" >"$WORK/codes"
check "20 at once for 6 tokens: 6 pass, 14 get 429, across workers" \
	"$(sort "$WORK/codes" | uniq -c | awk '{printf "%s:%s ", $2, $1}')" "200:6 429:14 "
check "and the backend saw 6" "$(backend_count "$V1" "$uuid")" 6

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.binds[0].listeners[].routes[] | select(.name == "limited" or .name == "pair") | .inlinePolicies]')
json_equal "config_dump: localRateLimit as agentgateway prints it" "$got" '[
  [{"cors": {"allowCredentials": false, "allowMethods": ["GET"],
             "allowOrigins": ["https://a.example"], "maxAge": null}},
   {"localRateLimit": [{"maxTokens": 3, "tokensPerFill": 1, "fillInterval": "1h0m0s", "type": "requests"}]}],
  [{"localRateLimit": [{"maxTokens": 5, "tokensPerFill": 5, "fillInterval": "1h0m0s", "type": "requests"},
                       {"maxTokens": 2, "tokensPerFill": 2, "fillInterval": "1h0m0s", "type": "requests"}]}]]'

# A reload that adds a route keeps the spent buckets; one that changes a
# limit's numbers starts that limit full.
# reload_until EXTRAS: SIGHUP, then until config_dump has EXTRAS routes
# named extra (5 s at most).
reload_until() {
	kill -HUP "$GW_PID"
	for _ in $(seq 50); do
		curl -s http://127.0.0.1:15000/config_dump |
			jq -e "[.binds[0].listeners[].routes[] | select(.name == \"extra\")] | length == $1" \
				>/dev/null && return 0
		sleep 0.1
	done
	fail "the reload did not go in force"
}
standalone_yaml 1h "- {name: extra, matches: [{path: {pathPrefix: /extra}}], backends: [{host: 127.0.0.1:$V1}]}" \
	>"$WORK/cfg.yaml"
reload_until 1
hcall "$u/pair"
check "a reload keeps an unchanged limit's tokens" "$H_CODE $(limits)" "429 2 0"
standalone_yaml 30m >"$WORK/cfg.yaml"
reload_until 0
hcall "$u/limited/changed"
check "a changed limit starts full" "$H_CODE $(limits)" "200 3 2"
reset_in "its first fill a fillInterval after the reload" 1700 1800

# bad NAME LIMIT WANT: a route with this localRateLimit entry is refused by
# check (exit 1, WANT in the error) and by a reload, the running config
# serving on.
bad() {
	sed "s|- {maxTokens: 3, tokensPerFill: 1, fillInterval: 30m}|- $2|" "$WORK/cfg.yaml" \
		>"$WORK/bad.yaml"
	"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
	check "refused: $1 (exit status)" "$?" 1
	check "refused: $1 (says why)" "$(grep -c -- "$3" "$WORK/err")" 1
}
bad "maxTokens below tokensPerFill" "{maxTokens: 1, tokensPerFill: 2, fillInterval: 1s}" \
	"maxTokens (1) cannot be less than tokensPerFill (2)"
bad "no fillInterval" "{maxTokens: 1, tokensPerFill: 1}" "fillInterval"
bad "a fillInterval of 0" "{maxTokens: 1, tokensPerFill: 1, fillInterval: 0s}" \
	"fillInterval must be longer than 0"
bad "an unknown type" "{maxTokens: 1, fillInterval: 1s, type: bytes}" \
	"expected requests or tokens"
cp "$WORK/bad.yaml" "$WORK/cfg.yaml"
kill -HUP "$GW_PID"
sleep 0.5
hcall "$u/limited/still"
check "a bad reload leaves the limits in force" "$H_CODE $(limits)" "200 3 1"
stop_gateway

# ---- Kubernetes -----------------------------------------------------------
k8s_yaml() {
	gateway_yaml
	service_yaml v1 "$V1"
	for r in one two three; do
		cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $r, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /$r}}]
    backendRefs: [{name: v1, port: $V1}]
YAML
	done
	cat <<YAML
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: per-route, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: one}]
  traffic:
    rateLimit:
      local: [{requests: 2, unit: Minutes, burst: 1}]
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: gateway-wide, namespace: agentgateway-system}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: agentgateway-proxy}]
  traffic:
    rateLimit:
      local: [{requests: 4, unit: Hours}]
YAML
}
k8s_yaml >"$WORK/k8s.yaml"
if ! start_engine auto -c "$WORK/k8s.yaml"; then
	fail "gateway (Kubernetes) did not start"
	finish
fi
codes=""
for _ in 1 2 3 4; do
	hcall "$u/one"
	codes="$codes $H_CODE:$(resp_header x-ratelimit-remaining)"
done
check "requests 2 a minute with burst 1: a bucket of 3" "$codes" " 200:2 200:1 200:0 429:0"
codes=""
for r in two three two three two; do
	hcall "$u/$r"
	codes="$codes $H_CODE:$(resp_header x-ratelimit-limit)/$(resp_header x-ratelimit-remaining)"
done
check "a Gateway's policy: one bucket for its routes" "$codes" \
	" 200:4/3 200:4/2 200:4/1 200:4/0 429:4/0"
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name == "per-route") | {key, policy}]')
json_equal "config_dump: the policy as agentgateway's traffic policy" "$got" '[{
  "key": "traffic/e2e/per-route:rl-local:e2e/one",
  "policy": {"traffic": {"phase": "route", "localRateLimit": [
    {"maxTokens": 3, "tokensPerFill": 2, "fillInterval": "1m0s", "type": "requests"}]}}}]'

sed 's/local: \[{requests: 4, unit: Hours}\]/global: {domain: d, backendRef: {kind: AgentgatewayBackend, name: rl, port: 8081}, descriptors: [{entries: [{name: a, expression: source.address}]}]}/' \
	"$WORK/k8s.yaml" >"$WORK/bad.yaml"
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "rateLimit.global's backendRef to an AgentgatewayBackend: refused by name (global limits: http-rate-limit-global)" \
	"$(grep -c "traffic.rateLimit.global.backendRef.kind: not supported" "$WORK/err")" 1
out=$("$SG_BIN" apply -f "$WORK/bad.yaml" 2>&1)
check "and by apply" "$(grep -c "not supported" <<<"$out")" 1
sed 's/local: \[{requests: 4, unit: Hours}\]/local: [{requests: 4, tokens: 4, unit: Hours}]/' \
	"$WORK/k8s.yaml" >"$WORK/bad.yaml"
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "requests and tokens together: refused" \
	"$(grep -c "expected exactly one of requests, tokens" "$WORK/err")" 1
hcall "$u/two"
check "after the refused apply the policy's bucket is still spent" "$H_CODE" 429
stop_gateway
san_check
finish
