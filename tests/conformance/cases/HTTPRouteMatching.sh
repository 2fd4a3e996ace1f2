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
V1=infra-backend-v1 V2=infra-backend-v2
mcase 0 $R / $V1
mcase 1 $R /example $V1
mcase 2 $R / $V1 h='Version: one'
mcase 3 $R /v2 $V2
mcase 4 $R /v2/example $V2
mcase 5 $R / $V2 h='Version: two'
mcase 6 $R /v2/ $V2
mcase 7 $R /v2example $V1
mcase 8 $R /foo/v2/example $V1
