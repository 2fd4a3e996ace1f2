#!/bin/bash
# W1 by hand, for a profile of one proxy (scripts/BENCH.md, "Where a small
# request's CPU goes"): nginx serving /100b and wrk (1 thread, 64
# keep-alive connections) on CPU 0, the proxy alone on CPU 1, as
# scripts/bench.sh places them; then the proxy measured by TOOL while wrk
# runs for SECS:
#   time    utime and stime of the proxy from /proc (ms per 1000 requests)
#   strace  strace -c -f -p: syscalls per request (strace slows the proxy;
#           the counts per request stay)
#   strace-origin  the same of the origin nginx behind the proxy
#   strace-wrk  the same of wrk, the client
#   net     TCP counters of the whole machine (nstat) per request
#   sched   context switches, wake-ups and the IPIs behind them on each CPU
#           (perf stat of sched and irq_vectors tracepoints), per request
#   wakeups which process woke which, per request (perf record; slows all;
#           WAKE_G=-g keeps the wakers' call chains in the data file)
#   perf-cpu0  the same as perf of everything on CPU 0 (wrk, the origin)
#   perf    perf record -e cpu-clock -g -p (the software clock: this VM has
#           no hardware counters); the data file is kept for perf report;
#           PERF_G=--call-graph=dwarf unwinds libc's frames too (which
#           call memset or malloc), at a larger file
# Run it under the machine's measurement lock, as the benchmarks are:
#   flock /work/measure.lock scripts/bench/profile-w1.sh splicegate-copy strace
#
# usage: scripts/bench/profile-w1.sh ROW TOOL [SECS]
#   ROW: haproxy | nginx-16k | splicegate-ENGINE (copy, splice, sockmap, auto)
#        | floor-epoll | floor-uring (scripts/bench/fwdfloor.c, liburing-dev);
#        haproxy-poll and splicegate-ENGINE-poll: polling instead of
#        sleeping (HAProxy's busy-polling, splicegate's --busy-poll
#        $BUSY_POLL, 1ms unless set);
#        splicegate-ENGINE-coalesce: --coalesce 50us;
#        splicegate-ENGINE-l4: the same bytes through a TCP route (an L4
#        tunnel: forwarded unread, in the kernel's socket map when the
#        engine moves it there), to price a small request kept out of
#        userspace; haproxy-tls, nginx-16k-tls, splicegate-ENGINE-tls:
#        W8's keep-alive GET instead, the client's connections in TLS 1.3
#        (ECDSA P-256) to the proxy, as make bench's https rows
#   HOLD: P to hold the proxy to P % of its CPU [none]
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
BACKEND=$SPAWNED

# The same proxy configs as scripts/bench.sh's haproxy and splicegate rows,
# the HTTP route alone.
POLL=""
case $ROW in
*-poll) POLL=1 ROW=${ROW%-poll} ;;
esac
NAP=""
case $ROW in
splicegate-*-coalesce) NAP=1 ROW=${ROW%-coalesce} ;;
esac
L4="" PROTO=HTTP ROUTES=routes
case $ROW in
splicegate-*-l4) L4=1 PROTO=TCP ROUTES=tcpRoutes ROW=${ROW%-l4} ;;
esac
TLS="" SCHEME=http SG_TLS=""
case $ROW in
*-tls)
	TLS=1 SCHEME=https PROTO=HTTPS ROW=${ROW%-tls}
	SG_TLS="tls: {cert: $WORK/tls.crt, key: $WORK/tls.key}"
	tls_cert "$WORK" bench.test
	;;
esac
case $ROW in
haproxy)
	cat >"$WORK/haproxy.cfg" <<EOF
global
	nbthread 1
	maxconn 4096
	${POLL:+busy-polling}
defaults
	mode http
	timeout connect 5s
	timeout client 120s
	timeout server 120s
	option http-keep-alive
	http-reuse always
frontend http
	bind 127.0.0.1:$FRONT${TLS:+ ssl crt $WORK/tls.pem alpn http/1.1}
	default_backend files
backend files
	server files 127.0.0.1:$NGINX_PORT
EOF
	spawn proxy 1 haproxy -db -f "$WORK/haproxy.cfg"
	;;
nginx-16k)
	# scripts/bench.sh's nginx-16k row, its HTTP server alone.
	mkdir -p "$WORK/proxy-nginx"
	cat >"$WORK/proxy-nginx/nginx.conf" <<EOF
