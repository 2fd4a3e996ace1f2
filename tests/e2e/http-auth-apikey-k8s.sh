# AgentgatewayPolicy traffic.apiKeyAuthentication (agentgateway's CRD
# shape), applied at run time with `splicegate apply -f-` onto an
# HTTPRoute, its keys in a Secret as the CRD documents them: a plain key
# (stringData), a JSON {key, metadata} (base64 data) and a JSON {keyHash}.
# Before the Secret exists nobody passes (apply warns); once it is applied
# each key passes as a Bearer credential, stripped, and an unknown one
# gets 401; mode Optional lets a request without a key pass. With
# secretSelector the keys of every Secret of the policy's namespace that
# has the labels pass, and those of another Secret do not. config_dump
# prints the policy as a traffic policy; `check` refuses configMapSelector
# by name, secretRef beside secretSelector, and a Secret entry that is
# neither a key nor one JSON object.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
k8s_routes_start "$V1" api opt sel

out=$(cat <<'YAML' | "$SG_BIN" apply -f- 2>&1
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: keys, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: api}]
  traffic:
    apiKeyAuthentication:
      secretRef: {name: api-keys}
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: keys-opt, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: opt}]
  traffic:
    apiKeyAuthentication:
      mode: Optional
      secretRef: {name: api-keys}
YAML
)
check "apply -f- of the policies" "$?" 0
check "apply warns of the missing Secret" \
	"$(grep -c 'secretRef: Secret e2e/api-keys not found; policy e2e/keys lets nobody in until it is' <<<"$out")" 1
hcall -H "Authorization: Bearer k-456" "$u/api/x"
check "before the Secret nobody passes" "$H_CODE" 401

HASH=$(printf 'k-789' | sha256sum | cut -d' ' -f1)
DATA=$(printf '{"key": "k-123", "metadata": {"group": "sales"}}' | base64 -w0)
cat <<YAML | "$SG_BIN" apply -f- >/dev/null 2>&1
apiVersion: v1
kind: Secret
metadata: {name: api-keys, namespace: e2e}
stringData:
  client2: k-456
  client3: '{"keyHash": "sha256:$HASH", "metadata": {"group": "engineering"}}'
data:
  client1: $DATA
YAML
check "apply -f- of the Secret" "$?" 0
for k in k-123 k-456 k-789; do
	hcall -H "Authorization: Bearer $k" "$u/api/x"
	check "key $k passes, stripped" "$H_CODE [$(echo_header authorization)]" "200 []"
done
hcall -H "Authorization: Bearer k-000" "$u/api/x"
check "an unknown key: 401" "$H_CODE" 401
hcall "$u/api/x"
check "no key: 401" "$H_CODE" 401
hcall "$u/opt/x"
check "Optional: no key passes" "$H_CODE" 200

# secretSelector: the keys of the labelled Secrets.
out=$(cat <<'YAML' | "$SG_BIN" apply -f- 2>&1
apiVersion: v1
kind: Secret
metadata: {name: team-a, namespace: e2e, labels: {app: keys, team: a}}
stringData: {c1: k-a}
---
apiVersion: v1
kind: Secret
metadata: {name: team-b, namespace: e2e, labels: {app: keys, team: b}}
stringData: {c1: '{"key": "k-b", "metadata": {"team": "b"}}'}
---
apiVersion: v1
kind: Secret
metadata: {name: other, namespace: e2e, labels: {app: other}}
stringData: {c1: k-other}
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: sel, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: sel}]
  traffic:
    apiKeyAuthentication:
      secretSelector: {matchLabels: {app: keys}}
YAML
)
check "apply -f- of the labelled Secrets and the secretSelector policy" "$?" 0
for k in k-a k-b; do
	hcall -H "Authorization: Bearer $k" "$u/sel/x"
	check "secretSelector: key $k of a labelled Secret passes" "$H_CODE" 200
done
hcall -H "Authorization: Bearer k-other" "$u/sel/x"
check "secretSelector: a key of a Secret without the labels: 401" "$H_CODE" 401

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name == "keys") | .key, .policy.traffic.phase, (.policy.traffic.apiKey | .mode)]')
check "config_dump: a route-phase traffic policy, mode strict" "$got" \
	'["traffic/e2e/keys:apikeyauth:e2e/api","route","strict"]'
stop_gateway

SECRET='apiVersion: v1
kind: Secret
metadata: {name: s, namespace: default}
stringData:
  c1: "{\"key\": 1, \"nokey\": 2}"'
agp_refuses "secretRef beside secretSelector" apiKeyAuthentication \
	"{secretSelector: {matchLabels: {a: b}}, secretRef: {name: s}}" \
	"spec.traffic.apiKeyAuthentication: give exactly one of secretRef and secretSelector" "$SECRET"
agp_refuses "configMapSelector" apiKeyAuthentication \
	"{configMapSelector: {matchLabels: {a: b}}}" \
	"spec.traffic.apiKeyAuthentication.configMapSelector: not supported by splicegate"
agp_refuses "a Secret entry with an unknown field" apiKeyAuthentication "{secretRef: {name: s}}" \
	"Secret default/s: c1" "$SECRET"
finish
