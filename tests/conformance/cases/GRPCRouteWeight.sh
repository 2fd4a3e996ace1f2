# grpcroute-weight.go: a GRPCRoute's backendRefs weighted 70, 30 and 0
# take 70% and 30% of 500 calls (within 5 points) and none; the calls are
# curl's (one each), over HTTP/2 prior knowledge, each an empty EchoRequest.
apply <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: weighted-backends, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - backendRefs:
    - {name: grpc-infra-backend-v1, port: 8080, weight: 70}
    - {name: grpc-infra-backend-v2, port: 8080, weight: 30}
    - {name: grpc-infra-backend-v3, port: 8080, weight: 0}
YAML
APPLY_RC=$?
printf '\0\0\0\0\0' >"$WORK/grpc.empty" # an empty message, gRPC-framed
M=/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo
spread() {
	local st
	applied && parent GRPCRoute $INFRA/weighted-backends $INFRA/same-namespace Accepted True Accepted ||
		return 1
	st=$(timeout 20 /usr/bin/python3 "$REPO/tests/e2e/grpc_client.py" --port 8080 --path $M "" |
		jq -r .grpc_status)
	[ "$st" = 0 ] || { echo "a call got grpc-status '$st', want 0"; return 1; }
	SENDS_APART=1 weights "grpc-infra-backend-v1=0.7 grpc-infra-backend-v2=0.3 grpc-infra-backend-v3=0" \
		curl_sends x-backend-name --http2-prior-knowledge -H 'content-type: application/grpc' \
		-H 'te: trailers' --data-binary @"$WORK/grpc.empty" "http://127.0.0.1:8080$M"
}
tcase "Requests should have a distribution that matches the weight" spread
