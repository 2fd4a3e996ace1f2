#!/bin/bash
# `make load`: for every engine, opens and holds LOAD_CONNS (10,000)
# concurrent keep-alive connections through a gateway in front of nginx,
# checks that each one answers a request (twice: right away and after an
# idle pause), reports the gateway's RSS per idle connection, then pushes
# LOAD_REQUESTS (1,000,000) requests through it and fails on any error
# (a status other than 200, a wrong body length, a socket error, a closed
# connection, a request over 10 s). Prints a markdown table and a closing
# line, and writes the table to <build>/load/results-<date>.md; the
# gateway's RSS and open fds, sampled every half second over each engine's
# run, go to results-<date>-samples.txt and are drawn in results-<date>.svg
# (scripts/plot.sh load). Then the same over HTTPS (row "https"): the
# connections are TLS 1.3 (tests/load/tlshold.py holds and asks them), the
# requests are pushed by h2load over HTTP/1.1 in TLS. Not part of `make test`;
# tests/e2e/load-connections.sh is its small version there.
#
# usage: scripts/load.sh path/to/splicegate [path/to/loadtool]
# knobs (environment), defaults in brackets:
#   LOAD_ENGINES    splicegate engines, one run each ["copy splice sockmap"];
#                   empty: none (only the https, peer and h2c rows asked for)
#   LOAD_CONNS      connections held [10000]
#   LOAD_REQUESTS   requests pushed per engine [1000000]
#   LOAD_CONC       connections that carry those requests, one request in
#                   flight on each [64]
#   LOAD_IDLE_MS    idle pause before the second round and RSS reading [3000]
#   LOAD_DEADLINE_S bound for one engine's whole run [600]
#   LOAD_PORT_BASE  first of the loopback ports used [28000]
#   LOAD_HTTPS      1: also the HTTPS row [1]
#   LOAD_TLS_REQUESTS  requests pushed over HTTPS [200000]
#   LOAD_PEERS      1: also nginx and HAProxy as the proxy (rows nginx,
#                   haproxy; one worker each, as in make bench) [1]
#   LOAD_H2         1: also idle h2c connections (tests/load/h2hold.py) to
#                   splicegate (auto) and, with LOAD_PEERS, nginx and HAProxy [1]
set -eu

SG_BIN=${1:?usage: scripts/load.sh path/to/splicegate [path/to/loadtool]}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT_DIR=$(cd "$(dirname "$SG_BIN")" && pwd)/load
LOADTOOL=${2:-$OUT_DIR/loadtool}

ENGINES=${LOAD_ENGINES-copy splice sockmap}
CONNS=${LOAD_CONNS:-10000}
REQUESTS=${LOAD_REQUESTS:-1000000}
CONC=${LOAD_CONC:-64}
IDLE_MS=${LOAD_IDLE_MS:-3000}
DEADLINE_S=${LOAD_DEADLINE_S:-600}
PORT_BASE=${LOAD_PORT_BASE:-28000}
NGINX_PORT=$PORT_BASE
HTTPS=${LOAD_HTTPS:-1}
TLS_REQUESTS=${LOAD_TLS_REQUESTS:-200000}
PEERS=${LOAD_PEERS:-1}
H2=${LOAD_H2:-1}
ROWS_TO_RUN="$ENGINES"
[ "$HTTPS" != 1 ] || ROWS_TO_RUN="$ROWS_TO_RUN https"
[ "$PEERS" != 1 ] || ROWS_TO_RUN="$ROWS_TO_RUN nginx haproxy"
[ "$H2" != 1 ] || ROWS_TO_RUN="$ROWS_TO_RUN h2c-auto"
[ "$H2" != 1 ] || [ "$PEERS" != 1 ] || ROWS_TO_RUN="$ROWS_TO_RUN h2c-nginx h2c-haproxy"

LOG_TAG=load
PKGS="nginx haproxy gcc libc6-dev curl iproute2 util-linux gnuplot-nox nghttp2-client openssl
python3 python3-h2"
PIDS=""
WORK=""
FAILED=""
ROWS=""

. "$HERE/lib-bench.sh"

# Each gateway holds CONNS client sockets plus its backend pool and a few
# of its own; the client holds CONNS. Both inherit this shell's limit.
raise_nofile() {
	local need=$((CONNS + 2048)) hard
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] || [ "$hard" -ge "$need" ] ||
		die "RLIMIT_NOFILE hard limit $hard < $need; raise it (ulimit -Hn as root)"
	ulimit -n "$hard"
}

