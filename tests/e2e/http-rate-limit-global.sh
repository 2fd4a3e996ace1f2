# Global rate limits (agentgateway's remoteRateLimit route policy) against a
# real rate limit service: tests/e2e/ratelimit_server.py speaks Envoy's
# envoy.service.ratelimit.v3 ShouldRateLimit over gRPC (python3-grpcio) and
# keeps fixed-window counters in a real Redis (Debian's redis-server), as
# envoyproxy/ratelimit does. agentgateway's traffic-ratelimiting-global
# example (its route policy and the service's config, verbatim) holds: five
# GET / a minute, the sixth 429 with the x-ratelimit-* fields. The
# descriptors' CEL values (source.address, literals; a number as its text,
# as agentgateway writes it) are what the service is asked; a descriptor
# whose value has no text (a double), or is a header that is not UTF-8
# (which the service could not decode, the whole call with it), is left
# out, and with none left the service is not asked. The service's response
# headers go on the response, its request headers to the backend, its raw
# body on a 429. A service that is not there passes the request (failOpen)
# or is 500 "rate limit failed" (failClosed, the default). HTTP/2 clients get the same
# answers. The same through an AgentgatewayPolicy's traffic.rateLimit.global
# (url, or a backendRef to the service's Service; one to a Service that is
# not there is warned of and fails closed). config_dump prints the policy;
# its unsupported keys are refused by name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080
DEAD=$(free_port)
cat >"$WORK/rls.yaml" <<'YAML'
# agentgateway's examples/traffic-ratelimiting-global/ratelimit-config.yaml
domain: agentgateway
descriptors:
  - key: method
    value: "GET"
    descriptors:
      - key: path
        value: "/"
        rate_limit:
          unit: minute
          requests_per_unit: 5
  - key: method
    value: "POST"
    rate_limit:
      unit: minute
      requests_per_unit: 10
  # this scenario's
  - key: remote_address
    rate_limit:
      unit: minute
      requests_per_unit: 3
  - key: extras
    rate_limit:
      unit: minute
      requests_per_unit: 1
YAML
start_rls "$WORK/rls.yaml"

route() { # NAME PREFIX REMOTERATELIMIT-FLOW-MAP
	cat <<YAML
    - name: $1
      matches: [{path: {pathPrefix: $2}}]
      policies:
        remoteRateLimit: $3
      backends: [{host: 127.0.0.1:$V1}]
YAML
}

{
	cat <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
YAML
	route ip /ip "{domain: agentgateway, host: 127.0.0.1:$GP, descriptors: [{entries: [{key: remote_address, value: source.address}]}], policies: {http: {requestTimeout: 1s}}}"
	route extras /extras "{domain: agentgateway, host: 127.0.0.1:$GP, descriptors: [{entries: [{key: extras, value: '\"v1\"'}]}]}"
	route nostr /nostr "{domain: agentgateway, host: 127.0.0.1:$GP, descriptors: [{entries: [{key: remote_address, value: '1.5'}]}]}"
	route port /port "{domain: agentgateway, host: 127.0.0.1:$GP, descriptors: [{entries: [{key: port, value: source.port}]}]}"
	route user /user "{domain: agentgateway, host: 127.0.0.1:$GP, descriptors: [{entries: [{key: user, value: 'request.headers[\"x-user\"]'}]}, {entries: [{key: generic, value: '\"u\"'}]}]}"
	route slow /slow "{domain: agentgateway, host: 127.0.0.1:$GP, failureMode: failOpen, descriptors: [{entries: [{key: sleep, value: '\"3\"'}]}], policies: {http: {requestTimeout: 500ms}}}"
	route slowc /slowc "{domain: agentgateway, host: 127.0.0.1:$GP, descriptors: [{entries: [{key: sleep, value: '\"3\"'}]}], policies: {http: {requestTimeout: 500ms}}}"
	route plain /plain "{domain: agentgateway, host: 127.0.0.1:$GP, descriptors: [{entries: [{key: none, value: '\"x\"'}]}]}"
	route open /open "{domain: agentgateway, host: 127.0.0.1:$DEAD, failureMode: failOpen, descriptors: [{entries: [{key: remote_address, value: source.address}]}]}"
	route closed /closed "{domain: agentgateway, host: 127.0.0.1:$DEAD, descriptors: [{entries: [{key: remote_address, value: source.address}]}]}"
	# agentgateway's examples/traffic-ratelimiting-global/config.yaml's route
	cat <<YAML
    - name: example
      policies:
        remoteRateLimit:
          domain: "agentgateway"
          host: "127.0.0.1:$GP"
          failureMode: failOpen
          descriptors:
          - entries:
            - key: "method"
              value: request.method
            - key: "path"
              value: request.path
            type: "requests"
      backends: [{host: 127.0.0.1:$V1}]
YAML
} >"$WORK/cfg.yaml"

