# httproute-request-multiple-mirrors.go: two RequestMirrors send a copy
# each (infra-backend-v2, infra-backend-v3); beside a
# RequestHeaderModifier too.
# shellcheck source=HTTPRouteRequestMirror.sh
. "$HERE/cases/HTTPRouteRequestMirror.sh"
{
	filter_route request-multiple-mirrors
	mirror_rule /multi-mirror "$(mirror_filter infra-backend-v2), $(mirror_filter infra-backend-v3)"
	mirror_rule /multi-mirror-and-modify-request-headers \
		"$HM, $(mirror_filter infra-backend-v2), $(mirror_filter infra-backend-v3)"
} | apply
APPLY_RC=$?
B="should go to infra-backend-v1"
tcase "0 request to '/multi-mirror' $B" mirror_case request-multiple-mirrors /multi-mirror \
	"infra-backend-v2 infra-backend-v3"
tcase "1 request to '/multi-mirror-and-modify-request-headers' with headers $B" mirror_case \
	request-multiple-mirrors /multi-mirror-and-modify-request-headers "infra-backend-v2 infra-backend-v3" \
	"${MOD[@]}"
