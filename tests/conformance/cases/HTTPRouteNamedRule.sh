# httproute-named-rule.go (provisional, HTTPRouteNamedRouteRule): a rule
# with a name and one without both route (the suite checks the status
# only, 200; the port also checks the backend each rule names).
cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: http-named-rules, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - name: named-rule
    matches: [{path: {type: PathPrefix, value: /named}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /unnamed}}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
YAML
APPLY_RC=$?
R=$INFRA/http-named-rules
tcase "0 request to '/named' should receive one of []" routed $R path=/named backend=infra-backend-v1
tcase "1 request to '/unnamed' should receive one of []" routed $R path=/unnamed backend=infra-backend-v2
