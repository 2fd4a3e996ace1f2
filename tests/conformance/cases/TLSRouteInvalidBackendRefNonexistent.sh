# tlsroute-invalid-backendref-nonexistent.go: a TLSRoute whose only
# backendRef does not exist: ResolvedRefs False BackendNotFound, and a TLS
# connection for its hostname is rejected.
apply <<YAML
$(gw_head gateway-tlsroute-invalid-backend-ref-nonexistent)
  - {name: tls, protocol: TLS, port: 9443, allowedRoutes: {namespaces: {from: Same}}, tls: {mode: Passthrough}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: invalid-backend-ref-nonexistent, namespace: $INFRA}
spec:
  parentRefs: [{name: gateway-tlsroute-invalid-backend-ref-nonexistent, namespace: $INFRA}]
  hostnames: [example.com]
  rules: [{backendRefs: [{name: nonexistent, namespace: $INFRA, port: 443}]}]
YAML
APPLY_RC=$?
status() {
	applied && parent TLSRoute $INFRA/invalid-backend-ref-nonexistent \
		$INFRA/gateway-tlsroute-invalid-backend-ref-nonexistent ResolvedRefs False BackendNotFound
}
tcase "TLSRoute with only a nonexistent BackendRef has a ResolvedRefs Condition with status False and Reason BackendNotFound" status
tcase "TLS connection to nonexistent backend should be rejected" tls_rejected 9443 example.com
