#!/bin/bash
# Quick self-test of h2backend.py (and tests/e2e/grpc_client.py) with curl,
# nghttp and h2load, no gateway: echo, size, HEAD, 204, trailers, uploads,
# GOAWAY, the attempt counter, the gRPC echo, flow control under load, and no
# exception in the backend's log. Loopback only; every wait is bounded. The
# last line is "N passed, N failed"; exit status 1 on failure.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/h2backend-test.XXXXXX)
PASS=0
FAIL=0
BPID=

cleanup() {
	if [ -n "$BPID" ] && kill -0 "$BPID" 2>/dev/null; then
		kill "$BPID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() {
	PASS=$((PASS + 1))
	echo "ok   - $1"
}
nok() {
	FAIL=$((FAIL + 1))
	echo "FAIL - $1${2:+: $2}"
}
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "expected '$2', got '$3'"; fi
}
c() { curl -s --http2-prior-knowledge --max-time 20 "$@"; }
pattern_sha() {
	"$PY" -c 'import hashlib, sys; n = int(sys.argv[1]); print(hashlib.sha256((bytes(range(251)) * (n // 251 + 1))[:n]).hexdigest())' "$1"
}

"$PY" "$HERE/h2backend.py" --port 0 --name selftest --ready-file "$TMP/ready" >"$TMP/backend.log" 2>&1 &
BPID=$!
for _ in $(seq 100); do
	[ -s "$TMP/ready" ] && break
	sleep 0.1
done
if [ ! -s "$TMP/ready" ]; then
	nok "backend ready" "no ready file after 10s"
	cat "$TMP/backend.log"
	echo "$PASS passed, $FAIL failed"
	exit 1
fi
PORT=$(cat "$TMP/ready")
B="http://127.0.0.1:$PORT"
ok "backend ready on port $PORT"

# --- echo
c -D "$TMP/h" -o "$TMP/e.json" -H 'X-Test: one' "$B/echo/path?q=1"
check "echo" "GET /echo/path?q=1 127.0.0.1:$PORT true one" \
	"$(jq -r '"\(.method) \(.path) \(.authority) \(.http2) \([.headers[] | select(.[0] == "x-test") | .[1]] | join(","))"' "$TMP/e.json")"
check "x-backend-name" 1 "$(grep -c '^x-backend-name: selftest' "$TMP/h")"
check "HTTP/1 request: 505" 505 "$(curl -s -o /dev/null -w '%{http_code}' "$B/x")"
check "HTTP/1 /stats answered" 1 "$(curl -s "$B/stats" | jq -r '.connections')"

# --- bodies
head -c 1048576 /dev/urandom >"$TMP/1m"
want="1048576 $(sha256sum <"$TMP/1m" | cut -c1-64)"
check "1 MiB POST" "$want" "$(c --data-binary @"$TMP/1m" "$B/up" | jq -r '"\(.body_bytes) \(.sha256)"')"
check "1 MiB PUT without length" "$want" "$(c -T - "$B/up" <"$TMP/1m" | jq -r '"\(.body_bytes) \(.sha256)"')"
check "4 MiB download" "$(pattern_sha 4194304)" "$(c "$B/dl?size=4194304" | sha256sum | cut -c1-64)"
c -I -o "$TMP/head" "$B/dl?size=4194304"
check "HEAD: content-length" 1 "$(grep -c '^content-length: 4194304' "$TMP/head")"
check "204: no body" "204 0" "$(c -o "$TMP/b" -w '%{http_code}' "$B/x?status=204") $(stat -c %s "$TMP/b")"
check "bad parameter: 400" 400 "$(c -o /dev/null -w '%{http_code}' "$B/x?size=x")"
out=$(timeout 10 nghttp -n -v "$B/t?trailers=1" 2>&1)
check "trailers (nghttp)" 2 "$(grep -cE 'recv \(stream_id=[0-9]+\) x-trailer-(one: 1|two: two)$' <<<"$out")"

