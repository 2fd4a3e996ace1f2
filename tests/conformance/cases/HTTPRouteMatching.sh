# httproute-matching.go: one HTTPRoute whose two rules each match a path
# prefix or a header: a request goes to the rule one of whose matches it
# meets, a path prefix meaning whole segments (/v2example is not /v2).
cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: matching, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
YAML
APPLY_RC=$?
R=$INFRA/matching
i=0
m() { # PATH BACKEND [HEADER]
	local name="$i request to '$1'${3:+ with headers} should go to $2"
	tcase "$name" routed $R path="$1" backend="$2" ${3:+h="$3"}
	i=$((i + 1))
}
m / infra-backend-v1
m /example infra-backend-v1
m / infra-backend-v1 'Version: one'
m /v2 infra-backend-v2
m /v2/example infra-backend-v2
m / infra-backend-v2 'Version: two'
m /v2/ infra-backend-v2
m /v2example infra-backend-v1
m /foo/v2/example infra-backend-v1
