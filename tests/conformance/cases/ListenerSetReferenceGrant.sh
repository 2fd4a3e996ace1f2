# listenerset-reference-grant.go: a ListenerSet's HTTPS listener may use a
# Secret of another namespace only with a ReferenceGrant from ListenerSets
# of its namespace; without one it is ResolvedRefs False RefNotPermitted
# and its ListenerSet, left with no valid listener, ListenersNotValid.
GW=gateway-with-listener-sets-test-reference-grant
W=gateway-conformance-web-backend
O=gateway-api-listener-sets-test-reference-grant-ns
https_ls() { # NAME HOSTNAME
	cat <<YAML
  - name: $1
    port: 9443
    protocol: HTTPS
    hostname: $2
    allowedRoutes: {namespaces: {from: All}}
    tls: {certificateRefs: [{group: "", kind: Secret, name: certificate, namespace: $W}]}
YAML
}
{
	gw_head $GW
	https_ls gateway-listener gateway-listener.com
	allow_listeners All
	front_secret certificate $W
	grant reference-grant-for-gateway $W gateway.networking.k8s.io Gateway $INFRA "" Secret
	ls_head listenerset-with-reference-grant $INFRA $GW
	https_ls listenerset-with-reference-grant-listener listenerset-with-reference-grant-listener.com
	grant reference-grant-for-listener-set $W gateway.networking.k8s.io ListenerSet $INFRA "" Secret
	namespace $O
	ls_head listenerset-without-reference-grant $O $GW
	https_ls listenerset-without-reference-grant-listener \
		listenerset-without-reference-grant-listener-1.com
} | apply
APPLY_RC=$?
granted() {
	local l=$INFRA/listenerset-with-reference-grant
	applied && gw_cond $INFRA/$GW Accepted True '*' && ls_cond $l Accepted True '*' &&
		ls_cond $l Programmed True '*' &&
		ls_listener listenerset $l listenerset-with-reference-grant-listener 'ResolvedRefs:True:*'
}
refused() {
	local l=$O/listenerset-without-reference-grant
	applied && ls_cond $l Accepted False ListenersNotValid &&
		ls_cond $l Programmed False ListenersNotValid &&
		ls_listener listenerset $l listenerset-without-reference-grant-listener \
			ResolvedRefs:False:RefNotPermitted
}
tcase "the ListenerSet with a ReferenceGrant to the Secret is accepted" granted
tcase "the ListenerSet without one has ResolvedRefs False RefNotPermitted" refused
