# httproute-header-matching.go: rules matching header values (names in any
# case), several headers ANDed within a match, matches ORed within a rule;
# a request that meets two rules goes to the one with more header matches.
h() { printf '{name: %s, value: %s}' "$1" "$2"; }
cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: header-matching, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{headers: [$(h version one)]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{headers: [$(h version two)]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{headers: [$(h version two), $(h color orange)]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{headers: [$(h color blue)]}, {headers: [$(h color green)]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{headers: [$(h color red)]}, {headers: [$(h color yellow)]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
YAML
APPLY_RC=$?
R=$INFRA/header-matching
V1=infra-backend-v1 V2=infra-backend-v2
mcase 0 $R / $V1 h='Version: one'
mcase 1 $R / $V2 h='Version: two'
mcase 2 $R / $V1 h='Version: two' h='Color: orange'
mcase 3 $R / $V2 h='Version: two' h='Color: blue'
mcase 4 $R / 404 h='Color: orange'
mcase 5 $R / 404 h='Some-Other-Header: one'
mcase 6 $R / $V1 h='Color: blue'
mcase 7 $R / $V1 h='Color: green'
mcase 8 $R / $V2 h='Color: red'
mcase 9 $R / $V2 h='Color: yellow'
mcase 10 $R / 404 h='Color: purple'
