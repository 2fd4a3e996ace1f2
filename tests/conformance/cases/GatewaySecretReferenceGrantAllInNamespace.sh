# gateway-secret-reference-grant-all-in-namespace.go: a certificateRef to a
# Secret in another namespace, granted by a ReferenceGrant to every Secret
# there, resolves: the listener is ResolvedRefs True and Programmed.
GW=gateway-secret-reference-grant-all-in-namespace
secret_ref_gateway $GW reference-grant-all-in-namespace | apply
APPLY_RC=$?
tcase "Gateway listener should have a true ResolvedRefs condition and a true Programmed condition" \
	secret_resolved $INFRA/$GW
