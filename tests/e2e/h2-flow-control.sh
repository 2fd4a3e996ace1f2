# HTTP/2 flow control: a client that opens no window gets response HEADERS but no DATA, and the gateway stops reading the backend at maxBufferSize (its memory grows by a few MiB, not by the 256 MiB body); small stream windows (http2WindowSize 16384) still carry a 32 MiB download and a 1 MiB upload byte-exact.
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
cat >"$WORK/cfg.yaml" <<YAML
frontendPolicies:
  http:
    maxBufferSize: 1048576
    http2WindowSize: 16384
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - backends: [{host: 127.0.0.1:$B}]
YAML

G=http://127.0.0.1:8080
head -c 1048576 /dev/urandom >"$WORK/1m.bin"
for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg.yaml"; then
		fail "gateway ($engine) did not start"
		continue
	fi
	curl -s --http2-prior-knowledge -o /dev/null "$G/warm?size=2000000" # pools, buffers
	before=$(rss_kib)
	/usr/bin/python3 "$E2E_DIR/h2_raw.py" stall 8080 "/stall?size=268435456" 3 >"$WORK/stall" &
	pid=$!
	sleep 2.5
	after=$(rss_kib)
	wait "$pid"
	check "window 0: HEADERS (:status 200) but no DATA" \
		"$(jq -r '"\(.status) \(.data_bytes) \(.eof_at)"' "$WORK/stall")" "136 0 null"
	grown=$(((after - before) / 1024))
	if [ "$grown" -lt 24 ]; then
		pass "a stalled 256 MiB response grew the gateway by ${grown} MiB (maxBufferSize 1 MiB)"
	else
		fail "a stalled 256 MiB response grew the gateway by ${grown} MiB (before ${before} KiB, after ${after} KiB)"
	fi

	sum=$(curl -s --http2-prior-knowledge --max-time 60 "$G/big?size=33554432" | sha256_of)
	check "32 MiB download through 16 KiB stream windows" "$sum" "$(pattern 33554432 | sha256_of)"
	hcall --http2-prior-knowledge --data-binary @"$WORK/1m.bin" "$G/upload"
	check "1 MiB upload through 16 KiB stream windows" "$(jq -r '"\(.bytes) \(.sha256)"' <<<"$H_BODY")" \
		"1048576 $(sha256_of <"$WORK/1m.bin")"
	stop_gateway
done
finish
