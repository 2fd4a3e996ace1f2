# tlsroute-invalid-backendref-unknown-kind.go: a TLSRoute whose only
# backendRef is of a kind the gateway does not know: ResolvedRefs False
# InvalidKind, and a TLS connection for its hostname is rejected (443
# upstream, 9443 here).
GW=gateway-tlsroute-invalid-backend-ref-unknown-kind
apply <<YAML
$(gw_head $GW)
  - {name: tls, protocol: TLS, port: 9443, allowedRoutes: {namespaces: {from: Same}}, tls: {mode: Passthrough}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: invalid-backend-ref-unknown-kind, namespace: $INFRA}
spec:
  parentRefs: [{name: $GW, namespace: $INFRA}]
  hostnames: [example.com]
  rules: [{backendRefs: [{group: unknownkind.example.com, kind: NonExistent, name: tls-backend, port: 443}]}]
YAML
APPLY_RC=$?
status() {
	applied && parent TLSRoute $INFRA/invalid-backend-ref-unknown-kind $INFRA/$GW Accepted True '*' &&
		parent TLSRoute $INFRA/invalid-backend-ref-unknown-kind $INFRA/$GW ResolvedRefs False InvalidKind
}
tcase "TLSRoute with Invalid Kind has a ResolvedRefs Condition with status False and Reason InvalidKind" status
tcase "TLS connection to invalid backend with invalid Kind should be rejected" tls_rejected 9443 example.com
