#!/bin/bash
# The gateway's instructions per small keep-alive request, counted by
# callgrind (scripts/BENCH.md, "HTTP/1 per request: instructions"): nginx
# serving /100b on CPU 0, the gateway under valgrind (one worker) on CPU 1
# with an HTTP route to it, and `h2load --h1 -c16 -m1` GETs (W1's shape;
# H2C=1: `h2load -c4 -m16` over h2c to the same HTTP/1 origin; W7=1: that
# to an h2c origin, nghttpd, as make bench's W7); one run of N1
# requests and one of N2, and the difference over N2 - N1, so that start-up
# (the BPF object's load, the config) counts in neither. Deterministic: a
# change of a few hundred instructions a request shows, where timing on a
# shared 2-vCPU VM would not.
#   usage: scripts/bench/callgrind-w1.sh
#   N1, N2: requests [20000, 40000]; ENGINE: --splice [auto];
#   H2C=1: the clients speak h2c; W7=1: so does the origin;
#   JWT=1: the route has a strict jwtAuth (an ES256 key made with openssl)
#   and every request carries one valid token (verified once, then cached);
#   SG_BIN: the gateway [build/splicegate];
#   ROUTE_POLICIES: a line for the route, such as "policies: {...}";
#   TRACING=P: config.tracing with randomSampling P (0, 1.0, ...), its
#   OTLP/HTTP endpoint the gateway's own admin port, which takes no
#   OTLP: the spans are made, encoded and sent, and each export fails
#   and is counted (the request path's cost and the export's);
#   KEEP=DIR: keep both
#   callgrind.out files there (callgrind_annotate reads them);
#   ports 28200-28213 on loopback.
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(dirname "$HERE")
SG_BIN=${SG_BIN:-$ROOT/build/splicegate}
N1=${N1:-20000}
N2=${N2:-40000}
NGINX_PORT=28200
FRONT=28210
PIDS="" # read by lib-bench.sh, as LOG_TAG is
# shellcheck disable=SC2034
LOG_TAG=callgrind
# shellcheck source=scripts/lib-bench.sh
. "$HERE/lib-bench.sh"

command -v valgrind >/dev/null || die "valgrind is needed (apt-get install valgrind)"
WORK=$(mktemp -d /tmp/splicegate-bench.XXXXXX)
trap cleanup EXIT
WWW=$WORK/www
mkdir -p "$WWW" "$WORK/backend-nginx"
printf '%0100d' 0 >"$WWW/100b"
backend_nginx_conf >"$WORK/backend-nginx/nginx.conf"
POLICIES=""
if [ -n "${W7:-}" ]; then
	H2C=1
	POLICIES="policies: {http: {version: HTTP/2.0}}"
	spawn nghttpd 0 nghttpd --no-tls -a 127.0.0.1 -n 1 -d "$WWW" $NGINX_PORT
else
	spawn backend-nginx 0 nginx -p "$WORK/backend-nginx" -c "$WORK/backend-nginx/nginx.conf" \
		-e "$WORK/backend-nginx/error.log"
fi
ROUTE_POLICIES=${ROUTE_POLICIES:-}
HEADER=()
if [ -n "${JWT:-}" ]; then
	python3 "$ROOT/tests/e2e/jwt_mint.py" keys "$WORK/keys"
	ROUTE_POLICIES="policies: {jwtAuth: {mode: strict, issuer: bench, jwks: {file: $WORK/keys/jwks.json}}}"
	HEADER=(-H "authorization: Bearer $(python3 "$ROOT/tests/e2e/jwt_mint.py" token \
		"$WORK/keys" ES256 ec256 "{\"iss\":\"bench\",\"exp\":$(($(date +%s) + 86400))}")")
fi
TRACING_LINE=
if [ -n "${TRACING:-}" ]; then
	TRACING_LINE="tracing: {otlpEndpoint: http://127.0.0.1:$((FRONT + 3)), otlpProtocol: http, randomSampling: $TRACING}"
fi
cat >"$WORK/splicegate.yaml" <<YAML
config:
  statsAddr: 127.0.0.1:$((FRONT + 1))
  readinessAddr: 127.0.0.1:$((FRONT + 2))
  $TRACING_LINE
binds:
- port: $FRONT
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: files
      ${ROUTE_POLICIES:-}
      backends:
      - host: 127.0.0.1:$NGINX_PORT
        $POLICIES
YAML

# count N: the gateway's instructions over a run of N requests.
count() {
	local n=$1 out=$WORK/callgrind.out.$1 pid
	spawn proxy 1 valgrind --tool=callgrind --callgrind-out-file="$out" "$SG_BIN" \
		-c "$WORK/splicegate.yaml" --splice "${ENGINE:-auto}" --workers 1 \
		--admin 127.0.0.1:$((FRONT + 3)) --admin-socket "$WORK/admin.sock" --log-level warn --access-log off
	pid=$SPAWNED
	# valgrind starts slowly (the BPF object's load): up to 30 s
	wait_listening $NGINX_PORT $FRONT || wait_listening $FRONT || wait_listening $FRONT ||
		die "not listening; logs in $WORK"
	# shellcheck disable=SC2086 # the client's options: several words
	taskset -c 0 h2load $CLIENT "${HEADER[@]}" -n "$n" "http://127.0.0.1:$FRONT/100b" |
		grep -q "^status codes: $n 2xx" || die "h2load: not every request answered 2xx"
	stop_pid "$pid" # callgrind writes its file as the gateway exits
	callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

CLIENT="--h1 -c16 -m1"
[ -z "${H2C:-}" ] || CLIENT="-c4 -m16"
i1=$(count "$N1")
i2=$(count "$N2")
if [ -n "${KEEP:-}" ]; then
	mkdir -p "$KEEP"
	cp "$WORK/callgrind.out.$N1" "$WORK/callgrind.out.$N2" "$KEEP/"
fi
echo "instructions per request: $(((i2 - i1) / (N2 - N1))) ($N1 requests: $i1, $N2: $i2)"
