# httproute-weight.go: backendRefs weighted 70, 30 and 0 take 70% and 30%
# of 500 requests (within 5 points) and none.
one_rule_route weighted-backends '{name: infra-backend-v1, port: 8080, weight: 70},
    {name: infra-backend-v2, port: 8080, weight: 30}, {name: infra-backend-v3, port: 8080, weight: 0}' |
	apply
APPLY_RC=$?
spread() {
	applied && parent HTTPRoute $INFRA/weighted-backends $INFRA/same-namespace Accepted True Accepted &&
		parent HTTPRoute $INFRA/weighted-backends $INFRA/same-namespace ResolvedRefs True ResolvedRefs &&
		http 8080 "" / 200 &&
		weights "infra-backend-v1=0.7 infra-backend-v2=0.3 infra-backend-v3=0" \
			curl_sends x-backend http://127.0.0.1:8080/
}
tcase "Requests should have a distribution that matches the weight" spread