build_loadtool() {
	local src=$ROOT/tests/load/loadtool.c
	mkdir -p "$(dirname "$LOADTOOL")"
	if [ ! -x "$LOADTOOL" ] || [ "$src" -nt "$LOADTOOL" ]; then
		cc -O2 -Wall -Wextra -D_GNU_SOURCE -o "$LOADTOOL" "$src"
	fi
}

# gateway_conf PORT ADMIN_PORT: one HTTP route to nginx; stats and
# readiness on ports of this run (their 0.0.0.0 defaults may be taken by
# another gateway on this host); idle backend connections go after 2 s, so
# the fd count can be seen back at its baseline.
gateway_conf() {
	local tls=""
	[ -z "${3:-}" ] || tls="    protocol: HTTPS
    tls: {cert: $WORK/tls.crt, key: $WORK/tls.key}
"
	cat <<EOF
config:
  adminAddr: 127.0.0.1:$2
  statsAddr: 127.0.0.1:$(($2 + 1))
  readinessAddr: 127.0.0.1:$(($2 + 2))
  backend: {poolIdleTimeout: 2s}
binds:
- port: $1
  listeners:
  - name: http
$tls    routes:
    - name: files
      backends:
      - host: 127.0.0.1:$NGINX_PORT
EOF
}

fds_of() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# sample PID ENGINE: while PID lives, every 0.5 s a line "ENGINE SECONDS
# RSS_KB FDS" on stdout: seconds since the sampling began, PID's resident
# memory and open file descriptors.
sample() {
	local pid=$1 engine=$2 t0 ms rss fds
	t0=$(date +%s%N)
	while alive "$pid"; do
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || break
		fds=$(fds_of "$pid")
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ -z "$rss" ] || printf '%s %d.%03d %s %s\n' "$engine" $((ms / 1000)) $((ms % 1000)) \
			"$rss" "$fds"
		sleep 0.5
	done
}

# field NAME: NAME's value in the RESULT line of $WORK/hold.out.
field() {
	sed -n 's/^RESULT.* '"$1"'=\([^ ]*\).*/\1/p' "$WORK/hold.out"
}

# add_row ENGINE REQUESTS WHY FDS_AFTER: a table row from $WORK/hold.out.
add_row() {
	ROWS="$ROWS$(awk -v e="$1" -v c="$CONNS" -v r="$2" -v fa="$4" -v why="${3:-ok}" '/^RESULT/ {
			for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
			printf "| %s | %s / %s | %s | %s / %s | %s | %s | %s | %.1f → %.1f MiB | %.1f KiB | %s → %s → %s | %s |\n",
				e, f["held"], c, f["answered"], f["ok"], r, f["errors"], f["push_s"],
				f["rps"], f["rss_base_kb"] / 1024, f["rss_idle_kb"] / 1024,
				f["rss_per_conn_b"] / 1024, f["fds_base"], f["fds_idle"], fa, why
			seen = 1 }
		END { if (!seen) printf "| %s | – | – | – | – | – | – | – | – | – | %s |\n", e, why }' \
		"$WORK/hold.out")
"
}

# peer_conf KIND PORT H2PORT: nginx or HAProxy as the proxy, as the bench
# runs them (one worker, upstream keep-alive to the backend nginx): HTTP/1
# on PORT, h2c (prior knowledge) on H2PORT.
peer_conf() {
	case $1 in
	nginx)
		cat <<EOF