if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

# fresh_window: the service's windows are whole minutes; a series of
# requests that must fall in one starts with 15 s of it left at least.
fresh_window() {
	local s
	s=$(date +%S)
	s=${s#0}
	[ "$s" -lt 45 ] || sleep $((61 - s))
}

limits() { # the last hcall's x-ratelimit-limit/remaining and a reset within the minute
	local reset
	reset=$(resp_header x-ratelimit-reset)
	[ -n "$reset" ] && [ "$reset" -ge 1 ] && [ "$reset" -le 60 ] && reset=ok
	echo "$(resp_header x-ratelimit-limit)/$(resp_header x-ratelimit-remaining)/$reset"
}

fresh_window
got=""
for i in 1 2 3 4 5; do
	hcall "$u/"
	got="$got $H_CODE:$(limits)"
done
check "the example: five GET / a minute pass, counting down" "$got" \
	" 200:5/4/ok 200:5/3/ok 200:5/2/ok 200:5/1/ok 200:5/0/ok"
hcall "$u/"
expect "the example: the sixth GET / is 429" 429 ""
check "... with the x-ratelimit-* fields" "$(limits)" "5/0/ok"
check "what the service was asked" "$(tail -n 1 "$WORK/rls.log" | jq -c '[.domain, .descriptors]')" \
	'["agentgateway",[[["method","GET"],["path","/"]]]]'
hcall --http2-prior-knowledge "$u/"
check "HTTP/2: 429 too" "$H_CODE $(limits)" "429 5/0/ok"
hcall -X POST --data-binary x "$u/other"
check "the example: POST /other has no limit of the service's: passes, no fields" \
	"$H_CODE [$(resp_header x-ratelimit-limit)]" "200 []"

fresh_window
got=""
for i in 1 2 3 4; do
	hcall "$u/ip/x"
	got="$got $H_CODE"
done
check "source.address: three a minute for 127.0.0.1" "$got" " 200 200 200 429"
check "... the client's address was the descriptor's value" \
	"$(tail -n 1 "$WORK/rls.log" | jq -c .descriptors)" '[[["remote_address","127.0.0.1"]]]'

fresh_window
hcall "$u/extras/1"
check "the service's response header on the response, its request header to the backend" \
	"$H_CODE $(resp_header x-rls) $(echo_header x-rls-request)" "200 v1 v1"
hcall "$u/extras/2"
expect "over the limit: the service's raw body" 429 "over the limit: v1"
check "... and its response header" "$(resp_header x-rls)" "v1"

n=$(wc -l <"$WORK/rls.log")
hcall "$u/nostr/x"
check "a descriptor whose value has no text is left out; none left: not asked, passes" \
	"$H_CODE $(wc -l <"$WORK/rls.log")" "200 $n"
hcall "$u/port/x"
check "a number is asked as its text (source.port)" \
	"$H_CODE $(tail -n 1 "$WORK/rls.log" | jq -c '.descriptors[0][0][0], (.descriptors[0][0][1] | test("^[0-9]+$"))' | tr '\n' ' ')" \
	'200 "port" true '
hcall -H $'x-user: b\xe9la' "$u/user/x"
check "a header that is not UTF-8 leaves its descriptor out, the others are asked" \
	"$H_CODE $(tail -n 1 "$WORK/rls.log" | jq -c .descriptors)" '200 [[["generic","u"]]]'

hcall "$u/open/x"
check "the service unreachable, failOpen: passes" "$H_CODE" 200
hcall "$u/plain/x"
check "no limit for the descriptor: OK without x-ratelimit-* fields" \
	"$H_CODE [$(resp_header x-ratelimit-limit)]" "200 []"

# A service that answers after 3 s: the request waits for its timeout
# (500 ms), alone.
(hcall "$u/slowc/x" && echo "$H_CODE $H_BODY" >"$WORK/slow.out") &
SLOW=$!
sleep 0.2
hcall "$u/plain/y"
check "another request is served while the service hangs" \
	"$H_CODE [$(cat "$WORK/slow.out" 2>/dev/null)]" "200 []"
wait "$SLOW"
check "the hanging service, failClosed: 500 after the timeout" "$(cat "$WORK/slow.out")" \
	"500 rate limit failed"
hcall "$u/slow/x"
check "the hanging service, failOpen: passes after the timeout, well before the answer" \
	"$H_CODE $(time_in "$H_TIME" 0.4 2.5 && echo in-time)" "200 in-time"
hcall "$u/closed/x"
expect "the service unreachable, failClosed: 500" 500 "rate limit failed"
hcall --http2-prior-knowledge "$u/closed/x"
expect "HTTP/2: the same" 500 "rate limit failed"
check "the failure is logged with its failure mode" \
	"$(grep -c "remoteRateLimit 127.0.0.1:$DEAD (domain agentgateway).*failClosed" "$WORK/gateway.log")" 2

got=$(inline_policies ip)
json_equal "config_dump: remoteRateLimit in agentgateway's shape" "$got" \
	"[[{\"remoteRateLimit\": {\"domain\": \"agentgateway\", \"host\": \"127.0.0.1:$GP\",
	   \"descriptors\": [{\"entries\": [{\"key\": \"remote_address\", \"value\": \"source.address\"}], \"type\": \"requests\"}],
	   \"failureMode\": \"failClosed\", \"policies\": {\"http\": {\"requestTimeout\": \"1s\"}}}}]]"

# ---- Kubernetes: AgentgatewayPolicy traffic.rateLimit.global -----------------
stop_gateway
{
	gateway_yaml
	service_yaml v1 "$V1"
	echo ---
	httproute_yaml k8s /k8s v1 "$V1"
	cat <<YAML
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: global, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: k8s}]
  traffic:
    rateLimit:
      global:
        url: http://127.0.0.1:$GP
        domain: agentgateway
        failureMode: FailClosed
        descriptors:
        - entries:
          - name: remote_address
            expression: source.address
