# httproute-request-percentage-mirror.go: a RequestMirror with percent
# 20, a fraction 25/50, percent 35 (beside a RequestHeaderModifier)
# copies that share of 500 requests to infra-backend-v2, within 3
# binomial standard deviations.
# shellcheck source=HTTPRouteRequestMirror.sh
. "$HERE/cases/HTTPRouteRequestMirror.sh"
{
	filter_route request-percentage-mirror
	mirror_rule /percent-mirror "$(mirror_filter infra-backend-v2 'percent: 20')"
	mirror_rule /percent-mirror-fraction "$(mirror_filter infra-backend-v2 'fraction: {numerator: 25, denominator: 50}')"
	mirror_rule /percent-mirror-and-modify-headers "$HM, $(mirror_filter infra-backend-v2 'percent: 35')"
} | apply
APPLY_RC=$?
R=$INFRA/request-percentage-mirror
share() { # PATH PERCENT [CHECK-WORDS...]
	local h=() w
	routed $R path="$1" backend=infra-backend-v1 "${@:3}" || return 1
	for w in "${@:3}"; do [[ $w == h=* ]] && h+=(-H "${w#h=}"); done
	mirror_share infra-backend-v2 "$2" \
		"http://127.0.0.1:8080$1?gateway-api-conformance-request-id=$(cat /proc/sys/kernel/random/uuid)" "${h[@]}"
}
B="should go to infra-backend-v1"
tcase "0 request to '/percent-mirror' $B" share /percent-mirror 20
tcase "1 request to '/percent-mirror-fraction' $B" share /percent-mirror-fraction 50
tcase "2 request to '/percent-mirror-and-modify-headers' with headers $B" share \
	/percent-mirror-and-modify-headers 35 "${MOD[@]}"
