# httproute-rewrite-host.go: URLRewrite's hostname is the Host the backend
# gets (also beside a RequestHeaderModifier).
HM='{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Header-Set, value: set-overwrites-values}],
        add: [{name: X-Header-Add, value: header-val-1}, {name: X-Header-Add-Append, value: header-val-2}],
        remove: [X-Header-Remove]}}'
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: rewrite-host, namespace: $INFRA}
spec:
  hostnames: [rewrite.example]
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /one}}]
    filters: [{type: URLRewrite, urlRewrite: {hostname: one.example.org}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - filters: [{type: URLRewrite, urlRewrite: {hostname: example.org}}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /rewrite-host-and-modify-headers}}]
    filters: [{type: URLRewrite, urlRewrite: {hostname: test.example.org}}, $HM]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
YAML
APPLY_RC=$?
R=$INFRA/rewrite-host
tcase "0 request to 'rewrite.example/one' should go to infra-backend-v1" routed $R host=rewrite.example \
	path=/one rhost=one.example.org backend=infra-backend-v1
tcase "1 request to 'rewrite.example/two' should go to infra-backend-v2" routed $R host=rewrite.example \
	path=/two rhost=example.org backend=infra-backend-v2
tcase "2 request to 'rewrite.example/rewrite-host-and-modify-headers' with headers should go to infra-backend-v2" \
	routed $R host=rewrite.example path=/rewrite-host-and-modify-headers h='X-Header-Remove: remove-val' \
	h='X-Header-Add-Append: append-val-1' rhost=test.example.org backend=infra-backend-v2 \
	req='X-Header-Add: header-val-1' req='X-Header-Add-Append: append-val-1,header-val-2' \
	req='X-Header-Set: set-overwrites-values' noreq=X-Header-Remove