$(nginx_main "$WORK/proxy-nginx")
http {
$(nginx_proxy_http_basics)
	proxy_buffer_size 16k;
	proxy_buffers 8 16k;
	upstream files {
		server 127.0.0.1:$NGINX_PORT;
		keepalive 64;
		keepalive_requests 1000000000;
	}
	server {
		listen 127.0.0.1:$FRONT${TLS:+ ssl};
		${TLS:+ssl_certificate $WORK/tls.crt; ssl_certificate_key $WORK/tls.key;}
		${TLS:+ssl_protocols TLSv1.2 TLSv1.3;}
		location / { proxy_pass http://files; }
	}
}
EOF
	spawn proxy 1 nginx -p "$WORK/proxy-nginx" -c "$WORK/proxy-nginx/nginx.conf"
	;;
floor-epoll | floor-uring)
	# The floor under any proxy (scripts/bench/fwdfloor.c): bytes moved
	# both ways, one origin connection per client, nothing read.
	tool_build "$HERE/bench/fwdfloor.c" "$ROOT/build/bench/fwdfloor" -luring
	spawn proxy 1 "$ROOT/build/bench/fwdfloor" "${ROW#floor-}" $FRONT:$NGINX_PORT
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
    protocol: $PROTO
    $SG_TLS
    $ROUTES:
    - name: files
      backends:
      - host: 127.0.0.1:$NGINX_PORT
EOF
	spawn proxy 1 "$SG_BIN" -c "$WORK/splicegate.yaml" --splice "${ROW#splicegate-}" \
		--workers 1 --admin 127.0.0.1:$((FRONT + 3)) --admin-socket "$WORK/admin.sock" --log-level warn --access-log off \
		${POLL:+--busy-poll ${BUSY_POLL:-1ms}} ${NAP:+--coalesce 50us}
	;;
*) die "unknown row $ROW" ;;
esac
PROXY=$SPAWNED
# HOLD=P: the proxy held to P % of CPU 1 (a cgroup v1 cpu quota over 20 ms
# periods, as make bench's -qP rows), so that it is saturated and its CPU
# per request is the quota over its throughput, with no sleeps in it.
if [ -n "${HOLD:-}" ]; then
	HOLD_CG=/sys/fs/cgroup/cpu/splicegate-profile-$$
	quota_group "$HOLD_CG" "$HOLD"
	echo "$PROXY" >"$HOLD_CG/cgroup.procs"
	trap 'cleanup; rmdir "$HOLD_CG" 2>/dev/null || true' EXIT
fi
ROW=$ROW${NAP:+-coalesce}${L4:+-l4}${TLS:+-tls}${POLL:+-poll}${HOLD:+-q$HOLD}
wait_listening $NGINX_PORT $FRONT || die "not listening; logs in $WORK"
curl -ksS -o /dev/null "$SCHEME://127.0.0.1:$FRONT/100b"
taskset -c 0 wrk -t1 -c64 -d2s "$SCHEME://127.0.0.1:$FRONT/100b" >/dev/null # warm-up

# wrk_run SECS: wrk's summary line (scripts/bench/wrk-summary.lua).
wrk_run() {
	taskset -c 0 wrk -t1 -c64 -d"${1}s" -s "$HERE/bench/wrk-summary.lua" \
		"$SCHEME://127.0.0.1:$FRONT/100b" | grep '^SGBENCH '
}

field() { # LINE NAME: one key=value of wrk's summary line
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

ticks() { # PID: its utime and stime, in clock ticks
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }'
}

