# httproute-matching-across-routes.go: two HTTPRoutes on one Gateway whose
# hostnames overlap: their rules are merged for example.com, and the
# second's /v2 rule does not reach example.net, which it does not name.
cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: matching-part1, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  hostnames: [example.com, example.net]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: matching-part2, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  hostnames: [example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
YAML
APPLY_RC=$?
R=$INFRA/matching-part1,$INFRA/matching-part2
V1=infra-backend-v1 V2=infra-backend-v2
mcase 0 $R / $V1 host=example.com
mcase 1 $R /example $V1 host=example.com
mcase 2 $R /example $V1 host=example.net
mcase 3 $R /example $V1 host=example.com h='Version: one'
mcase 4 $R /v2 $V2 host=example.com
mcase 5 $R /v2 $V1 host=example.net
mcase 6 $R /v2/example $V2 host=example.com
mcase 7 $R / $V2 host=example.com h='Version: two'