YAML
	# the same service named by a backendRef to a Service, and one to a
	# Service that is not there
	service_yaml rls "$GP"
	for p in ref:rls none:nowhere; do
		echo ---
		httproute_yaml "k8s${p%%:*}" "/k8s${p%%:*}" v1 "$V1"
		cat <<YAML
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: global-${p%%:*}, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: k8s${p%%:*}}]
  traffic:
    rateLimit:
      global:
        backendRef: {name: ${p#*:}, port: $GP}
        domain: agentgateway
        descriptors:
        - entries:
          - name: remote_address
            expression: source.address
YAML
	done
} >"$WORK/k8s.yaml"
out=$("$SG_BIN" check -c "$WORK/k8s.yaml" 2>&1)
check "check warns of the backendRef to a Service that is not there" \
	"$(grep -c 'rateLimit.global.backendRef: Service e2e/nowhere not found; the calls of policy e2e/global-none fail' <<<"$out")" 1
if ! start_engine auto -c "$WORK/k8s.yaml"; then
	fail "gateway (Kubernetes) did not start"
	finish
fi
redis-cli -p "$RLS_REDIS" flushall >/dev/null
fresh_window
got=""
for i in 1 2 3 4; do
	hcall "$u/k8s/x"
	got="$got $H_CODE:$(resp_header x-ratelimit-remaining)"
done
check "AgentgatewayPolicy rateLimit.global on an HTTPRoute: three a minute" "$got" \
	" 200:2 200:1 200:0 429:0"
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name == "global") | {key, policy}]')
json_equal "config_dump: the policy as agentgateway's traffic policy" "$got" "[{
  \"key\": \"traffic/e2e/global:rl-global:e2e/k8s\",
  \"policy\": {\"traffic\": {\"phase\": \"route\", \"remoteRateLimit\": {
    \"domain\": \"agentgateway\", \"host\": \"127.0.0.1:$GP\",
    \"descriptors\": [{\"entries\": [{\"key\": \"remote_address\", \"value\": \"source.address\"}], \"type\": \"requests\"}],
    \"failureMode\": \"failClosed\", \"policies\": {\"http\": {\"requestTimeout\": \"2s\"}}}}}}]"

