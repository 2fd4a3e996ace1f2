# gRPC through the gateway to an h2c backend (Service port appProtocol kubernetes.io/h2c): grpc_client.py (HTTP/2 prior knowledge) -> gateway -> h2backend.py's gRPC echo: unary and server-streaming calls keep their messages (1 MB ones too) and their trailers (grpc-status 0), streamed messages arrive as sent, a backend's trailers-only grpc-status 5 passes through; the gateway's own failures to a gRPC request follow agentgateway: HTTP 200, content-type application/grpc, grpc-status 14 and a percent-encoded grpc-message in one HEADERS frame with END_STREAM (trailers-only, empty body) for a backend that refuses connections and for a request timeout; retries on codes hold for gRPC.
#
# What agentgateway does (agentgateway/agentgateway at 75b4e6ce, 2026-08-21;
# the mapping came with 3501883 "proxy: translate errors into gRPC errors for
# gRPC requests", #1848): crates/agentgateway/src/proxy/mod.rs,
# ProxyError::into_response_with_grpc: for a gRPC request
# (http::is_grpc_request: content-type, parameters cut at ';', is
# application/grpc or starts with application/grpc+, any case; so
# application/grpc-web is not one) an error becomes status 200,
# content-type application/grpc, grpc-status from proxy_error_to_grpc_status,
# grpc-message = utf8_percent_encode(the error's text, CONTROLS + ' ' + '%')
# (so ':' stays, space is %20, non-ASCII is encoded), body empty
# (http::Body::empty(): hyper ends the stream with the HEADERS frame).
# proxy_error_to_grpc_status: NoValidBackends -> UNAVAILABLE (14); every other
# error by its HTTP status through gRPC's HTTP-to-status table
# (http_status_to_grpc_status): 400 -> INTERNAL (13), 401/407 ->
# UNAUTHENTICATED (16), 403 -> PERMISSION_DENIED (7), 404 -> UNIMPLEMENTED
# (12), 429/502/503/504 -> UNAVAILABLE (14), other -> UNKNOWN (2). A request
# timeout (ProxyError::RequestTimeout, 504 "request timeout") and an
# upstream call timeout (504) are therefore grpc-status 14, not
# DEADLINE_EXCEEDED (4): no Code::DeadlineExceeded appears in its proxy code.
# This scenario expects agentgateway's 14 and "request%20timeout".
# The grpc-message of a failed connect is compared with the text the gateway
# answers a plain HTTP request on the same route with, percent-encoded the
# same way.
. "$(dirname "$0")/lib.sh"

start_h2backend grpc || { fail "h2backend did not start"; finish; }
H2B=$H2B_PORT
DEAD=$(free_port) # nothing listens there

# h2c_service NAME PORT: a Service whose port speaks h2c.
h2c_service() {
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata:
  name: $1
  namespace: e2e
spec:
  clusterIP: 127.0.0.1
  ports:
  - name: grpc
    port: $2
    targetPort: $2
    appProtocol: kubernetes.io/h2c
YAML
}
mkdir -p "$WORK/cfg"
{
	gateway_yaml
	h2c_service grpc-echo "$H2B"
	h2c_service dead "$DEAD"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: grpc
  namespace: e2e
spec:
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - name: slow
    matches:
    - path: {type: PathPrefix, value: /echo.Echo/Slow}
    timeouts:
      request: 200ms
    backendRefs:
    - {name: grpc-echo, port: $H2B}
  - name: dead
    matches:
    - path: {type: PathPrefix, value: /dead.Dead/}
    backendRefs:
    - {name: dead, port: $DEAD}
  - name: retry
    matches:
    - path: {type: PathPrefix, value: /echo.Echo/Retry}
    retry:
      attempts: 2
      codes: [503]
    backendRefs:
    - {name: grpc-echo, port: $H2B}
  - name: echo
    matches:
    - path: {type: PathPrefix, value: /}
    backendRefs:
    - {name: grpc-echo, port: $H2B}
YAML
} >"$WORK/cfg/gateway.yaml"

# grpc PATH [ARGS...]: grpc_client.py through the gateway; sets R (its JSON).
grpc() {
	local path=$1
	shift
	R=$(timeout 30 /usr/bin/python3 "$E2E_DIR/grpc_client.py" --port 8080 --path "$path" "$@")
}

# r EXPR: jq -r EXPR over the last call's JSON.
r() {
	jq -r "$1" <<<"$R" 2>/dev/null
}

# grpc_pct TEXT: TEXT percent-encoded as agentgateway encodes grpc-message.
grpc_pct() {
	/usr/bin/python3 -c '
import sys
print("".join(chr(b) if 0x20 < b < 0x7f and b != 0x25 else "%%%02X" % b
              for b in sys.argv[1].encode()))' "$1"
}

# gateway_error NAME STATUS MESSAGE: the last call is the gateway's own gRPC
# answer: HTTP 200, content-type application/grpc, trailers-only (one
# HEADERS frame with END_STREAM: a gRPC client reads grpc-status there only
# when nothing follows), no body, grpc-status STATUS, grpc-message MESSAGE.
gateway_error() {
	check "$1" "$(r '"\(.status) \(.headers | map(select(.[0] == "content-type"))[0][1]) trailers_only=\(.trailers_only) body=\(.body_bytes) messages=\(.messages | length) grpc-status=\(.grpc_status) grpc-message=\(.grpc_message) error=\(.error)"')" \
		"200 application/grpc trailers_only=true body=0 messages=0 grpc-status=$2 grpc-message=$3 error=null"
}