$(nginx_main "$WORK/nginx-proxy" $((CONNS + 1024)))
worker_rlimit_nofile $((2 * CONNS + 2048));
http {
$(nginx_proxy_http_basics)
	upstream files { server 127.0.0.1:$NGINX_PORT; keepalive 64; }
	server { listen 127.0.0.1:$2; location / { proxy_pass http://files; } }
	server { listen 127.0.0.1:$3 http2; location / { proxy_pass http://files; } }
}
EOF
		;;
	haproxy)
		cat <<EOF
global
	nbthread 1
	maxconn $((CONNS + 1024))
defaults
	mode http
	timeout connect 5s
	timeout client 300s
	timeout server 300s
	option http-keep-alive
	http-reuse always
frontend http
	bind 127.0.0.1:$2
	bind 127.0.0.1:$3 proto h2
	default_backend files
backend files
	server files 127.0.0.1:$NGINX_PORT
EOF
		;;
	esac
}

# start_row NAME PORT ADMIN: the row's proxy on every CPU; sets GW. NAME:
# a splicegate engine, "https", "nginx", "haproxy", or h2c-<auto, nginx or
# haproxy>. Peers take h2c on PORT+5; splicegate on PORT (it tells h2c by
# its preface).
start_row() {
	local name=${1#h2c-} port=$2 admin=$3
	case $name in
	nginx)
		mkdir -p "$WORK/nginx-proxy"
		peer_conf nginx "$port" $((port + 5)) >"$WORK/nginx-proxy/nginx.conf"
		spawn "proxy-$1" "0-$(($(nproc) - 1))" nginx -p "$WORK/nginx-proxy" \
			-c "$WORK/nginx-proxy/nginx.conf" -e "$WORK/nginx-proxy/error.log"
		;;
	haproxy)
		peer_conf haproxy "$port" $((port + 5)) >"$WORK/haproxy.cfg"
		spawn "proxy-$1" "0-$(($(nproc) - 1))" haproxy -db -f "$WORK/haproxy.cfg"
		;;
	https)
		tls_cert "$WORK" load.test
		gateway_conf "$port" "$admin" https >"$WORK/https.yaml"
		spawn "proxy-$1" "0-$(($(nproc) - 1))" "$SG_BIN" -c "$WORK/https.yaml" --access-log off
		;;
	*)
		gateway_conf "$port" "$admin" >"$WORK/$name.yaml"
		spawn "proxy-$1" "0-$(($(nproc) - 1))" "$SG_BIN" -c "$WORK/$name.yaml" \
			--splice "$name" --access-log off
		;;
	esac
	GW=$SPAWNED
	wait_listening "$port" && alive "$GW" ||
		die "$1 did not start: $(tail -5 "$WORK/proxy-$1.log")"
}

# run_row NAME INDEX: one proxy, its hold client (then a push), checks, a
# table row. HTTP/1 rows hold with loadtool and push LOAD_REQUESTS; the
# https row holds with tlshold.py and pushes LOAD_TLS_REQUESTS with
# h2load; h2c rows hold with h2hold.py (no push). Only splicegate's plain
# rows must give every socket back (peers keep upstream connections as
# configured; https's baseline includes its certificate contexts).
run_row() {
	local name=$1 i=$2 port admin rc base fds_after=- why="" t sampler out ok secs rps
	local requests=$REQUESTS kind=${1#h2c-}
	port=$((PORT_BASE + 10 + 10 * i))
	admin=$((port + 1))
	start_row "$name" "$port" "$admin"
	sample "$GW" "$name" >>"$SAMPLES" &
	sampler=$!
	PIDS="$PIDS $sampler"
	set +e
	case $name in
	h2c-*)
		[ "$kind" != nginx ] && [ "$kind" != haproxy ] || port=$((port + 5))
		log "$name: holding $CONNS h2c connections"
		requests=0
		timeout $((DEADLINE_S + 30)) /usr/bin/python3 "$ROOT/tests/load/h2hold.py" \
			--port "$port" --conns "$CONNS" --path /100b --body-len 100 --pid "$GW" \
			--idle-ms "$IDLE_MS" --deadline-s "$DEADLINE_S" >"$WORK/hold.out" 2>"$WORK/hold.err"
		rc=$?
		sed -i "s/^RESULT.*/& ok=0 push_s=- rps=- fds_base=- fds_idle=-/" "$WORK/hold.out"
		;;
	https)
		log "https: holding $CONNS TLS connections, then $TLS_REQUESTS requests over $CONC others"
		requests=$TLS_REQUESTS
		timeout $((DEADLINE_S + 30)) /usr/bin/python3 "$ROOT/tests/load/tlshold.py" \
			--port "$port" --conns "$CONNS" --path /100b --body-len 100 --pid "$GW" \
			--idle-ms "$IDLE_MS" --deadline-s "$DEADLINE_S" >"$WORK/hold.out" 2>"$WORK/hold.err"
		rc=$?
		out=$(timeout "$DEADLINE_S" h2load --h1 -n "$TLS_REQUESTS" -c "$CONC" \
			"https://127.0.0.1:$port/100b" 2>&1)
		grep -E '^(finished|requests|status codes)' <<<"$out" | sed 's/^/    h2load: /' >&2
		ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' <<<"$out")
		secs=$(printf "%.2f" "$(h2load_secs <<<"$out")")
		rps=$(awk '/^finished in/ { printf "%.0f", $4 }' <<<"$out")
		# The push's numbers join the hold's RESULT line (the table reads one).
		sed -i "s/^RESULT.*/& ok=${ok:-0} push_s=${secs:-?} rps=${rps:-?} fds_base=- fds_idle=-/" \
			"$WORK/hold.out"
		[ "${ok:-0}" = "$TLS_REQUESTS" ] ||
			why="$why h2load: ${ok:-0} of $TLS_REQUESTS succeeded;"
		;;
	*)
		curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$port/100b" ||
			die "$name does not serve /100b"
		log "$name: holding $CONNS connections, then $REQUESTS requests over $CONC of them"
		timeout $((DEADLINE_S + 30)) "$LOADTOOL" hold --port "$port" --conns "$CONNS" \
			--requests "$REQUESTS" --conc "$CONC" --path /100b --body-len 100 --pid "$GW" \
			--idle-ms "$IDLE_MS" --deadline-s "$DEADLINE_S" >"$WORK/hold.out" 2>"$WORK/hold.err"
		rc=$?
		;;
	esac
	set -e
	sed 's/^/    /' "$WORK/hold.out" >&2
	head -5 "$WORK/hold.err" | sed 's/^/    client: /' >&2
	case $kind in
	nginx | haproxy | https) ;;
	*)
		# The clients are gone: every socket they had must be closed,
		# and the idle backend connections too after poolIdleTimeout.
		base=$(field fds_base)
		[ "$base" != - ] || base=""
		base=${base:-$(fds_of "$GW")}
		for t in $(seq 100); do
			fds_after=$(fds_of "$GW")
			[ "$fds_after" -le "$base" ] && break
			sleep 0.1
		done
		[ "$fds_after" -le "$base" ] ||
			why="$why gateway fds $fds_after > baseline $base 10 s after the clients left;"
		;;
	esac
	grep -q '^RESULT' "$WORK/hold.out" || why="$why no result from the client;"
	[ "$rc" = 0 ] || why="$why client exit $rc;"
	[ "$(field errors)" = 0 ] || why="$why $(field errors) errors;"
	alive "$GW" || why="$why the proxy exited;"
	grep -q "ERROR\|runtime error\|Sanitizer" "$WORK/proxy-$name.log" &&
		why="$why the proxy logged errors;"
	stop_pid "$GW"
	wait "$sampler" 2>/dev/null || true # it stops with the proxy
	forget "$sampler"
	add_row "$name" "$requests" "$why" "$fds_after"
	[ -z "$why" ] || FAILED="$FAILED $name"
}

