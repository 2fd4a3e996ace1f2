# gateway-secret-missing-reference-grant.go: a certificateRef to a Secret
# in another namespace, with no ReferenceGrant at all, is ResolvedRefs
# False RefNotPermitted on the listener.
GW=gateway-secret-missing-reference-grant
secret_ref_gateway $GW | apply
APPLY_RC=$?
refused() {
	applied && listeners_count $INFRA/$GW 1 &&
		listener $INFRA/$GW https ResolvedRefs False RefNotPermitted HTTPRoute &&
		attached $INFRA/$GW https 0
}
tcase "Gateway listener should have a false ResolvedRefs condition with reason RefNotPermitted" refused
