# URLRewrite on an HTTPRoute's backendRef (Gateway API's backendRef
# filters): the path and hostname the backend sees are the backendRef's
# rewrite, applied after the rule's own (a rule-level ReplacePrefixMatch,
# then the backendRef's hostname); a backendRef without one gets the rule's
# rewrite alone. Over HTTP/1 and h2c. CORS stays refused on a backendRef.
. "$(dirname "$0")/lib.sh"

start_backend a
A=$BACKEND_PORT
start_backend b
B=$BACKEND_PORT
{
	gateway_yaml
	service_yaml a "$A"
	service_yaml b "$B"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: rw, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /full}}]
    backendRefs:
    - name: a
      port: $A
      filters:
      - type: URLRewrite
        urlRewrite:
          hostname: a.internal
          path: {type: ReplaceFullPath, replaceFullPath: /replaced}
  - matches: [{path: {type: PathPrefix, value: /both}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}
    backendRefs:
    - name: b
      port: $B
      filters:
      - type: URLRewrite
        urlRewrite: {hostname: b.internal}
  - matches: [{path: {type: PathPrefix, value: /rule}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /r}}
    backendRefs: [{name: a, port: $A}]
YAML
} >"$WORK/k8s.yaml"
if ! start_engine auto -c "$WORK/k8s.yaml"; then
	fail "gateway did not start"
	finish
fi
u=http://127.0.0.1:8080
for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt "$u/full/x?q=1"
	check "$opt the backendRef's ReplaceFullPath and hostname" \
		"$H_CODE $(jq -r '"\(.pod) \(.path) \(.host)"' <<<"$H_BODY")" "200 a /replaced?q=1 a.internal"
	hcall $opt "$u/both/x"
	check "$opt the rule's prefix rewrite, then the backendRef's hostname" \
		"$H_CODE $(jq -r '"\(.pod) \(.path) \(.host)"' <<<"$H_BODY")" "200 b /v2/x b.internal"
	hcall $opt "$u/rule/y"
	check "$opt a backendRef without a rewrite: the rule's alone" \
		"$H_CODE $(jq -r '"\(.pod) \(.path) \(.host)"' <<<"$H_BODY")" "200 a /r/y 127.0.0.1:8080"
done
stop_gateway

{
	gateway_yaml
	service_yaml a "$A"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - backendRefs:
    - name: a
      port: $A
      filters:
      - type: CORS
        cors: {allowOrigins: ["https://x.example"]}
YAML
} >"$WORK/bad.yaml"
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "CORS on a backendRef is refused by check: exit 1" "$?" 1
check "the refusal names it" \
	"$(grep -c 'type: CORS is not supported on a backendRef' "$WORK/err")" 1
finish
