# tcproute-parentref-attach-all.go: a TCPRoute whose parentRef names the
# Gateway alone attaches to each of its four TCP listeners, each of which
# then reaches its echo.
tcp_echo_backend tcp-echo-attach-all
{
	gw_head tcp-attach-all-gateway
	for l in one:9310 two:9311 three:9312 four:9313; do
		printf '  - {name: %s, protocol: TCP, port: %s, allowedRoutes: {kinds: [{kind: TCPRoute}]}}\n' "${l%:*}" "${l#*:}"
	done
	tcp_echo_svc tcp-echo-attach-all
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: tcp-route-attach-all, namespace: $INFRA}
spec:
  parentRefs: [{name: tcp-attach-all-gateway}]
  rules: [{backendRefs: [{name: tcp-echo-attach-all, port: 3000}]}]
YAML
} | apply
APPLY_RC=$?
accepted() { applied && parent TCPRoute $INFRA/tcp-route-attach-all $INFRA/tcp-attach-all-gateway Accepted True Accepted; }
tcase "TCPRoute is Accepted on the Gateway" accepted
for l in one:9310 two:9311 three:9312 four:9313; do
	tcase "Listener ${l%:*} routes to the attach-all backend" tcp_echo "${l#*:}" "" false tcp-echo-attach-all
done
