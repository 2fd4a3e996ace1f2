# tcproute-weighted-routing.go: a TCPRoute's backendRefs weighted 70, 30
# and 0 (three TCP echoes, tcp-backend-v1..v3) take 70% and 30% of 500
# connections (within 5 points) and none.
for v in v1 v2 v3; do
	/usr/bin/python3 "$REPO/tests/backend/tcpecho.py" --port 0 --name tcp-backend-$v \
		--namespace "$INFRA" --ready-file "$WORK/tcp-$v.port" 2>"$WORK/tcp-$v.log" &
	PIDS+=("$!")
done
for v in v1 v2 v3; do
	PORT[tcp-$v]=$(ready_port tcp-$v) || {
		echo "FAIL $TEST: backend tcp-backend-$v did not start"
		exit 1
	}
done
{
	for v in v1 v2 v3; do
		cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: tcp-backend-$v, namespace: $INFRA, labels: {app: tcp-backend-$v}}
spec:
  clusterIP: 127.0.0.1
  ports: [{name: tcp, protocol: TCP, port: 3000, targetPort: ${PORT[tcp-$v]}}]
YAML
	done
	cat <<YAML
$(gw_head tcp-weighted-gateway)
  - name: tcp
    protocol: TCP
    port: 9300
    allowedRoutes: {kinds: [{kind: TCPRoute}]}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: tcp-weighted-route, namespace: $INFRA}
spec:
  parentRefs: [{name: tcp-weighted-gateway, sectionName: tcp}]
  rules:
  - backendRefs:
    - {name: tcp-backend-v1, port: 3000, weight: 70}
    - {name: tcp-backend-v2, port: 3000, weight: 30}
    - {name: tcp-backend-v3, port: 3000, weight: 0}
YAML
} | apply
APPLY_RC=$?
spread() {
	applied && gw_cond $INFRA/tcp-weighted-gateway Accepted True '*' &&
		parent TCPRoute $INFRA/tcp-weighted-route $INFRA/tcp-weighted-gateway Accepted True Accepted &&
		weights "tcp-backend-v1=0.7 tcp-backend-v2=0.3 tcp-backend-v3=0" tcp_sends 9300
}
tcase "TCP traffic should be distributed across the weighted backends and skip the zero-weighted backend" spread
