# The base resources (upstream conformance/base/manifests.yaml, written
# here for one host), printed by lib.sh with the backends' ports: the
# three namespaces, the Gateways same-namespace (:8080), all-namespaces
# (:8081), backend-namespaces (:8082) and same-namespace-with-https-listener
# (:8443), the backend Services (clusterIP 127.0.0.1, target the local
# backends' ports), the TLS backend's CA as ConfigMap
# tls-checks-ca-certificate and the HTTPS listeners' Secret.
ns_yaml() { # NAME LABEL
	printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {gateway-conformance: %s}}\n' "$1" "$2"
}
gw_yaml() { # NAME PORT FROM
	cat <<YAML
$(gw_head $1)
  - name: http
    port: $2
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: $3
YAML
	[ "$3" = Selector ] && echo "        selector: {matchLabels: {gateway-conformance: backend}}"
}
svc_yaml() { # NAME NS BACKEND [PORT-LINES...]
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: $1, namespace: $2}
spec:
  clusterIP: 127.0.0.1
  ports:
  - {name: first-port, port: 8080, targetPort: ${PORT[$3]}}
YAML
}
https_listener() { # NAME [HOSTNAME]
	cat <<YAML
  - name: $1
    port: 8443
    protocol: HTTPS
    hostname: '${2:-}'
    allowedRoutes: {namespaces: {from: Same}}
    tls:
      certificateRefs: [{group: "", kind: Secret, name: tls-validity-checks-certificate, namespace: $INFRA}]
YAML
}
ns_yaml "$INFRA" infra | tail -n +2
ns_yaml gateway-conformance-app-backend backend
ns_yaml gateway-conformance-web-backend backend
gw_yaml same-namespace 8080 Same
gw_yaml all-namespaces 8081 All
gw_yaml backend-namespaces 8082 Selector
cat <<YAML
$(gw_head same-namespace-with-https-listener)
$(https_listener https)
$(https_listener https-with-hostname second-example.org)
$(https_listener https-with-wildcard-hostname '*.wildcard.org')
$(https_listener https-with-hostname-matching-wildcard fourth-example.wildcard.org)
---
apiVersion: v1
kind: Secret
metadata: {name: tls-validity-checks-certificate, namespace: $INFRA}
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 "$WORK/front.crt")
  tls.key: $(base64 -w0 "$WORK/front.key")
---
apiVersion: v1
kind: ConfigMap
metadata: {name: tls-checks-ca-certificate, namespace: $INFRA}
data:
  ca.crt: |
$(indent '    ' "$WORK/ca.crt")
YAML
for b in infra-backend-v1 infra-backend-v2 infra-backend-v3; do svc_yaml "$b" "$INFRA" "$b"; done
for b in app-backend-v1 app-backend-v2; do svc_yaml "$b" gateway-conformance-app-backend "$b"; done
svc_yaml web-backend gateway-conformance-web-backend web-backend
for b in grpc-infra-backend-v1 grpc-infra-backend-v2 grpc-infra-backend-v3; do
	svc_yaml "$b" "$INFRA" "$b"
done
# tls-backend (upstream: ports https 443 -> 8443): this host's TLS echo.
cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: tls-backend, namespace: $INFRA}
spec:
  clusterIP: 127.0.0.1
  ports: [{name: https, port: 443, targetPort: ${PORT[tls-backend]}}]
YAML
