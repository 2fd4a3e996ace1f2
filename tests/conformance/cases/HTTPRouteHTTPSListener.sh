# httproute-https-listener.go: HTTPRoutes on the HTTPS listeners (one by
# its hostnames, one by sectionName) served over TLS; a host no route
# takes is 404.
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: httproute-https-test, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace-with-https-listener}]
  hostnames: [example.org]
  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: httproute-https-test-no-hostname, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace-with-https-listener, sectionName: https-with-hostname}]
  rules: [{backendRefs: [{name: infra-backend-v2, port: 8080}]}]
YAML
APPLY_RC=$?
G=$INFRA/same-namespace-with-https-listener
to() { # HOST CODE [BACKEND]
	applied && parent HTTPRoute $INFRA/httproute-https-test $G ResolvedRefs True ResolvedRefs &&
		parent HTTPRoute $INFRA/httproute-https-test-no-hostname $G ResolvedRefs True ResolvedRefs &&
		https 8443 "$1" / "${@:2}"
}
tcase "0 request to 'example.org/' should go to infra-backend-v1" to example.org 200 infra-backend-v1
tcase "1 request to 'unknown-example.org/' should receive one of []" to unknown-example.org 404
tcase "2 request to 'second-example.org/' should go to infra-backend-v2" to second-example.org 200 infra-backend-v2
