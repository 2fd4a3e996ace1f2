# tlsroute-invalid-reference-grant.go: a TLSRoute to tls-backend of the app
# backend's namespace, with ReferenceGrants each of which misses it (the
# wrong namespace, from-group, from-kind, from-namespace, to-group, to-kind
# or to-name): ResolvedRefs False RefNotPermitted (443 upstream, 9443 here).
A=gateway-conformance-app-backend
G=gateway.networking.k8s.io
GW=gateway-tlsroute-referencegrant
{
	cat <<YAML
$(gw_head $GW)
  - {name: https, port: 9443, protocol: TLS, hostname: "*.example.com", allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}, tls: {mode: Passthrough}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: gateway-conformance-infra-test, namespace: $INFRA}
spec:
  parentRefs: [{name: $GW}]
  hostnames: [abc.example.com]
  rules: [{backendRefs: [{name: tls-backend, namespace: $A, port: 443}]}]
YAML
	grant reference-grant-wrong-namespace $INFRA $G TLSRoute $INFRA "" Service tls-backend
	grant reference-grant-wrong-from-group $A not-the-group-youre-looking-for TLSRoute $INFRA "" Service tls-backend
	grant reference-grant-wrong-from-kind $A $G Gateway $INFRA "" Service tls-backend
	grant reference-grant-wrong-from-namespace $A $G TLSRoute not-the-namespace-youre-looking-for "" Service tls-backend
	grant reference-grant-wrong-to-group $A $G TLSRoute $INFRA not-the-group-youre-looking-for Service tls-backend
	grant reference-grant-wrong-to-kind $A $G TLSRoute $INFRA "" Secret tls-backend
	grant reference-grant-wrong-to-name $A $G TLSRoute $INFRA "" Service not-the-service-youre-looking-for
} | apply
APPLY_RC=$?
refused() {
	applied && parent TLSRoute $INFRA/gateway-conformance-infra-test $INFRA/$GW Accepted True '*' &&
		parent TLSRoute $INFRA/gateway-conformance-infra-test $INFRA/$GW ResolvedRefs False RefNotPermitted
}
tcase "TLSRoute with BackendRef in another namespace and no ReferenceGrant covering the Service has a ResolvedRefs Condition with status False and Reason RefNotPermitted" refused