switches() { # PID: its voluntary context switches (each a sleep), all threads
	cat /proc/"$1"/task/*/status | awk '$1 == "voluntary_ctxt_switches:" { n += $2 } END { print n }'
}

cpu_busy() { # CPU N's busy ticks (all but idle and iowait)
	awk -v cpu="cpu$1" '$1 == cpu { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

TAG=$ROW-$TOOL-$(date +%Y%m%d-%H%M%S)
case $TOOL in
time)
	# The proxy's user and system time; and on the load generators'
	# core, the origin's time and CPU 0's busy time (wrk, the origin
	# and the softirqs of the packets they send); and CPU 1's, the
	# proxy's core, which also has what the kernel does there outside
	# the proxy (a socket map's redirects deferred to a kworker).
	read -r u0 s0 < <(ticks "$PROXY")
	read -r bu0 bs0 < <(ticks "$BACKEND")
	c0=$(cpu_busy 0)
	p0=$(cpu_busy 1)
	w0=$(switches "$PROXY")
	v0=$(switches "$BACKEND")
	line=$(wrk_run "$SECS")
	w1=$(switches "$PROXY")
	v1=$(switches "$BACKEND")
	read -r u1 s1 < <(ticks "$PROXY")
	read -r bu1 bs1 < <(ticks "$BACKEND")
	c1=$(cpu_busy 0)
	p1=$(cpu_busy 1)
	awk -v row="$ROW" -v r="$(field "$line" requests)" -v d="$(field "$line" duration_us)" \
		-v u=$((u1 - u0)) -v s=$((s1 - s0)) -v b=$((bu1 + bs1 - bu0 - bs0)) \
		-v c=$((c1 - c0)) -v p=$((p1 - p0)) -v w=$((w1 - w0)) -v v=$((v1 - v0)) \
		-v hz="$(getconf CLK_TCK)" 'BEGIN {
		k = r / 1000; ms = 1000 / hz
		printf "%s req/s %.0f user ms/1k %.1f sys ms/1k %.1f total ms/1k %.1f" \
			" origin ms/1k %.1f cpu0 ms/1k %.1f cpu1 ms/1k %.1f machine ms/1k %.1f" \
			" sleeps/1k proxy %.0f origin %.0f\n",
			row, r / (d / 1e6), u * ms / k, s * ms / k, (u + s) * ms / k, b * ms / k,
			c * ms / k, p * ms / k, (c + p) * ms / k, w / k, v / k }' |
		tee -a "$OUT/time.txt"
	;;
strace | strace-origin | strace-wrk)
	if [ "$TOOL" = strace-wrk ]; then
		line=$(taskset -c 0 strace -c -f -o "$OUT/$TAG.strace" wrk -t1 -c64 -d"${SECS}s" \
			-s "$HERE/bench/wrk-summary.lua" "$SCHEME://127.0.0.1:$FRONT/100b" |
			grep '^SGBENCH ')
	else
		traced=$PROXY
		[ "$TOOL" = strace ] || traced=$BACKEND
		strace -c -f -p "$traced" -o "$OUT/$TAG.strace" &
		tracer=$!
		sleep 1
		line=$(wrk_run "$SECS")
		kill -INT $tracer
		wait $tracer || true
	fi
	# strace's table: calls in column 4; per request alongside.
	awk -v r="$(field "$line" requests)" -v row="$ROW" '
		BEGIN { printf "%s, %d requests\n", row, r }
		$NF != "syscall" && $4 ~ /^[0-9]+$/ && NF >= 5 {
			printf "%-16s %9d calls %7.3f per request\n", $NF, $4, $4 / r }' \
		"$OUT/$TAG.strace" | tee "$OUT/$TAG.txt"
	;;
perf | perf-cpu0)
	target="-p $PROXY"
	[ "$TOOL" = perf ] || target="-C 0"
	# shellcheck disable=SC2086 # target is two words
	# shellcheck disable=SC2086 # PERF_G: one word
	perf record -q -e cpu-clock ${PERF_G:--g} $target -o "$OUT/$TAG.perf" -- sleep "$SECS" \
		2>/dev/null &
	rec=$!
	line=$(wrk_run $((SECS + 1)))
	wait $rec || true
	echo "$ROW: $(field "$line" requests) requests; perf report -i $OUT/$TAG.perf"
	;;
net)
	# The kernel's TCP counters over the run, per 1000 requests: segments,
	# pure and delayed ACKs, and so on (nstat, whole machine).
	nstat -n
	line=$(wrk_run "$SECS")
	nstat | awk -v r="$(field "$line" requests)" -v row="$ROW" '
		BEGIN { printf "%s, %d requests; per 1000:\n", row, r }
		$2 > r / 1000 && $1 ~ /^(Tcp|TcpExt|Ip)/ { printf "  %-28s %10.1f\n", $1, $2 / (r / 1000) }' |
		tee "$OUT/$TAG.txt"
	;;
sched)
	perf stat -a -A -x, -o "$OUT/$TAG.sched" -e sched:sched_switch,sched:sched_wakeup \
		-e irq_vectors:reschedule_entry,irq_vectors:call_function_single_entry \
		-- sleep "$SECS" &
	rec=$!
	line=$(wrk_run $((SECS + 1)))
	wait $rec || true
	# perf's CSV: CPU,count,,event; per request over SECS of the run.
	awk -F, -v r="$(field "$line" requests)" -v d="$(field "$line" duration_us)" \
		-v secs="$SECS" -v row="$ROW" '
		BEGIN { k = r / (d / 1e6) * secs / 1000; printf "%s, per 1k requests:", row }
		$2 ~ /^[0-9]+$/ { ev = $4; sub(/.*:/, "", ev); printf " %s %s %.0f", $1, ev, $2 / k }
		END { print "" }' "$OUT/$TAG.sched" | tee -a "$OUT/sched.txt"
	;;
wakeups)
	# Who woke whom (perf record of sched_wakeup, all CPUs); recording
	# slows every process, so the rates are not the undisturbed ones.
	# shellcheck disable=SC2086 # WAKE_G: no word or -g
	perf record -q -a ${WAKE_G:-} -e sched:sched_wakeup -o "$OUT/$TAG.perf" -- sleep "$SECS" 2>/dev/null &
	rec=$!
	line=$(wrk_run $((SECS + 1)))
	wait $rec || true
	echo "$ROW, wake-ups per 1k requests:" | tee "$OUT/$TAG.txt"
	perf script -i "$OUT/$TAG.perf" 2>/dev/null | awk -v r="$(field "$line" requests)" \
		-v d="$(field "$line" duration_us)" -v secs="$SECS" '
		{ for (i = 1; i <= NF; i++) if ($i ~ /^comm=/) wakee = substr($i, 6)
		  n[$1 " wakes " wakee]++ }
		END { k = r / (d / 1e6) * secs / 1000
		      for (w in n) if (n[w] / k >= 1) printf "%8.0f  %s\n", n[w] / k, w }' |
		sort -k1,1nr | tee -a "$OUT/$TAG.txt"
	;;
*) die "unknown tool $TOOL" ;;
esac
