#!/bin/bash
# W1 by hand, for a profile of one proxy (scripts/BENCH.md, "Where a small
# request's CPU goes"): nginx serving /100b and wrk (1 thread, 64
# keep-alive connections) on CPU 0, the proxy alone on CPU 1, as
# scripts/bench.sh places them; then the proxy measured by TOOL while wrk
# runs for SECS:
#   time    utime and stime of the proxy from /proc (ms per 1000 requests)
#   strace  strace -c -f -p: syscalls per request (strace slows the proxy;
#           the counts per request stay)
#   perf    perf record -e cpu-clock -g -p (the software clock: this VM has
#           no hardware counters); the data file is kept for perf report
# Run it under the machine's measurement lock, as the benchmarks are:
#   flock /work/measure.lock scripts/bench/profile-w1.sh splicegate-copy strace
#
# usage: scripts/bench/profile-w1.sh ROW TOOL [SECS]
#   ROW: haproxy | splicegate-ENGINE (copy, splice, sockmap, auto)
#   SG_BIN: the gateway [build/splicegate]; OUT: where results go
#   [build/bench/profile]; ports 28100-28113 on loopback.
set -eu
ROW=${1:?usage: profile-w1.sh ROW TOOL [SECS]}
TOOL=${2:?usage: profile-w1.sh ROW TOOL [SECS]}
SECS=${3:-10}
HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(dirname "$HERE")
SG_BIN=${SG_BIN:-$ROOT/build/splicegate}
OUT=${OUT:-$ROOT/build/bench/profile}
PIDS="" # read by lib-bench.sh, as LOG_TAG is
# shellcheck disable=SC2034
LOG_TAG=profile
NGINX_PORT=28100
FRONT=28110
# shellcheck source=scripts/lib-bench.sh
. "$HERE/lib-bench.sh"

WORK=$(mktemp -d /tmp/splicegate-bench.XXXXXX)
trap cleanup EXIT
WWW=$WORK/www
mkdir -p "$WWW" "$OUT" "$WORK/backend-nginx"
printf '%0100d' 0 >"$WWW/100b"
backend_nginx_conf >"$WORK/backend-nginx/nginx.conf"
spawn backend-nginx 0 nginx -p "$WORK/backend-nginx" -c "$WORK/backend-nginx/nginx.conf" \
	-e "$WORK/backend-nginx/error.log"

# The same proxy configs as scripts/bench.sh's haproxy and splicegate rows,
# the HTTP route alone.
case $ROW in
haproxy)
	cat >"$WORK/haproxy.cfg" <<EOF
global
	nbthread 1
	maxconn 4096
defaults
	mode http
	timeout connect 5s
	timeout client 120s
	timeout server 120s
	option http-keep-alive
	http-reuse always
frontend http
	bind 127.0.0.1:$FRONT
	default_backend files
backend files
	server files 127.0.0.1:$NGINX_PORT
EOF
	spawn proxy 1 haproxy -db -f "$WORK/haproxy.cfg"
	;;
splicegate-*)
	cat >"$WORK/splicegate.yaml" <<EOF
config:
  statsAddr: 127.0.0.1:$((FRONT + 1))
  readinessAddr: 127.0.0.1:$((FRONT + 2))
binds:
- port: $FRONT
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: files
      backends:
      - host: 127.0.0.1:$NGINX_PORT
EOF
	spawn proxy 1 "$SG_BIN" -c "$WORK/splicegate.yaml" --splice "${ROW#splicegate-}" \
		--workers 1 --admin 127.0.0.1:$((FRONT + 3)) --log-level warn --access-log off
	;;
*) die "unknown row $ROW" ;;
esac
PROXY=$SPAWNED
wait_listening $NGINX_PORT $FRONT || die "not listening; logs in $WORK"
curl -sS -o /dev/null "http://127.0.0.1:$FRONT/100b"
taskset -c 0 wrk -t1 -c64 -d2s "http://127.0.0.1:$FRONT/100b" >/dev/null # warm-up

# wrk_run SECS: wrk's summary line (scripts/bench/wrk-summary.lua).
wrk_run() {
	taskset -c 0 wrk -t1 -c64 -d"${1}s" -s "$HERE/bench/wrk-summary.lua" \
		"http://127.0.0.1:$FRONT/100b" | grep '^SGBENCH '
}

field() { # LINE NAME: one key=value of wrk's summary line
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

ticks() { # utime stime of the proxy, in clock ticks
	sed 's/.*) //' "/proc/$PROXY/stat" | awk '{ print $12, $13 }'
}

TAG=$ROW-$TOOL-$(date +%Y%m%d-%H%M%S)
case $TOOL in
time)
	read -r u0 s0 < <(ticks)
	line=$(wrk_run "$SECS")
	read -r u1 s1 < <(ticks)
	awk -v row="$ROW" -v r="$(field "$line" requests)" -v d="$(field "$line" duration_us)" \
		-v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
		k = r / 1000; ms = 1000 / hz
		printf "%s req/s %.0f user ms/1k %.1f sys ms/1k %.1f total ms/1k %.1f\n",
			row, r / (d / 1e6), u * ms / k, s * ms / k, (u + s) * ms / k }' |
		tee -a "$OUT/time.txt"
	;;
strace)
	strace -c -f -p "$PROXY" -o "$OUT/$TAG.strace" &
	tracer=$!
	sleep 1
	line=$(wrk_run "$SECS")
	kill -INT $tracer
	wait $tracer || true
	# strace's table: calls in column 4; per request alongside.
	awk -v r="$(field "$line" requests)" -v row="$ROW" '
		BEGIN { printf "%s, %d requests\n", row, r }
		$NF != "syscall" && $4 ~ /^[0-9]+$/ && NF >= 5 {
			printf "%-16s %9d calls %7.3f per request\n", $NF, $4, $4 / r }' \
		"$OUT/$TAG.strace" | tee "$OUT/$TAG.txt"
	;;
perf)
	perf record -q -e cpu-clock -g -p "$PROXY" -o "$OUT/$TAG.perf" -- sleep "$SECS" \
		2>/dev/null &
	rec=$!
	line=$(wrk_run $((SECS + 1)))
	wait $rec || true
	echo "$ROW: $(field "$line" requests) requests; perf report -i $OUT/$TAG.perf"
	;;
*) die "unknown tool $TOOL (time, strace or perf)" ;;
esac