# --- attempt counter
u=$(cat /proc/sys/kernel/random/uuid)
check "succeedAfter 2: first 503" 503 "$(c -o /dev/null -w '%{http_code}' "$B/x?uuid=$u&succeedAfter=2&status=503")"
check "succeedAfter 2: then 200" 200 "$(c -o /dev/null -w '%{http_code}' "$B/x?uuid=$u&succeedAfter=2&status=503")"
check "/count over HTTP/1" 2 "$(curl -s "$B/count?uuid=$u" | jq -r .attempts)"

# --- GOAWAY
out=$(timeout 10 nghttp -v "$B/a?goaway=1&delay=100ms" "$B/b" 2>&1)
grep -q 'last_stream_id=13' <<<"$out" && grep -q 'recv (stream_id=13) :status: 200' <<<"$out" &&
	grep -q 'RST_STREAM.*stream_id=15' <<<"$out" && ok "goaway=1: last-stream-id 13 answered, 15 refused" ||
	nok "goaway=1" "$(grep -E 'GOAWAY|RST|:status|last_stream' <<<"$out" | tr '\n' '|')"
out=$(timeout 10 nghttp -v "$B/a?goaway=refuse" 2>&1)
grep -q 'last_stream_id=11' <<<"$out" && ! grep -q ':status' <<<"$out" &&
	ok "goaway=refuse: last-stream-id below the stream, no answer" || nok "goaway=refuse"

# --- gRPC
G="$PY $HERE/../e2e/grpc_client.py --port $PORT"
check "gRPC echo" "hello,world 0 OK false" \
	"$($G hello world | jq -r '"\(.messages | join(",")) \(.grpc_status) \(.grpc_message) \(.trailers_only)"')"
check "gRPC x-grpc-fail" "5 true 0" \
	"$($G -H 'x-grpc-fail: 5' x | jq -r '"\(.grpc_status) \(.trailers_only) \(.messages | length)"')"
check "gRPC streaming" "a,a,a 0" \
	"$($G -H 'x-grpc-repeat: 3' -H 'x-grpc-interval: 50ms' a | jq -r '"\(.messages | join(",")) \(.grpc_status)"')"
check "gRPC 1 MB message" "<1000000 bytes sha256 $(pattern_sha 1000000)> 0" \
	"$($G --big 1000000 | jq -r '"\(.messages | join(",")) \(.grpc_status)"')"

# --- load
for args in "-n 1000 -c 4 -m 25 $B/l?size=1000" "-n 200 -c 2 -m 20 -d $TMP/1m $B/up" \
	"-n 300 -c 4 -m 25 $B/l?size=100000"; do
	# shellcheck disable=SC2086
	line=$(timeout 60 h2load $args 2>&1 | grep '^requests:')
	n=${args#-n }
	n=${n%% *}
	check "h2load $args" "requests: $n total, $n started, $n done, $n succeeded, 0 failed, 0 errored, 0 timeout" "$line"
done
check "no exception in the log" "0 0" "$(curl -s "$B/stats" | jq -r .errors) $(grep -c 'BUG:' "$TMP/backend.log")"

# --- TLS (--tls CERT KEY): ALPN h2, and the echo inside
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=t.test \
	-addext subjectAltName=DNS:t.test -keyout "$TMP/t.key" -out "$TMP/t.crt" >/dev/null 2>&1
"$PY" "$HERE/h2backend.py" --port 0 --name tls --ready-file "$TMP/tready" \
	--tls "$TMP/t.crt" "$TMP/t.key" >"$TMP/tls.log" 2>&1 &
TPID=$!
for _ in $(seq 100); do [ -s "$TMP/tready" ] && break; sleep 0.05; done
TPORT=$(cat "$TMP/tready" 2>/dev/null)
check "--tls: HTTP/2 by ALPN over TLS" "2 200" \
	"$(curl -s --max-time 10 --cacert "$TMP/t.crt" --resolve "t.test:$TPORT:127.0.0.1" --http2 \
		-o /dev/null -w '%{http_version} %{http_code}' "https://t.test:$TPORT/a")"
kill "$TPID" 2>/dev/null

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