redis-cli -p "$RLS_REDIS" flushall >/dev/null
fresh_window
got=""
for i in 1 2 3 4; do
	hcall "$u/k8sref/x"
	got="$got $H_CODE:$(resp_header x-ratelimit-remaining)"
done
check "rateLimit.global with a backendRef to the service's Service: three a minute" "$got" \
	" 200:2 200:1 200:0 429:0"
hcall "$u/k8snone/x"
check "a backendRef to a Service that is not there, FailClosed: 500" "$H_CODE $H_BODY" \
	"500 rate limit failed"
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name | startswith("global-")) | {key, policy}] | sort_by(.key)')
json_equal "config_dump: a backendRef's target as agentgateway's service reference; none unresolved" "$got" "[{
  \"key\": \"traffic/e2e/global-none:rl-global:e2e/k8snone\",
  \"policy\": {\"traffic\": {\"phase\": \"route\", \"remoteRateLimit\": {
    \"domain\": \"agentgateway\",
    \"descriptors\": [{\"entries\": [{\"key\": \"remote_address\", \"value\": \"source.address\"}], \"type\": \"requests\"}],
    \"failureMode\": \"failClosed\", \"policies\": {\"http\": {\"requestTimeout\": \"2s\"}}}}}}, {
  \"key\": \"traffic/e2e/global-ref:rl-global:e2e/k8sref\",
  \"policy\": {\"traffic\": {\"phase\": \"route\", \"remoteRateLimit\": {
    \"domain\": \"agentgateway\", \"service\": {\"name\": \"e2e/rls.e2e.svc.cluster.local\", \"port\": $GP},
    \"descriptors\": [{\"entries\": [{\"key\": \"remote_address\", \"value\": \"source.address\"}], \"type\": \"requests\"}],
    \"failureMode\": \"failClosed\", \"policies\": {\"http\": {\"requestTimeout\": \"2s\"}}}}}}]"

cat >"$WORK/bad.yaml" <<YAML
binds:
- port: 8081
  listeners:
  - routes:
    - policies:
        remoteRateLimit:
          domain: d
          host: 127.0.0.1:1
          descriptors:
          - entries: [{key: k, value: request.path}]
            type: tokens
          - entries: [{key: k, value: request.path}]
            cost: "2"
      backends: [{host: 127.0.0.1:1}]
YAML
out=$("$SG_BIN" check -c "$WORK/bad.yaml" 2>&1)
check "check refuses type tokens and cost by name" \
	"$(grep -c -e 'descriptors\[0\].type: not supported' -e 'descriptors\[1\].cost: not supported' <<<"$out")" 2
finish
