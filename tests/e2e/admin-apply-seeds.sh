# The seeds' own workflow with `splicegate apply -f-` in place of
# `kubectl apply -f-` (and `-n httpbin` where the seed passes it): each jq
# query returns the seed's JSON, every cleanup command deletes what was
# applied or says NotFound, `delete -f-` removes what a file added, a
# rejected change leaves the config in force.
. "$(dirname "$0")/lib.sh"

# README's "Follow agentgateway's guides" starts on this file.
start_gateway -c "$REPO_DIR/config/examples/gateway-api.yaml" || exit 1
dump() { curl -s http://localhost:15000/config_dump; }

# expect_out NAME WANT CMD...: the command's stdout+stderr is exactly WANT.
expect_out() {
	local name=$1 want=$2 got
	shift 2
	got=$("$@" 2>&1)
	[ "$got" = "$want" ] && pass "$name" || fail "$name: got '$got'"
}

# Seed 000: step 1 (the HTTPRoute) says `kubectl apply -n httpbin -f-`,
# step 2 (the AgentgatewayPolicy, in agentgateway-system) `kubectl apply
# -f-`; as kubectl, -n httpbin would refuse the policy.
out=$({ seed_yaml seeds/000-idle.yaml | awk '/^---/ { exit } { print }' |
	"$SG_BIN" apply -n httpbin -f- &&
	seed_yaml seeds/000-idle.yaml | awk 'p { print } /^---/ { p = 1 }' |
	"$SG_BIN" apply -f-; } 2>&1)
[ "$out" = "httproute.gateway.networking.k8s.io/idle-timeout created
agentgatewaypolicy.agentgateway.dev/idle-time created" ] && pass "seed 000 apply output" ||
	fail "seed 000 apply said: $out"
json_equal "seed 000 jq after apply" \
	"$(dump | jq '[.policies[] | select(.policy.frontend != null and .policy.frontend.hTTP != null and .policy.frontend.hTTP.http1IdleTimeout != null)] | .[0]')" \
	"$(cat seeds/000.expected.json)"
out=$(seed_yaml seeds/000-idle.yaml | "$SG_BIN" apply -f- 2>&1)
[ "$out" = "httproute.gateway.networking.k8s.io/idle-timeout unchanged
agentgatewaypolicy.agentgateway.dev/idle-time unchanged" ] && pass "re-apply of the same resources says unchanged" ||
	fail "re-apply said: $out"
expect_out "seed 000 cleanup: route" "httproute.gateway.networking.k8s.io/idle-timeout deleted" \
	"$SG_BIN" delete httproute idle-timeout -n httpbin
expect_out "seed 000 cleanup: policy" "agentgatewaypolicy.agentgateway.dev/idle-time deleted" \
	"$SG_BIN" delete AgentgatewayPolicy idle-time -n agentgateway-system
[ "$(dump | jq -c '[.policies, [.binds[].listeners[].routes | keys[]]]')" = '[[],[]]' ] &&
	pass "nothing left after cleanup" || fail "left: $(dump | jq -c '.policies')"

# Seed 002: the TCP policy, its cleanup, then the HTTP policy of the same name.
"$SG_BIN" apply -f- <seeds/002-tcp.yaml >/dev/null
json_equal "seed 002 TCP jq after apply" \
	"$(dump | jq '[.policies[] | select(.policy.frontend != null and .policy.frontend.tCP != null and .policy.frontend.tCP.keepalives != null)] | .[0]')" \
	"$(cat seeds/002-tcp.expected.json)"
expect_out "seed 002 cleanup" "agentgatewaypolicy.agentgateway.dev/httpbin-keepalive deleted" \
	"$SG_BIN" delete AgentgatewayPolicy httpbin-keepalive -n httpbin
"$SG_BIN" apply -f- <seeds/002-http.yaml >/dev/null
json_equal "seed 002 HTTP jq after apply" \
	"$(dump | jq '[.policies[] | select(.policy.frontend != null and .policy.frontend.hTTP != null and .policy.frontend.hTTP.http2KeepaliveInterval != null)] | .[0]')" \
	"$(cat seeds/002-http.expected.json)"
"$SG_BIN" delete AgentgatewayPolicy httpbin-keepalive -n httpbin >/dev/null

# `delete -f-`: what a file applied, removed by the same file; a second
# time, NotFound and exit 1.
"$SG_BIN" apply -f- <seeds/002-tcp.yaml >/dev/null
expect_out "delete -f- removes what apply -f- added" \
	"agentgatewaypolicy.agentgateway.dev/httpbin-keepalive deleted" \
	"$SG_BIN" delete -f- <seeds/002-tcp.yaml
"$SG_BIN" delete -f- <seeds/002-tcp.yaml >"$WORK/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -qF 'Error from server (NotFound): agentgatewaypolicy.agentgateway.dev "httpbin-keepalive" not found' "$WORK/out" &&
	pass "delete -f- of what is gone: NotFound, exit 1" || fail "rc=$rc $(cat "$WORK/out")"

# Seed 004, and its cleanup as written (two of its deletes name nothing).
"$SG_BIN" apply -f- <seeds/004-retry.yaml >/dev/null
json_equal "seed 004 jq after apply" \
	"$(dump | jq '[.binds[].listeners | to_entries[] | select(.value.routes | to_entries | any(.value.name == "retry")) | { key: .key, value: (.value | .routes = ((.routes | to_entries | map(select(.value.name == "retry")) | from_entries))) } ] | .[0] | .key as $k | .value as $v | {($k): $v}')" \
	"$(cat seeds/004.expected.json)"
expect_out "seed 004 cleanup: route" "httproute.gateway.networking.k8s.io/retry deleted" \
	"$SG_BIN" delete httproute retry -n httpbin
"$SG_BIN" delete AgentgatewayPolicy retry -n httpbin >"$WORK/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -qF 'Error from server (NotFound): agentgatewaypolicy.agentgateway.dev "retry" not found' "$WORK/out" &&
	pass "deleting what does not exist: NotFound, exit 1" || fail "rc=$rc $(cat "$WORK/out")"
"$SG_BIN" delete AgentgatewayPolicy retry -n agentgateway-system >"$WORK/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -qF 'Error from server (NotFound): agentgatewaypolicy.agentgateway.dev "retry" not found' "$WORK/out" &&
	pass "seed 004's last cleanup: NotFound, exit 1" || fail "rc=$rc $(cat "$WORK/out")"
[ "$(dump | jq -c '[.policies, [.binds[].listeners[].routes | keys[]]]')" = '[[],[]]' ] &&
	pass "nothing left after seed 004's cleanup" || fail "left: $(dump | jq -c '.policies')"

# A rejected change: exit 1, a precise error, the config in force unchanged.
before=$(dump)
cat >"$WORK/bad.yaml" <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: broken, namespace: httpbin}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - timeouts: {request: soon}
    backendRefs: [{name: httpbin, port: 8000}]
YAML
"$SG_BIN" apply -f "$WORK/bad.yaml" >"$WORK/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -qF 'apply#' "$WORK/out" && grep -qF 'spec.rules[0].timeouts.request: expected a duration such as "500ms" or "1s", got "soon"' "$WORK/out" &&
	pass "bad apply rejected with a precise error" || fail "rc=$rc $(cat "$WORK/out")"
[ "$(dump)" = "$before" ] && pass "config unchanged after a rejected apply" || fail "config changed"
curl -s -o /dev/null -w '%{http_code}' http://localhost:15000/config_dump | grep -q 200 &&
	pass "gateway still serving" || fail "admin gone"
# Seed 004's first step installs the Gateway API CRDs; here they are built in.
url=https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.0/experimental-install.yaml
expect_out "seed 004 CRD install step: built in, exit 0" \
	"the Gateway API kinds (Gateway, HTTPRoute, TCPRoute, ReferenceGrant, ...) are built into splicegate: nothing to install from $url" \
	"$SG_BIN" apply --server-side -f "$url"
"$SG_BIN" apply -f https://example.com/other.yaml 2>/dev/null && fail "apply of another URL succeeded" ||
	pass "apply of another URL: exit 1, says to fetch it first"
finish