main() {
	local i=0 table run_id
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	[ -x "$SG_BIN" ] || die "no gateway binary at $SG_BIN"
	install_tools
	raise_nofile
	build_loadtool
	WORK=$(mktemp -d /tmp/splicegate-load.XXXXXX)
	# Its gateways' admin socket: not the host's (/run/splicegate).
	export SPLICEGATE_ADMIN_SOCKET=$WORK/admin.sock
	WWW=$WORK/www
	mkdir -p "$WWW" "$WORK/backend-nginx" "$OUT_DIR"
	run_id=$(date +%Y%m%d-%H%M%S)
	SAMPLES=$OUT_DIR/results-$run_id-samples.txt
	: >"$SAMPLES"
	printf '%0100d' 0 >"$WWW/100b"
	backend_nginx_conf >"$WORK/backend-nginx/nginx.conf"
	spawn backend-nginx "0-$(($(nproc) - 1))" nginx -p "$WORK/backend-nginx" \
		-c "$WORK/backend-nginx/nginx.conf" -e "$WORK/backend-nginx/error.log"
	wait_listening "$NGINX_PORT" || die "nginx did not start: $(cat "$WORK/backend-nginx.log")"
	log "gateway $("$SG_BIN" version), nginx on :$NGINX_PORT, RLIMIT_NOFILE $(ulimit -n)"
	for row in $ROWS_TO_RUN; do
		run_row "$row" "$i"
		i=$((i + 1))
	done
	table="| engine | connections held | answered (2 rounds) | requests ok | errors | push s | req/s | gateway RSS before → idle | RSS per idle connection | gateway fds before → idle → after | result |
|---|---|---|---|---|---|---|---|---|---|---|
$ROWS"
	{
		echo "# make load, $(date '+%Y-%m-%d %H:%M'), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
		echo
		echo "$table"
	} >"$OUT_DIR/results-$run_id.md"
	echo
	echo "$table"
	echo
	"$HERE/plot.sh" load "$SAMPLES" "$OUT_DIR/results-$run_id.svg" >&2 ||
		log "warning: no chart of RSS and fds (scripts/plot.sh failed)"
	log "written: $OUT_DIR/results-$run_id.md, -samples.txt, .svg"
	if [ -n "$FAILED" ]; then
		echo "load: FAILED for$FAILED ($CONNS connections, $REQUESTS requests per engine)"
		exit 1
	fi
	echo "load: passed for $ROWS_TO_RUN: $CONNS connections held and answered, $REQUESTS requests each ($TLS_REQUESTS over HTTPS, none on h2c rows), 0 errors"
}

main
