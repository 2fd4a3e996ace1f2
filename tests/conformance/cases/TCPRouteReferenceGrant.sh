# tcproute-reference-grant.go: a TCPRoute to a Service of the web backend's
# namespace, which a ReferenceGrant from this namespace's TCPRoutes opens,
# reaches that namespace's echo; once the grant is deleted, the route is
# ResolvedRefs False RefNotPermitted.
W=gateway-conformance-web-backend
/usr/bin/python3 "$REPO/tests/backend/tcpecho.py" --port 0 --name tcp-reference-grant-backend \
	--namespace $W --ready-file "$WORK/tcp-rg.port" 2>"$WORK/tcp-rg.log" &
PIDS+=("$!")
PORT[tcp-rg]=$(ready_port tcp-rg)
apply <<YAML
$(gw_head tcp-reference-grant-gateway)
  - {name: tcp, protocol: TCP, port: 9322, allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TCPRoute}]}}
---
apiVersion: v1
kind: Service
metadata: {name: tcp-reference-grant-backend, namespace: $W}
spec: {clusterIP: 127.0.0.1, ports: [{name: tcp, protocol: TCP, port: 3000, targetPort: ${PORT[tcp-rg]}}]}
$(grant tcp-reference-grant $W gateway.networking.k8s.io TCPRoute $INFRA "" Service)
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: tcp-reference-grant, namespace: $INFRA}
spec:
  parentRefs: [{name: tcp-reference-grant-gateway, sectionName: tcp}]
  rules: [{backendRefs: [{name: tcp-reference-grant-backend, namespace: $W, port: 3000}]}]
YAML
APPLY_RC=$?
R=$INFRA/tcp-reference-grant
G=$INFRA/tcp-reference-grant-gateway
reached() {
	applied && parent TCPRoute $R $G Accepted True '*' &&
		TCP_ECHO_NS=$W tcp_echo 9322 "" false tcp-reference-grant-backend
}
revoked() {
	applied && "$SG_BIN" delete referencegrant tcp-reference-grant -n $W >/dev/null 2>&1 &&
		parent TCPRoute $R $G ResolvedRefs False RefNotPermitted
}
tcase "TCP request should reach the cross-namespace backend" reached
tcase "TCPRoute ResolvedRefs becomes False with reason RefNotPermitted after the ReferenceGrant is deleted" revoked
