# httproute-method-matching.go: rules matching the method, alone and ANDed
# with a path or a header within one match, matches ORed within a rule,
# and the spec's precedence between rules a request meets more than one of
# (a path match before a method match, a method before a header).
h() { printf '{name: %s, value: %s}' "$1" "$2"; }
cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: method-matching, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{method: POST}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{method: GET}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path1}, method: GET}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{headers: [$(h version one)], method: PUT}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path2}, headers: [$(h version two)], method: POST}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches:
    - {path: {type: PathPrefix, value: /path3}, method: PATCH}
    - {path: {type: PathPrefix, value: /path4}, headers: [$(h version three)], method: DELETE}
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path5}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{method: PATCH}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{headers: [$(h version four)]}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
YAML
APPLY_RC=$?
R=$INFRA/method-matching
V1=infra-backend-v1 V2=infra-backend-v2 V3=infra-backend-v3
mcase 0 $R / $V1 method=POST
mcase 1 $R / $V2 method=GET
mcase 2 $R / 404 method=HEAD
mcase 3 $R /path1 $V1 method=GET
mcase 4 $R / $V2 method=PUT h='version: one'
mcase 5 $R /path2 $V3 method=POST h='version: two'
mcase 6 $R /path3 $V1 method=PATCH
mcase 7 $R /path4 $V1 method=DELETE h='version: three'
mcase 8 $R / 404 method=PUT
mcase 9 $R /path4 404 method=DELETE
mcase 10 $R /path5 $V1 method=PATCH
mcase 11 $R / $V2 method=PATCH h='version: four'
