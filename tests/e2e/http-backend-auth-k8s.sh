# AgentgatewayPolicy spec.backend.auth (agentgateway's CRD shape) on a
# Service, applied at run time with `splicegate apply -f-`: the credential
# comes from a Secret's Authorization key (its "Bearer " prefix taken off)
# and goes to the backend as Authorization: Bearer, replacing the
# client's; a further credential from another key of the Secret goes in
# its own header. Before the Secret exists apply warns and an empty
# credential is sent. config_dump prints the policy as a backend policy
# with the secrets redacted; `check` refuses a cloud provider's auth and
# two primary credentials by name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
k8s_routes_start "$V1" api

out=$(cat <<'YAML' | "$SG_BIN" apply -f- 2>&1
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: creds, namespace: e2e}
spec:
  targetRefs: [{group: "", kind: Service, name: v1}]
  backend:
    auth:
      secretRef: {name: backend-cred}
      credentials:
      - location: {header: {name: x-tenant}}
        secretRef: {name: backend-cred, key: tenant}
YAML
)
check "apply -f- of the policy" "$?" 0
check "apply warns of the missing Secret, for both credentials" \
	"$(grep -c 'spec.backend.auth.secretRef: Secret e2e/backend-cred not found; policy e2e/creds sends an empty credential until it is' <<<"$out") $(grep -c 'spec.backend.auth.credentials\[0\].secretRef: Secret e2e/backend-cred not found' <<<"$out")" "1 1"

cat <<'YAML' | "$SG_BIN" apply -f- >/dev/null 2>&1
apiVersion: v1
kind: Secret
metadata: {name: backend-cred, namespace: e2e}
stringData:
  Authorization: "Bearer s-1"
  tenant: t-9
YAML
check "apply -f- of the Secret" "$?" 0
for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt -H "authorization: Bearer client" "$u/api/x"
	check "$opt the Secret's credential replaces the client's, and the tenant's header" \
		"$H_CODE $(echo_header authorization) $(echo_header x-tenant)" "200 Bearer s-1 t-9"
done

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name == "creds") | .policy.backend.backendAuth]')
json_equal "config_dump: a backend policy, the secrets redacted" "$got" \
	'[{"key": {"value": "<redacted>"},
	   "credentials": [{"location": {"header": {"name": "x-tenant"}}, "key": "<redacted>"}]}]'
stop_gateway

POL='apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: p, namespace: default}
spec:
  targetRefs: [{group: "", kind: Service, name: s}]
  backend:
    auth:'
printf '%s\n      aws: {}\n' "$POL" >"$WORK/aws.yaml"
out=$("$SG_BIN" check -c "$WORK/aws.yaml" 2>&1)
check "check refuses backend.auth.aws by name" \
	"$? $(grep -c 'spec.backend.auth.aws: not supported (a cloud-provider key)' <<<"$out")" "1 1"
printf '%s\n      key: k\n      passthrough: {}\n' "$POL" >"$WORK/two.yaml"
out=$("$SG_BIN" check -c "$WORK/two.yaml" 2>&1)
check "check refuses key with passthrough" \
	"$? $(grep -c 'spec.backend.auth: one of key, secretRef, passthrough or oauthTokenExchange, not more' <<<"$out")" "1 1"
finish
