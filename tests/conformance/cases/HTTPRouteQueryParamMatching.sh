# httproute-query-param-matching.go: rules matching query parameters (names
# case-sensitive: ANIMAL is not animal), alone and ANDed with a path or a
# header within one match, matches ORed within a rule, and the spec's
# precedence between rules a request meets more than one of.
q() { printf '{name: %s, value: %s}' "$1" "$2"; }
cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: query-param-matching, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{queryParams: [$(q animal whale)]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{queryParams: [$(q animal dolphin)]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{queryParams: [$(q animal dolphin), $(q color blue)]}, {queryParams: [$(q ANIMAL Whale)]}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path1}, queryParams: [$(q animal whale)]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{headers: [$(q version one)], queryParams: [$(q animal whale)]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path2}, headers: [$(q version two)], queryParams: [$(q animal whale)]}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches:
    - {path: {type: PathPrefix, value: /path3}, queryParams: [$(q animal shark)]}
    - {path: {type: PathPrefix, value: /path4}, headers: [$(q version three)], queryParams: [$(q animal kraken)]}
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path5}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{queryParams: [$(q animal hydra)]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{headers: [$(q version four)]}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
YAML
APPLY_RC=$?
R=$INFRA/query-param-matching
V1=infra-backend-v1 V2=infra-backend-v2 V3=infra-backend-v3
mcase 0 $R '/?animal=whale' $V1
mcase 1 $R '/?animal=dolphin' $V2
mcase 2 $R '/?animal=dolphin&color=blue' $V3
mcase 3 $R '/?ANIMAL=Whale' $V3
mcase 4 $R '/?animal=whale&otherparam=irrelevant' $V1
mcase 5 $R '/?animal=dolphin&color=yellow' $V2
mcase 6 $R '/?color=blue' 404
mcase 7 $R '/?animal=dog' 404
mcase 8 $R '/?animal=whaledolphin' 404
mcase 9 $R / 404
mcase 10 $R '/path1?animal=whale' $V1
mcase 11 $R '/?animal=whale' $V2 h='version: one'
mcase 12 $R '/path2?animal=whale' $V3 h='version: two'
mcase 13 $R '/path3?animal=shark' $V1
mcase 14 $R '/path4?animal=kraken' $V1 h='version: three'
mcase 15 $R '/?animal=shark' 404
mcase 16 $R '/path4?animal=kraken' 404
mcase 17 $R '/path5?animal=hydra' $V1
mcase 18 $R '/?animal=hydra' $V3 h='version: four'