G=http://127.0.0.1:8080
BIG1=$(pattern 1000000 | sha256_of)
BIG2=$(pattern 300000 | sha256_of)
for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg"; then
		fail "gateway ($engine) did not start"
		continue
	fi
	c0=$(h2stats "$H2B" connections)

	grpc /echo.Echo/Echo hello world
	check "unary: messages echoed, trailers grpc-status 0 and grpc-message OK arrive" \
		"$(r '"\(.status) \(.messages | join(",")) trailers_only=\(.trailers_only) \(.trailers | map(.[0] + "=" + .[1]) | join(",")) error=\(.error)"')" \
		"200 hello,world trailers_only=false grpc-status=0,grpc-message=OK error=null"
	check "unary: content-type application/grpc and x-backend-name from the backend" \
		"$(r '[(.headers[] | select(.[0] == "content-type") | .[1]), (.headers[] | select(.[0] == "x-backend-name") | .[1])] | join(",")')" \
		"application/grpc,grpc"

	grpc /echo.Echo/Echo -H 'content-type: application/grpc+proto' proto
	check "content-type application/grpc+proto: echoed, grpc-status 0" \
		"$(r '"\(.messages | join(",")) \(.grpc_status)"')" "proto 0"

	grpc /echo.Echo/Stream -H 'x-grpc-repeat: 5' -H 'x-grpc-interval: 150ms' one
	check "server streaming: 5 messages, then grpc-status 0" \
		"$(r '"\(.messages | join(",")) \(.grpc_status) \(.error)"')" "one,one,one,one,one 0 null"
	first=$(r '.message_times[0]')
	last=$(r '.message_times[-1]')
	if time_in "$first" 0 0.4 && time_in "$last" 0.55 3; then
		pass "server streaming: messages arrive as sent (first at ${first}s, last at ${last}s)"
	else
		fail "server streaming: messages held back: times $(r '.message_times | map(tostring) | join(" ")')"
	fi

	grpc /echo.Echo/Echo --big 1000000 --big 300000 small
	check "1 MB and 300 KB messages both ways (flow control), grpc-status 0" \
		"$(r '"\(.messages | join(",")) \(.grpc_status) \(.error)"')" \
		"small,<1000000 bytes sha256 $BIG1>,<300000 bytes sha256 $BIG2> 0 null"

	grpc /echo.Echo/Echo -H 'x-grpc-fail: 5' nope
	check "the backend's trailers-only grpc-status 5 passes through as trailers-only" \
		"$(r '"\(.status) trailers_only=\(.trailers_only) \(.grpc_status) \(.grpc_message) \(.messages | length)"')" \
		"200 trailers_only=true 5 x-grpc-fail%20asked%20for%20this 0"

	# The gateway's own answers to gRPC requests.
	hcall --http2-prior-knowledge --data-binary 'x' "$G/dead.Dead/Call"
	plain=$H_BODY
	check "plain HTTP to the dead backend: 503 with text (no grpc-status)" \
		"$H_CODE $(resp_header grpc-status)" "503 "
	grpc /dead.Dead/Call hello
	gateway_error "backend refuses connections: grpc-status 14, the same text percent-encoded" \
		14 "$(grpc_pct "$plain")"
	grpc /dead.Dead/Call -H 'content-type: application/grpc+proto' hello
	check "application/grpc+proto is gRPC too: grpc-status 14" "$(r '"\(.status) \(.grpc_status)"')" "200 14"

	grpc "/echo.Echo/Slow?delay=1s" hello
	gateway_error "request timeout 200ms, backend 1s: grpc-status 14 (agentgateway's 504 -> UNAVAILABLE)" \
		14 "request%20timeout"
	t=$(r .time)
	time_in "$t" 0.15 0.9 && pass "request timeout answered at ~0.2s (${t}s)" ||
		fail "request timeout answered after ${t}s (want 0.15 .. 0.9)"
	grpc "/echo.Echo/Slow?delay=50ms" fast
	check "request timeout 200ms, backend 50ms: echoed, grpc-status 0" \
		"$(r '"\(.messages | join(",")) \(.grpc_status)"')" "fast 0"

	u=$(new_uuid)
	grpc "/echo.Echo/Retry?uuid=$u&succeedAfter=2&status=503" again
	check "retry codes [503]: HTTP 503 then the echo: grpc-status 0, message replayed" \
		"$(r '"\(.status) \(.messages | join(",")) \(.grpc_status)"') $(backend_count "$H2B" "$u")" \
		"200 again 0 2"

	c1=$(h2stats "$H2B" connections)
	if [ "$c1" -gt "$c0" ] 2>/dev/null; then
		pass "the backend saw the HTTP/2 client preface ($((c1 - c0)) connections)"
	else
		fail "backend connections $c0 -> $c1"
	fi
	stop_gateway
done
check "no HTTP/1 connection reached the gRPC backend" "$(h2stats "$H2B" http1_connections)" 0
h2backend_clean grpc "$H2B"
finish
