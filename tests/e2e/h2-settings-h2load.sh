# HTTP/2 SETTINGS from the frontend policy: nghttp -v shows http2WindowSize as SETTINGS_INITIAL_WINDOW_SIZE, http2FrameSize as SETTINGS_MAX_FRAME_SIZE and http2ConnectionWindowSize as a WINDOW_UPDATE on stream 0; without the policy only MAX_CONCURRENT_STREAMS is sent. h2load with 100 streams over 10 connections (and 2000 over 10) completes with zero errors.
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
start_httpbin || { fail "httpbin did not start"; finish; }

routes="    routes:
    - name: echo
      matches: [{path: {pathPrefix: /echo}}]
      backends: [{host: 127.0.0.1:$B}]
    - name: bin
      backends: [{host: 127.0.0.1:$HTTPBIN_PORT}]"
mkdir -p "$WORK/policy" "$WORK/plain"
cat >"$WORK/policy/cfg.yaml" <<YAML
frontendPolicies:
  http:
    http2WindowSize: 1048576
    http2ConnectionWindowSize: 4194304
    http2FrameSize: 32768
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
$routes
YAML
cat >"$WORK/plain/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
$routes
YAML

G=http://127.0.0.1:8080
# The gateway's SETTINGS and stream-0 WINDOW_UPDATE, one line each.
server_settings() {
	timeout 20 nghttp -v "$G/echo/s" 2>&1 | awk '
		/recv SETTINGS frame/ && !/flags=0x01/ { s = 1; next }
		/recv WINDOW_UPDATE frame .*stream_id=0>/ { w = 1; next }
		s && /^ *\[SETTINGS_/ { gsub(/^ +/, ""); print; next }
		w && /window_size_increment/ { gsub(/^ +/, ""); print "WINDOW_UPDATE " $0; w = 0; next }
		/^\[/ { s = 0 }'
}
h2load_ok() {
	local out
	out=$(timeout 60 h2load "$@" 2>&1)
	if grep -q "requests: $2 total, $2 started, $2 done, $2 succeeded, 0 failed, 0 errored, 0 timeout" <<<"$out" &&
		grep -q "status codes: $2 2xx" <<<"$out"; then
		pass "h2load $*: all succeeded"
	else
		fail "h2load $*: $(grep -E 'requests:|status codes:|error' <<<"$out" | head -5)"
	fi
}
for engine in $(engines); do
	echo "-- engine $engine"
	if start_engine "$engine" -c "$WORK/policy"; then
		check "nghttp -v: SETTINGS and connection window from the policy" \
			"$(server_settings | paste -sd' ')" \
			"[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100] [SETTINGS_INITIAL_WINDOW_SIZE(0x04):1048576] [SETTINGS_MAX_FRAME_SIZE(0x05):32768] WINDOW_UPDATE (window_size_increment=4128769)"
		h2load_ok -n 100 -c 10 -m 10 "$G/get"
		h2load_ok -n 2000 -c 10 -m 10 "$G/echo/load"
		stop_gateway
	else
		fail "gateway ($engine) did not start with the policy"
	fi
	if start_engine "$engine" -c "$WORK/plain"; then
		check "nghttp -v: no policy, protocol defaults" "$(server_settings | paste -sd' ')" \
			"[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]"
		h2load_ok -n 100 -c 10 -m 10 "$G/echo/plain"
		stop_gateway
	else
		fail "gateway ($engine) did not start without the policy"
	fi
done
finish
