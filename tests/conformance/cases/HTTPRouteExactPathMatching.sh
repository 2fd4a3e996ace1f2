# httproute-exact-path-matching.go: an Exact path matches that path alone:
# not a prefix of it, not with a trailing slash, not in another case.
cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: exact-matching, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: Exact, value: /one}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: Exact, value: /two}}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
YAML
APPLY_RC=$?
R=$INFRA/exact-matching
mcase 0 $R /one infra-backend-v1
mcase 1 $R /two infra-backend-v2
mcase 2 $R / 404
mcase 3 $R /one/example 404
mcase 4 $R /two/ 404
mcase 5 $R /Two 404
