# httproute-disallowed-kind.go: an HTTPRoute on a Gateway whose one
# listener (TLS Passthrough, upstream port 443, here 9443) takes TLSRoute
# only: Accepted False NotAllowedByListeners, no accepted parent, no
# route attached (its ResolvedRefs True first, as the suite waits for it).
cat <<YAML | apply
$(gw_head tlsroutes-only)
  - name: tls
    port: 9443
    protocol: TLS
    tls: {mode: Passthrough}
    allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: disallowed-kind, namespace: $INFRA}
spec:
  parentRefs: [{name: tlsroutes-only, namespace: $INFRA}]
  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
YAML
APPLY_RC=$?
A=(HTTPRoute $INFRA/disallowed-kind $INFRA/tlsroutes-only NotAllowedByListeners)
refs() { parent HTTPRoute $INFRA/disallowed-kind $INFRA/tlsroutes-only ResolvedRefs True ResolvedRefs; }
d() { refs && unattached "${A[@]}" "$1"; }
tcase "Route should not have been accepted with reason NotAllowedByListeners" d 0
tcase "Route should not have Parents set in status" d 1
tcase "Gateway should have 0 Routes attached" d 2
