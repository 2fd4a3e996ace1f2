# AgentgatewayPolicy traffic.basicAuthentication (agentgateway's CRD
# shape), applied at run time with `splicegate apply -f-` onto HTTPRoutes:
# before it a route is open; after it (mode Strict by default) a user of
# the inline `users` lines passes and a missing or wrong password gets 401
# with the realm in WWW-Authenticate; a second policy reading its htpasswd
# from a Secret that is not there yet lets nobody in (with a warning),
# until the Secret is applied; mode Optional lets a request without
# credentials pass. config_dump prints them as traffic policies, the
# htpasswd redacted; `check` refuses location and both sources at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

ANN=$(openssl passwd -apr1 secret)
BOB=$(openssl passwd -apr1 hunter2)
start_backend v1
V1=$BACKEND_PORT
k8s_routes_start "$V1" api sec opt
hcall "$u/api/x"
check "before the policy the route is open" "$H_CODE" 200

out=$(cat <<YAML | "$SG_BIN" apply -f- 2>&1
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: basic, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: api}]
  traffic:
    basicAuthentication:
      realm: api
      users: ['ann:$ANN']
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: basic-secret, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: sec}]
  traffic:
    basicAuthentication:
      secretRef: {name: basic-auth}
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: basic-opt, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: opt}]
  traffic:
    basicAuthentication:
      mode: Optional
      users: ['ann:$ANN']
YAML
)
check "apply -f- of the three policies" "$?" 0
check "apply warns of the missing Secret" \
	"$(grep -c 'secretRef: Secret e2e/basic-auth not found; policy e2e/basic-secret lets nobody in until it is' <<<"$out")" 1
hcall "$u/api/x"
check "Strict by default: no credentials, 401 with the realm" \
	"$H_CODE $(resp_header www-authenticate)" '401 Basic realm="api"'
hcall -u ann:wrong "$u/api/x"
check "a wrong password: 401" "$H_CODE" 401
hcall -u ann:secret "$u/api/x"
check "ann with her password passes" "$H_CODE" 200
hcall -u bob:hunter2 "$u/sec/x"
check "the Secret's policy before the Secret: nobody passes" "$H_CODE" 401
hcall "$u/opt/x"
check "Optional: no credentials pass" "$H_CODE" 200
hcall -u ann:wrong "$u/opt/x"
check "Optional: wrong credentials are refused" "$H_CODE" 401

cat <<YAML | "$SG_BIN" apply -f- >/dev/null 2>&1
apiVersion: v1
kind: Secret
metadata: {name: basic-auth, namespace: e2e}
stringData:
  .htaccess: |
    bob:$BOB
YAML
check "apply -f- of the Secret" "$?" 0
hcall -u bob:hunter2 "$u/sec/x"
check "the Secret applied: bob passes" "$H_CODE" 200
hcall -u ann:secret "$u/sec/x"
check "the Secret's users only" "$H_CODE" 401

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.policies[] | select(.name.name == "basic") | {key, policy}]')
json_equal "config_dump: a traffic policy, the htpasswd redacted" "$got" '[
  {"key": "traffic/e2e/basic:basicauth:e2e/api",
   "policy": {"traffic": {"phase": "route", "basicAuth": {"htpasswd": "<redacted>",
     "realm": "api", "mode": "strict",
     "authorizationLocation": {"header": {"name": "authorization", "prefix": "Basic "}}}}}}]'
stop_gateway

agp_refuses "location" basicAuthentication "{users: ['a:{SHA}x'], location: {header: {name: x}}}" \
	"7:58: spec.traffic.basicAuthentication.location: not supported by splicegate"
agp_refuses "users beside secretRef" basicAuthentication "{users: ['a:{SHA}x'], secretRef: {name: s}}" \
	"7:26: spec.traffic.basicAuthentication: give exactly one of users and secretRef"
finish
