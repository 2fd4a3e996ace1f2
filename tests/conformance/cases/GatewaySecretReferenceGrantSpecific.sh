# gateway-secret-reference-grant-specific.go: a certificateRef to a Secret
# in another namespace, granted by a ReferenceGrant to that Secret by
# name, resolves: the listener is ResolvedRefs True and Programmed.
GW=gateway-secret-reference-grant-specific
secret_ref_gateway $GW reference-grant-specific certificate | apply
APPLY_RC=$?
tcase "Gateway listener should have a true ResolvedRefs condition and a true Programmed condition" \
	secret_resolved $INFRA/$GW
