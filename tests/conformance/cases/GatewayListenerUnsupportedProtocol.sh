# gateway-invalid-listeners-unsupported-protocol.go: a listener of a
# protocol that is not served is Accepted False UnsupportedProtocol; its
# Gateway is accepted only while another listener is.
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gateway-only-unsupported-protocols, namespace: $INFRA}
spec:
  gatewayClassName: splicegate
  listeners: [{name: invalid, port: 1111, protocol: INVALID}]
$(gw_head gateway-supported-and-unsupported-protocols)
  - {name: http, port: 9001, protocol: HTTP}
  - {name: invalid, port: 1112, protocol: INVALID}
YAML
APPLY_RC=$?
only() {
	applied &&
		gw_cond $INFRA/gateway-only-unsupported-protocols Accepted False ListenersNotValid &&
		listeners_count $INFRA/gateway-only-unsupported-protocols 1 &&
		listener $INFRA/gateway-only-unsupported-protocols invalid Accepted False UnsupportedProtocol ""
}
both() {
	local g=$INFRA/gateway-supported-and-unsupported-protocols
	applied && gw_cond $g Accepted True ListenersNotValid && listeners_count $g 2 &&
		listener $g http Accepted True Accepted HTTPRoute &&
		listener $g invalid Accepted False UnsupportedProtocol ""
}
tcase "Gateway with no accepted listeners should not be accepted and the listener should have the Accepted condition set to False with reason UnsupportedProtocol" only
tcase "Gateway with at least one accepted listeners should be accepted and the listeners should have the Accepted condition set accordingly" both
