#!/bin/bash
# `make bench`: splicegate side by side with a direct connection, HAProxy and
# nginx, on this machine, in one run; writes build/bench/results-<date>.md
# and .csv, a chart of the ratios to direct and to the best peer (HAProxy or
# nginx config) per workload in results-<date>.svg (scripts/plot.sh bench),
# and prints the table. What each row and workload means, and the results
# so far, are in scripts/BENCH.md.
#
# usage: scripts/bench.sh path/to/splicegate
# knobs (environment), defaults in brackets:
#   BENCH_ENGINES   splicegate engines, one row each [auto; "copy splice
#                   sockmap auto" compares the engines]
#   BENCH_HELD      P: the default rows also run held to P % of one CPU
#                   (each proxy row again as -qP, below); "" for none [50]
#   BENCH_ROWS      rows to run [direct haproxy haproxy-splice haproxy-64k
#                   nginx-16k nginx-64k nginx-1m floor floor-uring
#                   splicegate-<engine>..., then each proxy row again as
#                   -q$BENCH_HELD].
#                   floor and floor-uring: not peers but the floor under
#                   any proxy (scripts/bench/fwdfloor.c: bytes forwarded
#                   without being read, on epoll or on io_uring with
#                   multishot recv into provided buffers), W1 and W6 only.
#                   Peers: haproxy[-SIZE][-splice|-nosplice] (tune.bufsize
#                   SIZE, e.g. 64k; option splice-auto; a sized row without
#                   either suffix: $HAPROXY_SIZED_SPLICE below), nginx-SIZE
#                   (proxy buffers of SIZE, e.g. 16k, 1m; "nginx" is
#                   nginx-64k). Also direct-2cpu, and
#                   splicegate-<engine>-filters (a RequestHeaderModifier
#                   adding one header and removing one on every route).
#                   A HAProxy or splicegate row named with -poll (before
#                   any -xN) polls before it sleeps: HAProxy's
#                   busy-polling, splicegate's --busy-poll
#                   $BENCH_BUSY_POLL. A splicegate row named with
#                   -coalesce (before any -poll or -xN) runs with
#                   --coalesce $BENCH_COALESCE. Any proxy row may end in
#                   -qP (before any -xN): its proxy held to P % of one CPU
#                   (a cgroup v1 cpu quota over 20 ms periods, a cgroup per
#                   row), so that the proxy is what limits every workload
#                   and throughput measures what each proxy does with the
#                   same CPU; such a row is measured against the peers
#                   with the same quota. Any proxy row may end in -xN: N
#                   workers (splicegate --workers N, HAProxy nbthread N,
#                   nginx worker_processes N with reuseport)
#                   A splicegate row named with -argsN (N a digit, before
#                   any -coalesce) adds the words of $BENCH_SG_ARGS_N to
#                   its command line (a setting compared against the
#                   default in the same run), and one named with -base
#                   (before any -argsN) runs the binary $BENCH_SG_BASE
#                   instead (a build before a change against the build
#                   after it, paired sample by sample).
#   BENCH_BUSY_POLL splicegate's --busy-poll in -poll rows [1ms]
#   BENCH_COALESCE  splicegate's --coalesce in -coalesce rows [50us]
#   BENCH_SCALE     1: nothing pinned (proxies, backends and load generators
#                   share every CPU), wrk with 2 threads, W6 without its
#                   one-core variant; defaults become rows [direct
#                   haproxy-splice haproxy-64k nginx-64k splicegate-auto,
#                   each proxy also -x2] and workloads [W2 W3m W3mc] [0]
#   BENCH_REPS      repetitions of every workload [3]
#   BENCH_WORKLOADS workloads to run [W1 W2 W3 W3c W3mc W4 W4c W4mc W5 W6 W7
#                   W8 W9]; W3 is both curl downloads (W3m the 8 streams alone),
#                   W3c and W3mc the same downloads by benchtool get, W4c the
#                   upload by benchtool put, W4mc 8 uploads of 128 MiB at
#                   once, W6 every ping-pong variant, W7
#                   h2c to an h2c backend, W8 every TLS one (terminated:
#                   keep-alive, full and resumed handshakes, 1 GiB;
#                   passthrough: 1 GiB), W9 (splicegate rows only) an
#                   unprotected route's req/s while a slow extAuthz
#                   service (100 ms a check) holds another route's
#                   requests, over its req/s alone. W9 alone:
#                   BENCH_ROWS=splicegate-auto BENCH_WORKLOADS=W9 make bench
#   BENCH_W9_SECS   each of W9's two wrk samples [5]
#   BENCH_W9_CONNS  connections kept busy on W9's protected route [32]
#   BENCH_W9_DELAY_MS  how late W9's service answers each check [100]
#   BENCH_W7_REQS   requests per W7 sample [200000]
#   BENCH_W1_SECS, BENCH_W2_SECS, BENCH_W5_SECS  [10, 5, 5]
#   BENCH_W1_PARTS  W1's samples per repetition in an interleaved run, each
#                   BENCH_W1_SECS / BENCH_W1_PARTS s long and taken round
#                   the rows in turn as a workload is, so that the rows'
#                   samples are that much closer in time and there are that
#                   many more pairs of them (scripts/BENCH.md, "Method") [5]
#   BENCH_PING_COUNT  round trips per W6 sample [10000]
#   BENCH_PORT_BASE first of the loopback ports used [27000]
#   BENCH_INTERLEAVE 1: each repetition starts every row's proxy, then runs
#                   each workload on every row in turn (the rows' order
#                   reversed from one workload to the next); 0: every
#                   workload of one row, then the next row [1]
set -eu

SG_BIN=${1:?usage: scripts/bench.sh path/to/splicegate}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT_DIR=$ROOT/build/bench

# splicegate engines, one row each. auto copies HTTP bodies and tunnels
# through a buffer that grows for bulk, and moves a tunnel into the socket
# map once it looks interactive (docs/internals.md, "Kernel splicing"). BENCH_SCALE=1 compares one and two workers instead.
SCALE=${BENCH_SCALE:-0}
if [ "$SCALE" = 1 ]; then
	ENGINES=${BENCH_ENGINES:-auto}
	WORKLOADS=${BENCH_WORKLOADS:-W2 W3m W3mc}
else
	ENGINES=${BENCH_ENGINES:-auto}
	WORKLOADS=${BENCH_WORKLOADS:-W1 W2 W3 W3c W3mc W4 W4c W4mc W5 W6 W7 W8 W9}
fi
REPS=${BENCH_REPS:-3}
W7_REQS=${BENCH_W7_REQS:-200000}
W1_SECS=${BENCH_W1_SECS:-10}
W1_PARTS=${BENCH_W1_PARTS:-5}
W2_SECS=${BENCH_W2_SECS:-5}
W5_SECS=${BENCH_W5_SECS:-5}
W9_SECS=${BENCH_W9_SECS:-5}
W9_CONNS=${BENCH_W9_CONNS:-32}
W9_DELAY_MS=${BENCH_W9_DELAY_MS:-100}
PING_COUNT=${BENCH_PING_COUNT:-10000}
PORT_BASE=${BENCH_PORT_BASE:-27000}
BENCH_BUSY_POLL=${BENCH_BUSY_POLL:-1ms}
BENCH_COALESCE=${BENCH_COALESCE:-50us}
INTERLEAVE=${BENCH_INTERLEAVE:-1}
HELD=${BENCH_HELD-50}
QUOTA_CG=""

# Two cores, pinned the same way for every row: the proxy alone on one,
# the load generators and the backends on the other. An optional row
# "direct-2cpu" (BENCH_ROWS) puts the backends on the proxy's core instead;
# on this VM it is slower than "direct" except for 8 streams, because a
# wake-up across vCPUs is expensive, so it is not run by default. With
# BENCH_SCALE=1 nothing is pinned ("CPU" is every CPU), so that a proxy
# with two workers can use both cores, and wrk runs two threads.
if [ "$SCALE" = 1 ]; then
	LOAD_CPU=0-$(($(nproc) - 1))
	PROXY_CPU=$LOAD_CPU
	WRK_THREADS=2
	PLACEMENT="nothing pinned (BENCH_SCALE=1): proxies, backends and load generators share all $(nproc) CPUs; wrk with $WRK_THREADS threads"
else
	LOAD_CPU=0
	PROXY_CPU=1
	WRK_THREADS=1
	PLACEMENT="the proxy alone on CPU $PROXY_CPU; load generators and backends on CPU $LOAD_CPU"
fi

# haproxy-SIZE rows without -splice or -nosplice: whether they splice
# (1) or not (0). With tune.bufsize 65536, no splice was as fast or faster
# on every bulk workload in a sample (scripts/BENCH.md, "Peers"), so
# haproxy-64k does not splice; haproxy-64k-splice is the other one.
HAPROXY_SIZED_SPLICE=0

# Backends (started once, shared by every row).
NGINX_PORT=$PORT_BASE
SINK_PORT=$((PORT_BASE + 1))
IPERF_PORT=$((PORT_BASE + 2))
ECHO_PORT=$((PORT_BASE + 3))
H2_PORT=$((PORT_BASE + 4)) # nghttpd: the h2c backend of W7
# nginx's TLS server (the same files): W8's direct row and passthrough backend.
BACKEND_TLS_PORT=$((PORT_BASE + 5))

GIB=1073741824
MIB128=134217728

PKGS="wrk haproxy nginx libnginx-mod-stream iperf3 curl jq util-linux iproute2 gcc libc6-dev
nghttp2-client nghttp2-server gnuplot-nox liburing-dev"
NGINX_STREAM_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so

ROW=""
REP=0
SAMPLE=0 # the repetition, or REP.PART for a part of one (W1)
PIDS=""       # every process this script started and has not stopped
WORK=""       # temp dir, removed on exit
PROXY_PID=""  # the proxy of the current row ("" for direct)
BACKEND_PIDS=""
FAILED=0

# Process, port, package and origin helpers shared with scripts/load.sh.
. "$HERE/lib-bench.sh"

# ---- setup ----------------------------------------------------------------

build_tool() {
	BENCHTOOL=$OUT_DIR/benchtool
	tool_build "$HERE/bench/benchtool.c" "$BENCHTOOL" -pthread
	FWDFLOOR=$OUT_DIR/fwdfloor
	tool_build "$HERE/bench/fwdfloor.c" "$FWDFLOOR" -luring
}

# The temp dir lives in tmpfs when there is room, so every row reads the
# files from memory; 1.2 GiB of files plus slack.
make_workdir() {
	local base=/tmp
	if [ -d /dev/shm ] && [ -w /dev/shm ] &&
		[ "$(df --output=avail -BM /dev/shm | tail -1 | tr -dc 0-9)" -gt 2048 ]; then
		base=/dev/shm
	fi
	WORK=$(mktemp -d "$base/splicegate-bench.XXXXXX")
	# Its gateways' admin socket: not the host's (/run/splicegate).
	export SPLICEGATE_ADMIN_SOCKET=$WORK/admin.sock
	WWW=$WORK/www
	mkdir -p "$WWW"
}

# make_file NAME BYTES: fallocate is instant; dd where it is unsupported.
make_file() {
	fallocate -l "$2" "$WWW/$1" 2>/dev/null ||
		dd if=/dev/zero of="$WWW/$1" bs=1M count=$(($2 >> 20)) status=none
}

make_files() {
	printf '%0100d' 0 >"$WWW/100b"
	printf '%064d' 0 >"$WWW/64b"
	make_file 128m $MIB128
	make_file 1g $GIB
	cat "$WWW/128m" "$WWW/1g" >/dev/null # into the page cache, off the clock
}

# Every port from PORT_BASE to the last row's (see row_ports) must be free.
check_ports() {
	local last=$((PORT_BASE + 10 + 10 * ROW_SLOTS * REPS)) used
	used=$(ss -Htln | awk '{ sub(/.*:/, "", $4); print $4 }' |
		awk -v lo="$PORT_BASE" -v hi="$last" '$1 >= lo && $1 <= hi' | head -1)
	[ -z "$used" ] || die "port $used is in use; set BENCH_PORT_BASE to a free range"
}

# Backends on the load generator's core. The upload sink is benchtool's
# (nginx cannot discard a body before answering without writing it to a
# file; see scripts/BENCH.md); iperf3 and the echo server are the L4 backends.
start_backends() {
	mkdir -p "$WORK/backend-nginx"
	backend_nginx_conf >"$WORK/backend-nginx/nginx.conf"
	spawn backend-nginx $LOAD_CPU nginx -p "$WORK/backend-nginx" \
		-c "$WORK/backend-nginx/nginx.conf" -e "$WORK/backend-nginx/error.log"
	BACKEND_PIDS=$SPAWNED
	spawn sink $LOAD_CPU "$BENCHTOOL" sink $SINK_PORT
	BACKEND_PIDS="$BACKEND_PIDS $SPAWNED"
	spawn iperf3-server $LOAD_CPU iperf3 -s -B 127.0.0.1 -p $IPERF_PORT
	BACKEND_PIDS="$BACKEND_PIDS $SPAWNED"
	spawn echo $LOAD_CPU "$BENCHTOOL" echo $ECHO_PORT
	BACKEND_PIDS="$BACKEND_PIDS $SPAWNED"
	# One worker, as the other backends; it serves the same files.
	spawn nghttpd $LOAD_CPU nghttpd --no-tls -a 127.0.0.1 -n 1 -d "$WWW" $H2_PORT
	BACKEND_PIDS="$BACKEND_PIDS $SPAWNED"
	wait_listening "$NGINX_PORT" "$SINK_PORT" "$IPERF_PORT" "$ECHO_PORT" "$H2_PORT" \
		"$BACKEND_TLS_PORT" ||
		die "backends did not start; logs in $WORK"
	start_authz
}

# W9's slow authorization service: tests/e2e/ext_authz_server.py over
# HTTP, every check allowed W9_DELAY_MS late (a thread per check, so they
# wait side by side); its port in AUTHZ_PORT ("" when W9 is not run).
start_authz() {
	local i
	AUTHZ_PORT=""
	wants W9 || return 0
	spawn ext-authz $LOAD_CPU /usr/bin/python3 "$ROOT/tests/e2e/ext_authz_server.py" \
		--http "$WORK/authz.port" --log /dev/null --delay-ms "$W9_DELAY_MS"
	BACKEND_PIDS="$BACKEND_PIDS $SPAWNED"
	for i in $(seq 100); do
		[ ! -s "$WORK/authz.port" ] || break
		sleep 0.1
	done
	AUTHZ_PORT=$(cat "$WORK/authz.port" 2>/dev/null) ||
		die "the W9 authorization service did not start; log in $WORK/ext-authz.log"
}

# pin_backends CPU: move every backend thread to CPU.
pin_backends() {
	local pid
	for pid in $BACKEND_PIDS; do
		taskset -a -p -c "$1" "$pid" >/dev/null
	done
}

check_backends() {
	local pid
	for pid in $BACKEND_PIDS; do
		alive "$pid" || die "backend pid $pid exited; logs in $WORK"
	done
}

# ---- proxies -------------------------------------------------------------

# haproxy_conf THREADS BUFSIZE SPLICE [POLL]: HTTP keep-alive both sides,
# THREADS threads (nbthread), tune.bufsize BUFSIZE bytes ("": the default,
# 16 KiB), "option splice-auto" when SPLICE is 1, "busy-polling" when POLL
# is 1. "http-reuse always" lets a new
# client connection use an idle backend connection, as nginx's upstream
# keepalive and splicegate's pool do (HAProxy's default "safe" opens a
# backend connection for every client connection's first request).
haproxy_conf() {
	local bufsize="" splice="" poll=""
	[ -z "$2" ] || bufsize="tune.bufsize $2"
	[ "$3" != 1 ] || splice="option splice-auto"
	[ "${4:-0}" != 1 ] || poll="busy-polling"
	cat <<EOF
global
	nbthread $1
	maxconn 4096
	$poll
	$bufsize
defaults
	mode http
	timeout connect 5s
	timeout client 120s
	timeout server 120s
	option http-keep-alive
	http-reuse always
	$splice
frontend http
	bind 127.0.0.1:$FRONT_HTTP
	use_backend sink if { path_beg /upload }
	default_backend files
backend files
	server files 127.0.0.1:$NGINX_PORT
backend sink
	server sink 127.0.0.1:$SINK_PORT
frontend https
	bind 127.0.0.1:$FRONT_TLS ssl crt $WORK/tls.pem alpn h2,http/1.1
	default_backend files
frontend pass
	mode tcp
	bind 127.0.0.1:$FRONT_PASS
	tcp-request inspect-delay 5s
	tcp-request content accept if { req.ssl_hello_type 1 }
	use_backend tlsback if { req.ssl_sni -i pass.test }
backend tlsback
	mode tcp
	server tlsback 127.0.0.1:$BACKEND_TLS_PORT
listen iperf
	mode tcp
	bind 127.0.0.1:$FRONT_IPERF
	server iperf 127.0.0.1:$IPERF_PORT
listen echo
	mode tcp
	bind 127.0.0.1:$FRONT_ECHO
	server echo 127.0.0.1:$ECHO_PORT
frontend h2c
	bind 127.0.0.1:$FRONT_H2 proto h2
	default_backend h2c
backend h2c
	server h2c 127.0.0.1:$H2_PORT proto h2
EOF
}

# proxy_nginx_conf DIR SIZE WORKERS: nginx as a reverse proxy, upstream
# keepalive, bodies streamed both ways (no spooling to temp files), buffers
# of SIZE (16k, 64k, 1m...) for bodies in both directions (HTTP and gRPC)
# and for the stream module's tunnels; stream module for L4. One process;
# WORKERS > 1: a master and WORKERS workers, each listener SO_REUSEPORT
# (one accept queue per worker, as splicegate's workers have).
proxy_nginx_conf() {
	local size=$2 busy master=off reuse=""
	busy=$(($(size_bytes "$size") * 2))
	if [ "$3" -gt 1 ]; then
		master=on
		reuse=" reuseport"
	fi
	cat <<EOF
daemon off;
master_process $master;
worker_processes $3;
pid $1/nginx.pid;
error_log $1/error.log warn;
load_module $NGINX_STREAM_MODULE;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000000;
	keepalive_timeout 300s;
	client_max_body_size 0;
	client_body_buffer_size $size;
	proxy_http_version 1.1;
	proxy_set_header Connection "";
	proxy_buffering off;
	proxy_request_buffering off;
	proxy_buffer_size $size;
	proxy_buffers 8 $size;
	proxy_busy_buffers_size $busy;
	grpc_buffer_size $size;
	upstream files {
		server 127.0.0.1:$NGINX_PORT;
		keepalive 64;
		keepalive_requests 1000000000;
	}
	upstream sink {
		server 127.0.0.1:$SINK_PORT;
		keepalive 64;
		keepalive_requests 1000000000;
	}
	server {
		listen 127.0.0.1:$FRONT_HTTP$reuse;
		location / { proxy_pass http://files; }
		location /upload { proxy_pass http://sink; }
	}
	server {
		listen 127.0.0.1:$FRONT_TLS ssl http2$reuse;
		ssl_certificate $WORK/tls.crt;
		ssl_certificate_key $WORK/tls.key;
		ssl_session_cache shared:tls:10m;
		# nginx 1.22 offers TLS 1.2 at most unless told (1.23.4 added 1.3
		# to its default): without this its handshakes, resumed ones above
		# all, do other work than HAProxy's and splicegate's TLS 1.3 ones.
		ssl_protocols TLSv1.2 TLSv1.3;
		location / { proxy_pass http://files; }
	}
	# W7: h2c in, h2c out (nginx speaks HTTP/2 to a backend only through
	# its gRPC module, which forwards any request).
	upstream h2c {
		server 127.0.0.1:$H2_PORT;
		keepalive 64;
	}
	server {
		listen 127.0.0.1:$FRONT_H2 http2$reuse;
		http2_max_concurrent_streams 128;
		location / { grpc_pass grpc://h2c; }
	}
}
stream {
	proxy_buffer_size $size;
	map \$ssl_preread_server_name \$tls_up {
		pass.test 127.0.0.1:$BACKEND_TLS_PORT;
		default 127.0.0.1:1;
	}
	server { listen 127.0.0.1:$FRONT_PASS$reuse; ssl_preread on; proxy_pass \$tls_up; }
	server { listen 127.0.0.1:$FRONT_IPERF$reuse; proxy_pass 127.0.0.1:$IPERF_PORT; }
	server { listen 127.0.0.1:$FRONT_ECHO$reuse; proxy_pass 127.0.0.1:$ECHO_PORT; }
}
EOF
}

# splicegate, standalone dialect: the same routes; default policies. Its
# stats and readiness listeners default to 0.0.0.0:15020/15021, which a
# gateway of someone else's (an e2e run) may hold: they move to the row's
# ports where the binary knows the keys (SG_GLOBAL_KEYS). With "filters",
# every HTTP route adds one request header and removes one (the issue 19
# overhead check).
splicegate_conf() {
	local policies=""
	[ "${1:-}" != filters ] ||
		policies="      policies: {requestHeaderModifier: {add: {x-bench: \"1\"}, remove: [user-agent]}}"
	if [ -n "$SG_GLOBAL_KEYS" ]; then
		cat <<EOF
config:
  statsAddr: 127.0.0.1:$((ADMIN_PORT + 1))
  readinessAddr: 127.0.0.1:$((ADMIN_PORT + 2))
EOF
	fi
	cat <<EOF
binds:
- port: $FRONT_HTTP
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: upload
      matches:
      - path: {pathPrefix: /upload}
$policies
      backends:
      - host: 127.0.0.1:$SINK_PORT
    - name: files
$policies
      backends:
      - host: 127.0.0.1:$NGINX_PORT
- port: $FRONT_H2
  listeners:
  - name: h2c
    protocol: HTTP
    routes:
    - name: h2c
      backends:
      - host: 127.0.0.1:$H2_PORT
        policies: {http: {version: HTTP/2.0}}
- port: $FRONT_TLS
  listeners:
  - name: https
    protocol: HTTPS
    tls: {cert: $WORK/tls.crt, key: $WORK/tls.key}
    routes:
    - name: files
      backends:
      - host: 127.0.0.1:$NGINX_PORT
- port: $FRONT_PASS
  listeners:
  - name: pass
    protocol: TLS
    tcpRoutes:
    - name: pass
      hostnames: [pass.test]
      backends:
      - host: 127.0.0.1:$BACKEND_TLS_PORT
- port: $FRONT_IPERF
  listeners:
  - name: iperf
    protocol: TCP
    tcpRoutes:
    - name: iperf
      backends:
      - host: 127.0.0.1:$IPERF_PORT
- port: $FRONT_ECHO
  listeners:
  - name: echo
    protocol: TCP
    tcpRoutes:
    - name: echo
      backends:
      - host: 127.0.0.1:$ECHO_PORT
EOF
	[ -z "${AUTHZ_PORT:-}" ] || cat <<EOF
- port: $FRONT_AUTHZ
  listeners:
  - name: authz
    protocol: HTTP
    routes:
    - name: protected
      matches:
      - headers: [{name: x-w9, value: {exact: protected}}]
      policies:
        extAuthz:
          host: 127.0.0.1:$AUTHZ_PORT
          protocol: {http: {}}
          policies: {http: {requestTimeout: 10s}}
      backends:
      - host: 127.0.0.1:$NGINX_PORT
    - name: open
      backends:
      - host: 127.0.0.1:$NGINX_PORT
EOF
}

# What this splicegate binary accepts (the script runs against whatever
# the tree builds). HAProxy and nginx run without access logs, so
# splicegate does too where it has the option.
sg_probe() {
	SG_QUIET="--log-level warn"
	if "$SG_BIN" --help 2>&1 | grep -q -- --access-log; then
		SG_QUIET="$SG_QUIET --access-log off"
	fi
	SG_GLOBAL_KEYS=1
	row_ports 0
	splicegate_conf >"$WORK/probe.yaml"
	"$SG_BIN" check -c "$WORK/probe.yaml" >/dev/null 2>&1 || SG_GLOBAL_KEYS=""
}

# row_ports INDEX: each row and repetition gets its own front ports, so
# TIME_WAIT sockets left by one never meet the next one's listeners.
ROW_SLOTS=20
row_ports() {
	local base=$((PORT_BASE + 10 + 10 * ($1 + ROW_SLOTS * (REP - 1))))
	FRONT_HTTP=$base
	FRONT_IPERF=$((base + 1))
	FRONT_ECHO=$((base + 2))
	ADMIN_PORT=$((base + 3))
	FRONT_H2=$((base + 6))
	FRONT_TLS=$((base + 7))
	FRONT_PASS=$((base + 8))
	FRONT_AUTHZ=$((base + 9)) # W9's, splicegate rows only
}

# spawn_splicegate DIR ENGINE[-filters] WORKERS [POLL] [COALESCE]: the row's
# gateway on its config, with --busy-poll when POLL is 1 and --coalesce when
# COALESCE is 1.
spawn_splicegate() {
	local waits=""
	[ "${4:-0}" != 1 ] || waits="--busy-poll $BENCH_BUSY_POLL"
	[ "${5:-0}" != 1 ] || waits="$waits --coalesce $BENCH_COALESCE"
	# shellcheck disable=SC2086 # SG_QUIET and waits are word lists
	if [ -n "$R_ARGS" ]; then
		local var=BENCH_SG_ARGS_$R_ARGS
		[ -n "${!var:-}" ] || die "row $ROW: $var is not set"
		waits="$waits ${!var}"
	fi
	# A -base build may be older than --admin-socket.
	local sock="--admin-socket $1/admin.sock"
	"$R_BIN" --help 2>&1 | grep -q -- --admin-socket || sock=""
	spawn "$ROW" $PROXY_CPU "$R_BIN" -c "$1/splicegate.yaml" --splice "${2%-filters}" \
		--workers "$3" --admin 127.0.0.1:$ADMIN_PORT $sock $SG_QUIET $waits
}

# size_bytes SIZE: 16k, 1m or a plain number of bytes, in bytes.
size_bytes() {
	case $1 in
	*[kK]) echo $((${1%?} * 1024)) ;;
	*[mM]) echo $((${1%?} * 1048576)) ;;
	*) echo $(($1)) ;;
	esac
}

# parse_row NAME: what a row name says (BENCH_ROWS, script header): R_BASE
# (the name without -xN), R_WORKERS (N, or 1), and for peers R_SIZE (bytes:
# HAProxy's tune.bufsize, "" for its default; nginx's buffers as written)
# and R_SPLICE (HAProxy: 1 or 0), and R_POLL (1 for a HAProxy or splicegate
# row named with -poll: HAProxy's busy-polling, splicegate's --busy-poll),
# R_COALESCE (1 for a splicegate row named with -coalesce: --coalesce),
# R_QUOTA (P for a proxy row named with -qP, 20 to 100: quota_hold; else
# 0), R_ARGS (N for a splicegate row named with -argsN, else empty) and
# R_BIN (the splicegate binary: $BENCH_SG_BASE for a row named with -base,
# else the one measured). Returns 1 for a name it does not know.
parse_row() {
	local rest
	R_BASE=$1 R_WORKERS=1 R_SIZE="" R_SPLICE=0 R_POLL=0 R_COALESCE=0 R_QUOTA=0 R_ARGS=""
	R_BIN=$SG_BIN
	if [[ $1 =~ ^(.*)-x([1-9][0-9]*)$ ]]; then
		R_BASE=${BASH_REMATCH[1]}
		R_WORKERS=${BASH_REMATCH[2]}
	fi
	if [[ $R_BASE =~ ^(.*)-q([1-9][0-9]*)$ ]]; then
		R_BASE=${BASH_REMATCH[1]}
		R_QUOTA=${BASH_REMATCH[2]}
		[ "$R_QUOTA" -ge 20 ] && [ "$R_QUOTA" -le 100 ] && [[ $R_BASE != direct* ]] || return 1
	fi
	case $R_BASE in
	haproxy*-poll | splicegate-*-poll) R_POLL=1 R_BASE=${R_BASE%-poll} ;;
	esac
	case $R_BASE in
	splicegate-*-coalesce) R_COALESCE=1 R_BASE=${R_BASE%-coalesce} ;;
	esac
	if [[ $R_BASE =~ ^(splicegate-.*)-args([0-9])$ ]]; then
		R_BASE=${BASH_REMATCH[1]}
		R_ARGS=${BASH_REMATCH[2]}
	fi
	case $R_BASE in
	splicegate-*-base)
		[ -x "${BENCH_SG_BASE:-}" ] || return 1
		R_BIN=$BENCH_SG_BASE R_BASE=${R_BASE%-base}
		;;
	esac
	case $R_BASE in
	direct | direct-2cpu) [ "$R_WORKERS" = 1 ] ;;
	haproxy | haproxy-*)
		# haproxy[-SIZE][-splice|-nosplice]
		rest=${R_BASE#haproxy}
		R_SPLICE=""
		case $rest in
		*-splice) R_SPLICE=1 rest=${rest%-splice} ;;
		*-nosplice) R_SPLICE=0 rest=${rest%-nosplice} ;;
		esac
		if [ -n "$rest" ]; then
			[[ $rest =~ ^-[1-9][0-9]*[kKmM]?$ ]] || return 1
			R_SIZE=$(size_bytes "${rest#-}")
			[ -n "$R_SPLICE" ] || R_SPLICE=$HAPROXY_SIZED_SPLICE
		fi
		R_SPLICE=${R_SPLICE:-0}
		;;
	nginx) R_SIZE=64k ;;
	nginx-*)
		R_SIZE=${R_BASE#nginx-}
		[[ $R_SIZE =~ ^[1-9][0-9]*[kKmM]?$ ]]
		;;
	splicegate-*-filters) [[ ${R_BASE#splicegate-} =~ ^[a-z]+-filters$ ]] ;;
	splicegate-*) [[ ${R_BASE#splicegate-} =~ ^[a-z]+$ ]] ;;
	floor | floor-uring) [ "$R_WORKERS" = 1 ] && [ "$R_POLL$R_COALESCE" = 00 ] ;;
	*) return 1 ;;
	esac
}

# row_urls: the URLs and front ports the workloads use for the current ROW
# (after row_ports): the proxy's, or the backends' own for direct.
row_urls() {
	parse_row "$ROW" || die "unknown row $ROW"
	URL=http://127.0.0.1:$FRONT_HTTP
	UPLOAD_URL=$URL/upload
	H2_URL=http://127.0.0.1:$FRONT_H2
	TLS_URL=https://127.0.0.1:$FRONT_TLS
	AUTHZ_URL=http://127.0.0.1:$FRONT_AUTHZ
	case $R_BASE in
	direct | direct-2cpu)
		URL=http://127.0.0.1:$NGINX_PORT
		UPLOAD_URL=http://127.0.0.1:$SINK_PORT/upload
		H2_URL=http://127.0.0.1:$H2_PORT
		# TLS direct: nginx terminating it itself, as the backend.
		TLS_URL=https://127.0.0.1:$BACKEND_TLS_PORT
		FRONT_TLS=$BACKEND_TLS_PORT
		FRONT_PASS=$BACKEND_TLS_PORT
		FRONT_IPERF=$IPERF_PORT
		FRONT_ECHO=$ECHO_PORT
		;;
	esac
}

# start_proxy: the current ROW's proxy on PROXY_CPU (none for direct);
# sets PROXY_PID and the URLs. Returns 1 if it does not come up.
start_proxy() {
	local dir=$WORK/$ROW mode=epoll ports
	row_urls
	ports="$FRONT_HTTP $FRONT_IPERF $FRONT_ECHO $FRONT_H2 $FRONT_TLS $FRONT_PASS"
	mkdir -p "$dir"
	PROXY_PID=""
	case $R_BASE in
	direct | direct-2cpu)
		return 0
		;;
	haproxy | haproxy-*)
		haproxy_conf "$R_WORKERS" "$R_SIZE" "$R_SPLICE" "$R_POLL" >"$dir/haproxy.cfg"
		spawn "$ROW" $PROXY_CPU haproxy -db -f "$dir/haproxy.cfg"
		;;
	nginx | nginx-*)
		proxy_nginx_conf "$dir" "$R_SIZE" "$R_WORKERS" >"$dir/nginx.conf"
		spawn "$ROW" $PROXY_CPU nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
		;;
	splicegate-*-filters)
		splicegate_conf filters >"$dir/splicegate.yaml"
		spawn_splicegate "$dir" "${R_BASE#splicegate-}" "$R_WORKERS" "$R_POLL" "$R_COALESCE"
		;;
	splicegate-*)
		splicegate_conf >"$dir/splicegate.yaml"
		spawn_splicegate "$dir" "${R_BASE#splicegate-}" "$R_WORKERS" "$R_POLL" "$R_COALESCE"
		;;
	floor | floor-uring)
		# The floor (scripts/bench/fwdfloor.c): HTTP and the L4 echo
		# forwarded byte for byte, nothing read; the steps it can run
		# are row_runs'.
		[ "$R_BASE" = floor ] || mode=uring
		spawn "$ROW" $PROXY_CPU "$FWDFLOOR" $mode "$FRONT_HTTP:$NGINX_PORT" \
			"$FRONT_ECHO:$ECHO_PORT"
		ports="$FRONT_HTTP $FRONT_ECHO"
		;;
	esac
	PROXY_PID=$SPAWNED
	# shellcheck disable=SC2086 # a word list
	wait_listening $ports && alive "$PROXY_PID" && quota_hold
}

# quota_hold: a row named -qP (R_QUOTA) has its proxy and the proxy's
# children (nginx's workers), every thread of each (cgroup.procs), in a
# cgroup of its own (v1 cpu controller) that holds them to P % of one CPU:
# the proxy's own CPU is what limits every workload then, the same for
# each such row, and an idle proxy's timers take nothing from the one
# measured.
quota_hold() {
	local pid root=/sys/fs/cgroup/cpu cg
	[ "$R_QUOTA" != 0 ] && [ -n "$PROXY_PID" ] || return 0
	if [ -z "$QUOTA_CG" ]; then
		[ -w "$root/cgroup.procs" ] || die "row $ROW needs the cgroup v1 cpu controller at $root"
		QUOTA_CG=$root/splicegate-bench-$$
		mkdir "$QUOTA_CG" || die "cannot create $QUOTA_CG"
	fi
	cg=$QUOTA_CG/$ROW
	quota_group "$cg" "$R_QUOTA"
	proxy_procs | while read -r pid _; do
		echo "$pid" >"$cg/cgroup.procs"
	done
}

# quota_remove: the cgroups go once their processes have (cleanup first).
quota_remove() {
	[ -n "$QUOTA_CG" ] || return 0
	rmdir "$QUOTA_CG"/*/ "$QUOTA_CG" 2>/dev/null || true
}

# Stops the row's proxy and keeps what it logged (warnings are findings).
stop_proxy() {
	[ -z "$PROXY_PID" ] || stop_pid "$PROXY_PID"
	PROXY_PID=""
	if [ -s "$WORK/$ROW.log" ]; then
		mkdir -p "$LOG_DIR"
		cat "$WORK/$ROW.log" >>"$LOG_DIR/$ROW.log"
	fi
	rm -f "$WORK/$ROW.log"
}

# ---- measuring -------------------------------------------------------------

TICK=$(getconf CLK_TCK)

# The proxy and its child processes (nginx's workers when it has a
# master), a line each: pid, then utime+stime of all its threads in clock
# ticks.
proxy_procs() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v p="$PROXY_PID" '
		{ pid = $1; sub(/^[0-9]+ \(.*\) /, "") }
		pid == p || $2 == p { print pid, $12 + $13 }'
}

# utime+stime of the proxy and its children (proxy_procs), in clock ticks.
proc_ticks() {
	if [ -z "$PROXY_PID" ]; then
		echo 0
		return
	fi
	proxy_procs | awk '{ t += $2 } END { print t + 0 }'
}

# The proxy's sleeps so far: voluntary context switches of every thread of
# proxy_procs. Each is a wake-up to come, which costs the core that makes it.
proxy_sleeps() {
	local pid
	for pid in $(proxy_procs | cut -d' ' -f1); do
		cat /proc/"$pid"/task/*/status 2>/dev/null
	done | awk '/^voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

# utime+stime of the backends (BACKEND_PIDS) and their children (nginx's
# workers), in clock ticks: the origin's share of the machine's CPU.
origin_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v pids=" $BACKEND_PIDS " '
		{ pid = $1; sub(/^[0-9]+ \(.*\) /, "") }
		index(pids, " " pid " ") || index(pids, " " $2 " ") { t += $12 + $13 }
		END { print t + 0 }'
}

# client CMD [ARG...]: a load generator, its CPU and sleeps appended to
# CLIENT_RU by benchtool rusage (cpu_end reads them). Wraps timeout and
# taskset too, whose own cost is a rounding error.
client() {
	"$BENCHTOOL" rusage "$CLIENT_RU" "$@"
}

# Busy ticks of the whole machine: user nice system irq softirq steal.
machine_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# Ticks of work that is not the benchmark's: everything the machine did
# (tick accounting charges softirq to the task it interrupts, so it is
# counted here and in the tasks) minus this script's process group and
# minus kernel threads (they may be doing our loopback or sockmap work).
# Our group's reaped children are in its cutime/cstime, so a curl that
# starts and ends inside the window still counts as ours; wrk & co. run
# under timeout (its own group) but are reaped before the window ends.
foreign_ticks() {
	local all
	all=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat)
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v me="$MY_PGID" -v all="$all" '
		{ sub(/^[0-9]+ \(.*\) /, "") }
		$3 == me { ours += $12 + $13 + $14 + $15 }
		int($7 / 2097152) % 2 == 1 { kthreads += $12 + $13 }  # PF_KTHREAD
		END { print all - ours - kthreads }'
}

cpu_begin() {
	CLIENT_RU=$WORK/client.rusage
	rm -f "$CLIENT_RU"
	CPU_S0=$(proxy_sleeps)
	CPU_O0=$(origin_ticks)
	CPU_P0=$(proc_ticks)
	CPU_M0=$(machine_ticks)
	CPU_F0=$(foreign_ticks)
	CPU_T0=$(date +%s%N)
}

# cpu_end WORKLOAD UNITS LABEL: records CPU seconds per LABEL ("GB" or "1k
# req") of the proxy process, of the load generator (client), of the
# backends (origin) and of the machine over the measured window, and per
# 1k req the sleeps (voluntary context switches) of the proxy and the
# client.
cpu_end() {
	local p1 m1 f1 t1 s1 o1 cl
	p1=$(proc_ticks)
	m1=$(machine_ticks)
	f1=$(foreign_ticks)
	t1=$(date +%s%N)
	s1=$(proxy_sleeps)
	o1=$(origin_ticks)
	record "$1" "origin CPU s/$3" lower \
		"$(awk -v d=$((o1 - CPU_O0)) -v t="$TICK" -v u="$2" 'BEGIN { printf "%.4f", d / t / u }')"
	if [ -s "$CLIENT_RU" ]; then
		cl=$(awk '{ c += $1 + $2; v += $3 } END { print c, v }' "$CLIENT_RU")
		record "$1" "client CPU s/$3" lower \
			"$(awk -v c="${cl% *}" -v u="$2" 'BEGIN { printf "%.4f", c / u }')"
		[ "$3" != "1k req" ] || record "$1" "client sleeps/1k req" lower \
			"$(awk -v v="${cl#* }" -v u="$2" 'BEGIN { printf "%.1f", v / u }')"
	fi
	if [ -n "$PROXY_PID" ] && [ "$3" = "1k req" ]; then
		record "$1" "proxy sleeps/1k req" lower \
			"$(awk -v v=$((s1 - CPU_S0)) -v u="$2" 'BEGIN { printf "%.1f", v / u }')"
	fi
	if [ -n "$PROXY_PID" ]; then
		record "$1" "proxy CPU s/$3" lower \
			"$(awk -v d=$((p1 - CPU_P0)) -v t="$TICK" -v u="$2" 'BEGIN { printf "%.4f", d / t / u }')"
		# How busy the proxy's core was: near 1, the proxy is what limits
		# the workload; well below, the load generator's core is.
		record "$1" "proxy busy (of a core)" info \
			"$(awk -v d=$((p1 - CPU_P0)) -v t="$TICK" -v ns=$((t1 - CPU_T0)) 'BEGIN { printf "%.3f", d / t / (ns / 1e9) }')"
	fi
	record "$1" "machine CPU s/$3" lower \
		"$(awk -v d=$((m1 - CPU_M0)) -v t="$TICK" -v u="$2" 'BEGIN { printf "%.4f", d / t / u }')"
	# Other people's work during the sample and the sample's length: the
	# report sums them up rather than tabulating them.
	record "$1" "other CPU s" lower \
		"$(awk -v d=$((f1 - CPU_F0)) -v t="$TICK" 'BEGIN { printf "%.2f", d / t }')"
	record "$1" "window s" lower "$(awk -v ns=$((t1 - CPU_T0)) 'BEGIN { printf "%.2f", ns / 1e9 }')"
}

# record WORKLOAD METRIC BETTER VALUE: one sample into the raw CSV (no
# commas in the labels).
record() {
	echo "$ROW,$1,$2,$3,$SAMPLE,$4" >>"$RAW"
}

# fail WORKLOAD MESSAGE: the sample is dropped and the failure listed.
fail() {
	log "FAIL $ROW / $1 / rep $SAMPLE: $2"
	printf -- '- %s, %s, rep %s: %s\n' "$ROW" "$1" "$SAMPLE" "$2" >>"$FAILS"
	FAILED=1
}

per_s() { # COUNT SECONDS
	awk -v n="$1" -v s="$2" 'BEGIN { printf "%.3f", n / s }'
}

# run_wrk SECS PATH [ARGS...]: wrk on the load core with 64 connections
# (WRK_THREADS threads);
# fills WRK_<field> from wrk-summary.lua's line. Returns 1 (message in
# WRK_ERR) on a non-2xx answer, a socket error or no request at all.
# shellcheck disable=SC2154 # WRK_<field> are assigned through printf -v
run_wrk() {
	local secs=$1 url=$URL$2 out line kv
	shift 2
	WRK_ERR=""
	if ! out=$(client timeout $((secs + 30)) taskset -c $LOAD_CPU wrk -t$WRK_THREADS -c64 -d"${secs}s" \
		-s "$HERE/bench/wrk-summary.lua" "$@" "$url" 2>&1); then
		WRK_ERR="wrk failed: $(echo "$out" | tail -1)"
		return 1
	fi
	line=$(echo "$out" | grep '^SGBENCH ') || {
		WRK_ERR="no summary from wrk: $(echo "$out" | tail -1)"
		return 1
	}
	for kv in ${line#SGBENCH }; do
		printf -v "WRK_${kv%%=*}" %s "${kv#*=}"
	done
	if [ "$WRK_requests" -eq 0 ] || [ "$WRK_status" -ne 0 ] ||
		[ $((WRK_connect + WRK_read + WRK_write + WRK_timeout)) -ne 0 ]; then
		WRK_ERR="wrk: ${line#SGBENCH }"
		return 1
	fi
}

# shellcheck disable=SC2154 # WRK_<field> are assigned through printf -v
w1_keepalive() {
	local wl="W1 GET 100 B keep-alive"
	cpu_begin
	run_wrk $((W1_SECS / $(w1_parts))) /100b || {
		fail "$wl" "$WRK_ERR"
		return 0
	}
	cpu_end "$wl" "$(per_s "$WRK_requests" 1000)" "1k req"
	record "$wl" "req/s" higher "$(per_s "$WRK_requests" "$(per_s "$WRK_duration_us" 1e6)")"
	record "$wl" "p50 µs" lower "$WRK_p50_us"
	record "$wl" "p99 µs" lower "$WRK_p99_us"
}

w2_new_conn() {
	local wl="W2 GET 100 B new connection each"
	cpu_begin
	run_wrk "$W2_SECS" /100b -H "Connection: close" || {
		fail "$wl" "$WRK_ERR"
		return 0
	}
	cpu_end "$wl" "$(per_s "$WRK_requests" 1000)" "1k req"
	record "$wl" "req/s" higher "$(per_s "$WRK_requests" "$(per_s "$WRK_duration_us" 1e6)")"
}

# check_curl OUTPUT CODE BYTES: curl's "-w '%{http_code} %{size} %{time}'"
# line must show the expected status and byte count.
check_curl() {
	# shellcheck disable=SC2086 # split curl's three fields on purpose
	set -- $1 "$2" "$3"
	[ "$#" = 5 ] && [ "$1" = "$4" ] && [ "$2" = "$5" ]
}

w3_download_1() {
	local wl="W3 download 1 GiB 1 stream" out
	cpu_begin
	out=$(client taskset -c $LOAD_CPU curl -sS -o /dev/null --max-time 120 \
		-w '%{http_code} %{size_download} %{time_total}' "$URL/1g" 2>&1) || true
	if ! check_curl "$out" 200 $GIB; then
		fail "$wl" "curl: $out"
		return 0
	fi
	cpu_end "$wl" "$(per_s $GIB 1e9)" GB
	record "$wl" "GB/s" higher "$(per_s $GIB "$(echo "$out" | cut -d' ' -f3)" | awk '{ printf "%.3f", $1 / 1e9 }')"
}

w3_download_8() {
	local wl="W3 download 8 x 128 MiB" pids="" pid i t0 t1 out bad=""
	cpu_begin
	t0=$(date +%s%N)
	for i in 1 2 3 4 5 6 7 8; do
		spawn "curl8-$i" $LOAD_CPU "$BENCHTOOL" rusage "$CLIENT_RU" curl -sS -o /dev/null --max-time 120 \
			-w '%{http_code} %{size_download} %{time_total}' "$URL/128m"
		pids="$pids $SPAWNED"
	done
	for pid in $pids; do
		wait "$pid" || true
		forget "$pid"
	done
	t1=$(date +%s%N)
	for i in 1 2 3 4 5 6 7 8; do
		out=$(cat "$WORK/curl8-$i.log")
		check_curl "$out" 200 $MIB128 || bad="$bad [stream $i: $out]"
	done
	if [ -n "$bad" ]; then
		fail "$wl" "curl:$bad"
		return 0
	fi
	cpu_end "$wl" "$(per_s $((8 * MIB128)) 1e9)" GB
	record "$wl" "GB/s" higher "$(awk -v b=$((8 * MIB128)) -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", b / ns }')"
}

# w_cclient WORKLOAD get|put PORT PATH BYTES STREAMS: benchtool's client
# moving every body byte itself (recv or send through its own buffer);
# STREAMS connections at once, BYTES each. GB/s by benchtool's clock, from
# the first connect to the last byte (get) or the sink's answer (put, whose
# answer is the byte count the sink read, checked by benchtool).
w_cclient() {
	local wl=$1 kind=$2 port=$3 path=$4 bytes=$5 streams=$6 out
	cpu_begin
	if ! out=$(client timeout 150 taskset -c $LOAD_CPU "$BENCHTOOL" "$kind" "$port" "$path" \
		"$bytes" "$streams" 2>&1); then
		fail "$wl" "benchtool $kind: $(echo "$out" | tr '\n' ' ')"
		return 0
	fi
	cpu_end "$wl" "$(per_s $((bytes * streams)) 1e9)" GB
	record "$wl" "GB/s" higher "$(echo "$out" | awk '{ printf "%.3f", $1 / $2 / 1e9 }')"
}

# url_port URL: the port of http://127.0.0.1:PORT[/path].
url_port() {
	local p=${1#*://*:}
	echo "${p%%/*}"
}

# The sink answers with the number of body bytes it read: the whole
# upload must have arrived, not just have been sent. "Expect:" is
# dropped so that no proxy's 100-continue handling is on the clock.
w4_upload() {
	local wl="W4 upload 1 GiB" out body
	cpu_begin
	out=$(client taskset -c $LOAD_CPU curl -sS -H 'Expect:' -T "$WWW/1g" --max-time 120 \
		-o "$WORK/upload.body" -w '%{http_code} %{size_upload} %{time_total}' \
		"$UPLOAD_URL" 2>&1) || true
	body=$(cat "$WORK/upload.body" 2>/dev/null || true)
	if ! check_curl "$out" 200 $GIB || [ "$body" != $GIB ]; then
		fail "$wl" "curl: $out, sink read: ${body:-nothing}"
		return 0
	fi
	cpu_end "$wl" "$(per_s $GIB 1e9)" GB
	record "$wl" "GB/s" higher "$(per_s $GIB "$(echo "$out" | cut -d' ' -f3)" | awk '{ printf "%.3f", $1 / 1e9 }')"
}

w5_tunnel() {
	local wl="W5 L4 tunnel iperf3 1 stream" json="$WORK/iperf3.json" err bytes secs
	cpu_begin
	client timeout $((W5_SECS + 30)) taskset -c $LOAD_CPU iperf3 -c 127.0.0.1 -p "$FRONT_IPERF" \
		-t "$W5_SECS" -J >"$json" 2>&1 || true
	err=$(jq -r '.error // empty' "$json" 2>/dev/null) || err="unreadable iperf3 output: $(tail -1 "$json")"
	bytes=$(jq -r '.end.sum_received.bytes // 0' "$json" 2>/dev/null) || bytes=0
	secs=$(jq -r '.end.sum_received.seconds // 0' "$json" 2>/dev/null) || secs=0
	if [ -n "$err" ] || [ "$bytes" = 0 ]; then
		fail "$wl" "iperf3: ${err:-no bytes received}"
		return 0
	fi
	cpu_end "$wl" "$(per_s "$bytes" 1e9)" GB
	record "$wl" "GB/s" higher "$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.3f", b / s / 1e9 }')"
}

# w6_pingpong KIND PORT CORES: 64-byte round trips on one connection
# (KIND tcp: through the echo server; http: GET of the 64 B file), the
# same client for every row; each answer is checked by the client. CORES
# only names the placement in the workload's label.
w6_pingpong() {
	local wl out
	case $1 in
	tcp) wl="W6 ping-pong 64 B L4 ($3)" ;;
	http) wl="W6 ping-pong 64 B HTTP keep-alive ($3)" ;;
	esac
	cpu_begin
	if ! out=$(client timeout 90 taskset -c $LOAD_CPU "$BENCHTOOL" ping "$1" "$2" "$PING_COUNT" 2>&1); then
		fail "$wl" "benchtool ping: $out"
		return 0
	fi
	cpu_end "$wl" "$(per_s "$PING_COUNT" 1000)" "1k req"
	record "$wl" "p50 µs" lower "$(echo "$out" | cut -d' ' -f2)"
	record "$wl" "p99 µs" lower "$(echo "$out" | cut -d' ' -f3)"
}

# W7: h2load, 64 streams over 4 h2c connections, small responses, to an
# h2c backend (nghttpd) through the proxy; every response must be a 2xx.
# Latency percentiles come from h2load's per-request log.
w7_h2c() {
	local wl="W7 h2c GET 100 B 4 conns x 16 streams" out log=$WORK/h2load.log secs
	cpu_begin
	out=$(client timeout 120 taskset -c $LOAD_CPU h2load -n "$W7_REQS" -c 4 -m 16 \
		--log-file "$log" "$H2_URL/100b" 2>&1) || true
	if ! echo "$out" | grep -q "^requests: $W7_REQS total, $W7_REQS started, $W7_REQS done, $W7_REQS succeeded, 0 failed, 0 errored, 0 timeout" ||
		! echo "$out" | grep -q "^status codes: $W7_REQS 2xx"; then
		fail "$wl" "h2load: $(echo "$out" | grep -E '^(requests|status codes):' | tr '\n' ' ')"
		return 0
	fi
	cpu_end "$wl" "$(per_s "$W7_REQS" 1000)" "1k req"
	secs=$(h2load_secs <<<"$out")
	record "$wl" "req/s" higher "$(per_s "$W7_REQS" "$secs")"
	record "$wl" "p50 µs" lower "$(cut -f3 "$log" | sort -n | awk '{ v[NR] = $1 } END { print v[int(NR * 0.50)] }')"
	record "$wl" "p99 µs" lower "$(cut -f3 "$log" | sort -n | awk '{ v[NR] = $1 } END { print v[int(NR * 0.99)] }')"
}

# W8: TLS, the same certificate (ECDSA P-256) and library (OpenSSL 3.0)
# everywhere, TLS 1.3 with its default suite (TLS_AES_256_GCM_SHA384).
# Keep-alive is W1 over TLS (wrk); handshakes are openssl s_time, a new
# connection per GET of 100 B, full (-new) and resumed with the session of
# the first (-reuse); the downloads are curl. Passthrough: the same 1 GiB
# from nginx's TLS server, through the proxy by SNI, never decrypted there.
w8_tls() {
	local wl out t0 t1 n how status
	wl="W8 TLS GET 100 B keep-alive"
	cpu_begin
	if URL=$TLS_URL run_wrk "$W1_SECS" /100b; then
		cpu_end "$wl" "$(per_s "$WRK_requests" 1000)" "1k req"
		record "$wl" "req/s" higher "$(per_s "$WRK_requests" "$(per_s "$WRK_duration_us" 1e6)")"
		record "$wl" "p50 µs" lower "$WRK_p50_us"
	else
		fail "$wl" "$WRK_ERR"
	fi
	after "$wl"
	# s_time reads whatever comes back and counts it: the request it sends
	# (HTTP/1.0, no Host) is checked here once for a 200.
	status=$(printf 'GET /100b HTTP/1.0\r\n\r\n' | timeout 10 taskset -c $LOAD_CPU \
		openssl s_client -quiet -connect "127.0.0.1:$FRONT_TLS" 2>/dev/null | head -1 | tr -d '\r')
	for how in new reuse; do
		case $how in
		new) wl="W8 TLS handshake each GET (full)" ;;
		reuse) wl="W8 TLS handshake each GET (resumed)" ;;
		esac
		case $status in
		"HTTP/1."?" 200 "*) ;;
		*)
			fail "$wl" "s_time's request was answered '$status', not 200"
			after "$wl"
			continue
			;;
		esac
		cpu_begin
		t0=$(date +%s%N)
		out=$(client timeout $((W2_SECS + 30)) taskset -c $LOAD_CPU openssl s_time \
			-connect "127.0.0.1:$FRONT_TLS" -"$how" -time "$W2_SECS" -www /100b 2>&1) || true
		t1=$(date +%s%N)
		n=$(echo "$out" | awk '/connections in .* real seconds/ { n = $1 } END { print n + 0 }')
		if [ "$n" -lt 10 ] || echo "$out" | grep -qi "error"; then
			fail "$wl" "s_time: $(echo "$out" | tail -2 | tr '\n' ' ')"
		else
			cpu_end "$wl" "$(per_s "$n" 1000)" "1k conn"
			record "$wl" "conn/s" higher "$(awk -v n="$n" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", n / (ns / 1e9) }')"
		fi
		after "$wl"
	done
	w8_download "W8 TLS download 1 GiB" "$TLS_URL/1g"
	w8_download "W8 TLS passthrough download 1 GiB" "https://pass.test:$FRONT_PASS/1g" \
		--resolve "pass.test:$FRONT_PASS:127.0.0.1"
}

# w8_download WORKLOAD URL [CURL ARGS...]: 1 GiB over TLS, certificate not
# checked (the bench's is self-signed).
w8_download() {
	local wl=$1 url=$2 out
	shift 2
	cpu_begin
	out=$(client taskset -c $LOAD_CPU curl -sSk -o /dev/null --max-time 120 "$@" \
		-w '%{http_code} %{size_download} %{time_total}' "$url" 2>&1) || true
	if check_curl "$out" 200 $GIB; then
		cpu_end "$wl" "$(per_s $GIB 1e9)" GB
		record "$wl" "GB/s" higher "$(per_s $GIB "$(echo "$out" | cut -d' ' -f3)" | awk '{ printf "%.3f", $1 / 1e9 }')"
	else
		fail "$wl" "curl: $out"
	fi
	after "$wl"
}

# W9: what a slow authorization service costs the requests it does not
# protect. The row's W9 listener (one worker, as every row) has a route
# behind extAuthz (the service answers each check W9_DELAY_MS late) and
# one without. W1's GET of 100 B on the open route alone, then again
# while another wrk keeps W9_CONNS requests waiting on the protected
# route; the second over the first is the ratio (1.0: the waits cost
# the open route nothing; a worker that blocked on the service would
# serve near none). The protected route's own rate shows the checks ran
# side by side (about W9_CONNS per delay).
# shellcheck disable=SC2154 # WRK_<field> are assigned through printf -v
w9_ext_authz() {
	local wl="W9 extAuthz ${W9_DELAY_MS} ms: open route" alone loaded p99 line kv pid
	local -A prot=()
	if ! URL=$AUTHZ_URL run_wrk "$W9_SECS" /100b; then
		fail "$wl" "open route alone: $WRK_ERR"
		return 0
	fi
	alone=$(per_s "$WRK_requests" "$(per_s "$WRK_duration_us" 1e6)")
	spawn w9-protected $LOAD_CPU wrk -t1 -c"$W9_CONNS" -d"$((W9_SECS + 2))s" \
		-s "$HERE/bench/wrk-summary.lua" -H "x-w9: protected" "$AUTHZ_URL/100b"
	pid=$SPAWNED
	sleep 1 # its connections open and its first checks are waiting
	cpu_begin
	if ! URL=$AUTHZ_URL run_wrk "$W9_SECS" /100b; then
		fail "$wl" "open route under load: $WRK_ERR"
		wait "$pid" || true
		forget "$pid"
		return 0
	fi
	cpu_end "$wl" "$(per_s "$WRK_requests" 1000)" "1k req"
	loaded=$(per_s "$WRK_requests" "$(per_s "$WRK_duration_us" 1e6)")
	p99=$WRK_p99_us
	wait "$pid" || true
	forget "$pid"
	line=$(grep '^SGBENCH ' "$WORK/w9-protected.log") || {
		fail "$wl" "no summary from the protected route's wrk: $(tail -1 "$WORK/w9-protected.log")"
		return 0
	}
	for kv in ${line#SGBENCH }; do
		prot[${kv%%=*}]=${kv#*=}
	done
	if [ "${prot[requests]}" -eq 0 ] || [ "${prot[status]}" -ne 0 ] ||
		[ $((prot[connect] + prot[read] + prot[write] + prot[timeout])) -ne 0 ]; then
		fail "$wl" "the protected route's wrk: ${line#SGBENCH }"
		return 0
	fi
	record "$wl" "req/s alone" higher "$alone"
	record "$wl" "req/s protected route loaded" higher "$loaded"
	record "$wl" "ratio loaded ÷ alone" higher \
		"$(awk -v a="$alone" -v b="$loaded" 'BEGIN { printf "%.3f", b / a }')"
	record "$wl" "p99 µs protected route loaded" lower "$p99"
	record "$wl" "protected route req/s" info \
		"$(per_s "${prot[requests]}" "$(per_s "${prot[duration_us]}" 1e6)")"
}

# after WORKLOAD: a proxy that died is a finding; it is recorded (with
# its log's tail) and restarted so the rest of the row still runs.
after() {
	check_backends
	[ -z "$PROXY_PID" ] || alive "$PROXY_PID" && return 0
	local status=0
	wait "$PROXY_PID" 2>/dev/null || status=$?
	fail "$1" "proxy pid $PROXY_PID exited (wait status $status) during this workload; log: $(tail -3 "$WORK/$ROW.log" | tr '\n' ' ')"
	forget "$PROXY_PID"
	mkdir -p "$LOG_DIR"
	cat "$WORK/$ROW.log" >>"$LOG_DIR/$ROW.log" 2>/dev/null || true
	start_proxy || fail "$1" "proxy did not restart"
}

# w1_parts: W1's samples per repetition, each W1_SECS / w1_parts long
# (BENCH_W1_PARTS; 1 when rows run one by one; at most W1_SECS, so that
# each is a whole second or more).
w1_parts() {
	if [ "$INTERLEAVE" != 1 ] || [ "$W1_PARTS" -lt 1 ]; then
		echo 1
	elif [ "$W1_PARTS" -gt "$W1_SECS" ]; then
		echo "$W1_SECS"
	else
		echo "$W1_PARTS"
	fi
}

# wants W: BENCH_WORKLOADS names workload W.
wants() {
	case " $WORKLOADS " in *" $1 "*) return 0 ;; esac
	return 1
}

# The workloads in the order a row runs them; run_step runs one of them
# (or one group: W6's variants, W8's) on the current row, if the run
# wants it.
STEPS="W1 W2 W3 W3m W3c W3mc W4 W4c W4mc W5 W7 W8 W6 W9"

# step_wanted STEP: the run wants that step (W3m comes with W3).
step_wanted() {
	case $1 in
	W3m) wants W3 || wants W3m ;;
	*) wants "$1" ;;
	esac
}

# row_runs STEP: the current row runs STEP. A floor row (fwdfloor)
# forwards one HTTP origin and the echo server, with nothing that routes
# /upload to the sink or terminates TLS, and dials its origin blocking, as
# no proxy would for a new connection: W1 and W6 (issue 22 item 4's small
# requests on kept connections) are its steps. W9 (extAuthz) is
# splicegate's alone.
row_runs() {
	case $R_BASE in
	floor*) case $1 in W1 | W6) return 0 ;; *) return 1 ;; esac ;;
	splicegate-*) ;;
	*) [ "$1" != W9 ] || return 1 ;;
	esac
}

run_step() {
	step_wanted "$1" || return 0
	row_runs "$1" || return 0
	case $1 in
	W1) w1_keepalive ;;
	W2) w2_new_conn ;;
	W3) w3_download_1 ;;
	W3m) w3_download_8 ;;
	W3c) w_cclient "W3c download 1 GiB 1 stream (C client)" get "$(url_port "$URL")" /1g $GIB 1 ;;
	W3mc)
		w_cclient "W3mc download 8 x 128 MiB (C client)" get "$(url_port "$URL")" /128m \
			$MIB128 8
		;;
	W4) w4_upload ;;
	W4c) w_cclient "W4c upload 1 GiB (C client)" put "$(url_port "$UPLOAD_URL")" /upload $GIB 1 ;;
	W4mc)
		w_cclient "W4mc upload 8 x 128 MiB (C client)" put "$(url_port "$UPLOAD_URL")" \
			/upload $MIB128 8
		;;
	W5) w5_tunnel ;;
	W7) w7_h2c ;;
	W8) w8_tls ;;    # checks after each of its workloads itself
	W6) w6_all ;;    # likewise
	W9) w9_ext_authz ;;
	esac
	case $1 in
	W3) after "W3 1 stream" ;;
	W3m) after "W3 8 streams" ;;
	W6 | W8) ;;
	*) after "$1" ;;
	esac
}

run_rep() {
	local step
	for step in $STEPS; do
		run_step "$step"
	done
}

w6_all() {
	if [ "$SCALE" = 1 ]; then
		w6_pingpong tcp "$FRONT_ECHO" "unpinned"
		after "W6 L4"
		w6_pingpong http "${URL##*:}" "unpinned"
		after "W6 HTTP"
		return 0
	fi
	w6_pingpong tcp "$FRONT_ECHO" "2 cores"
	after "W6 L4"
	w6_pingpong http "${URL##*:}" "2 cores"
	after "W6 HTTP"
	w6_one_core
}

# On this kind of VM a wake-up across vCPUs costs ~100 us (an idle vCPU
# halts), which buries what a proxy adds to a round trip when it sits on
# its own core. So W6 runs again with every process on the load core.
w6_one_core() {
	pin_backends $LOAD_CPU
	[ -z "$PROXY_PID" ] || taskset -a -p -c $LOAD_CPU "$PROXY_PID" >/dev/null
	w6_pingpong tcp "$FRONT_ECHO" "1 core"
	after "W6 L4 1 core"
	w6_pingpong http "${URL##*:}" "1 core"
	after "W6 HTTP 1 core"
	[ -z "$PROXY_PID" ] || taskset -a -p -c $PROXY_CPU "$PROXY_PID" >/dev/null
	[ "$ROW" != direct-2cpu ] || pin_backends $PROXY_CPU
}

# run_row: one repetition of every workload through ROW's proxy, started
# fresh.
run_row() {
	log "rep $REP/$REPS: $ROW"
	select_row
	if row_up; then
		run_rep
	fi
	stop_proxy
}

# select_row: the current ROW's ports (by its place in the run's list of
# rows, whichever order a repetition takes) and URLs, and the backends
# where it wants them.
select_row() {
	row_ports "$(row_index "$ROW")"
	row_urls
	case $ROW in
	direct-2cpu) pin_backends $PROXY_CPU ;;
	*) pin_backends $LOAD_CPU ;;
	esac
}

# row_up: starts the current ROW's proxy and sends one request through
# its HTTP path before any clock starts. Returns 1 if it did not come up.
row_up() {
	local out
	if ! start_proxy; then
		fail "start" "did not come up; log: $(tail -3 "$WORK/$ROW.log" 2>/dev/null | tr '\n' ' ')"
		return 1
	fi
	out=$(curl -sS -o /dev/null --max-time 10 -w '%{http_code} %{size_download}' "$URL/100b" 2>&1) || true
	[ "$out" = "200 100" ] || fail "start" "first GET /100b: $out"
	return 0
}

# spins_idle ROW: the row's proxy takes its CPU even with nothing to do
# (HAProxy's busy-polling never sleeps; splicegate's --busy-poll stops
# polling once quiet).
spins_idle() {
	# A subshell: parse_row's R_* are the caller's.
	(parse_row "$1" && [ "$R_POLL" = 1 ] && [[ $R_BASE == haproxy* ]])
}

# run_interleaved ROWS...: one repetition workload by workload: every
# row's proxy started, then each workload on every row in turn, the order
# of the rows reversed from one workload to the next, so that the samples
# a paired ratio compares are seconds apart, not a whole row's run
# (BENCH_INTERLEAVE=1; scripts/BENCH.md, "Method"). W1 goes round the
# rows w1_parts times, each time for a part of W1_SECS, its samples
# recorded as REP.PART: its rows differ by less than this VM's swings over
# a round of them, so it takes more pairs, closer together. A proxy that spins
# while idle (spins_idle) would take half of the proxy's CPU from every
# other row, so it runs only for its own steps, started afresh for each.
# (Stopping it with SIGSTOP instead gets the script's whole process group
# a SIGHUP from the kernel when the group is orphaned, as under nohup.)
run_interleaved() {
	local -A pid=() up=()
	local rows="$*" back step order parts part
	# shellcheck disable=SC2086 # a word list
	back=$(reversed $rows)
	for ROW in $rows; do
		log "rep $REP/$REPS: starting $ROW"
		select_row
		up[$ROW]=0
		! row_up || up[$ROW]=1
		pid[$ROW]=$PROXY_PID
		! spins_idle "$ROW" || stop_proxy
	done
	order=$rows
	for step in $STEPS; do
		step_wanted "$step" || continue
		parts=1
		[ "$step" != W1 ] || parts=$(w1_parts)
		for part in $(seq "$parts"); do
			SAMPLE=$REP
			[ "$parts" = 1 ] || SAMPLE=$REP.$part
			for ROW in $order; do
				[ "${up[$ROW]}" = 1 ] || continue
				select_row
				PROXY_PID=${pid[$ROW]}
				if spins_idle "$ROW"; then
					row_up || continue
				fi
				run_step "$step"
				pid[$ROW]=$PROXY_PID # after() may have restarted it
				! spins_idle "$ROW" || stop_proxy
			done
			[ "$order" = "$rows" ] && order=$back || order=$rows
		done
	done
	SAMPLE=$REP
	for ROW in $rows; do
		PROXY_PID=${pid[$ROW]}
		spins_idle "$ROW" || stop_proxy
	done
}

# background_cpu: percent of one CPU busy over 2 s while this script runs
# nothing. Other work on the machine shows up in every row's numbers, so
# the result records it, before and after the run.
background_cpu() {
	local m0 m1
	m0=$(machine_ticks)
	sleep 2
	m1=$(machine_ticks)
	awk -v d=$((m1 - m0)) -v t="$TICK" 'BEGIN { printf "%.0f", d / t / 2 * 100 }'
}

machine_info() {
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nproc=$(nproc)"
	echo "kernel=$(uname -r)"
	echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "splicegate=$("$SG_BIN" version 2>&1 | head -1) ($(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown))"
	echo "haproxy=$(haproxy -v | head -1 | cut -d' ' -f1-3)"
	echo "nginx=$(nginx -v 2>&1 | cut -d' ' -f3)"
	echo "wrk=$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
	echo "curl=$(curl --version | head -1 | cut -d' ' -f1-2)"
	echo "iperf3=$(iperf3 --version | head -1 | cut -d' ' -f1-2)"
	echo "placement=$PLACEMENT"
	echo "reps=$REPS"
	echo "w1_secs=$W1_SECS"
	echo "w1_parts=$(w1_parts)"
	echo "w2_secs=$W2_SECS"
	echo "w5_secs=$W5_SECS"
	echo "ping_count=$PING_COUNT"
}

# default_rows: every peer config that may be the best for some workload
# (scripts/BENCH.md, "Peers") and a row per engine, then each of those
# proxy rows held to BENCH_HELD % of a CPU ("The proxy as the
# bottleneck"); with BENCH_SCALE=1 fewer, each with one and two workers,
# none held.
default_rows() {
	local rows engine held="" row
	if [ "$SCALE" = 1 ]; then
		rows="direct haproxy-splice haproxy-splice-x2 haproxy-64k haproxy-64k-x2 nginx-64k nginx-64k-x2"
		for engine in $ENGINES; do
			rows="$rows splicegate-$engine splicegate-$engine-x2"
		done
	else
		rows="direct haproxy haproxy-splice haproxy-64k nginx-16k nginx-64k nginx-1m floor floor-uring"
		for engine in $ENGINES; do
			rows="$rows splicegate-$engine"
		done
		if [ -n "$HELD" ]; then
			for row in $rows; do
				[ "$row" = direct ] || held="$held $row-q$HELD"
			done
		fi
	fi
	echo "$rows$held"
}

# reversed WORDS...: the words in the opposite order.
reversed() {
	printf '%s\n' "$@" | tac | tr '\n' ' '
}

# row_index ROW: where ROW stands in the run's list of rows.
row_index() {
	local i=0 r
	for r in ${BENCH_ROWS:-$(default_rows)}; do
		[ "$r" != "$1" ] || {
			echo "$i"
			return 0
		}
		i=$((i + 1))
	done
	die "row $1 is not in the run"
}

main() {
	local start rows row order quota
	start=$(date +%s)
	[ -x "$SG_BIN" ] || die "no splicegate binary at $SG_BIN"
	# Every row name is checked before anything is measured.
	rows=$(default_rows)
	for row in ${BENCH_ROWS:-$rows}; do
		parse_row "$row" || die "unknown row $row (BENCH_ROWS; see the script's header)"
		[ "$R_QUOTA" = 0 ] || quota=". Rows named -qP: the proxy held to P % of one CPU (a cgroup cpu quota over $((QUOTA_PERIOD_US / 1000)) ms periods, a cgroup per row)"
	done
	PLACEMENT="$PLACEMENT${quota:-}"
	[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (proxy on one, load on the other)"
	# HAProxy's maxconn 4096 needs ~8200 descriptors; Debian's default is 1024.
	[ "$(ulimit -n)" -ge 16384 ] || ulimit -n 16384 ||
		die "needs 16384 file descriptors (ulimit -n)"
	trap 'cleanup; quota_remove' EXIT
	trap 'exit 130' INT TERM
	install_tools
	mkdir -p "$OUT_DIR"
	build_tool
	check_ports
	make_workdir
	MY_PGID=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f3)
	make_files
	# One certificate for every TLS server.
	tls_cert "$WORK" bench.test
	# After the certificate: the probe's config names it, and a check that
	# failed on the missing file would leave every splicegate row on the
	# default stats ports, where a second row cannot start.
	sg_probe
	start_backends

	RUN_ID=$(date +%Y%m%d-%H%M%S)
	RAW=$OUT_DIR/results-$RUN_ID-raw.csv
	LOG_DIR=$OUT_DIR/logs-$RUN_ID
	FAILS=$WORK/failures
	: >"$FAILS"
	echo "row,workload,metric,better,rep,value" >"$RAW"
	machine_info >"$WORK/machine"
	BG_BEFORE=$(background_cpu)
	[ "$BG_BEFORE" -lt 10 ] || log "warning: the machine is busy without us ($BG_BEFORE% of a CPU)"

	# Repetitions go round all rows, so that the VM's slow phases (this
	# machine's neighbours are not quiet) fall on every row alike; every
	# other repetition goes round backwards, so that a drift over the
	# run's minutes does not always favour the rows listed first (the
	# splicegate rows come last) and the row averages cancel it.
	for REP in $(seq "$REPS"); do
		SAMPLE=$REP
		order=${BENCH_ROWS:-$rows}
		# shellcheck disable=SC2086 # a word list
		[ $((REP % 2)) = 1 ] || order=$(reversed $order)
		if [ "$INTERLEAVE" = 1 ]; then
			# shellcheck disable=SC2086 # a word list
			run_interleaved $order
			continue
		fi
		for ROW in $order; do
			run_row
		done
	done

	echo "runtime_s=$(($(date +%s) - start))" >>"$WORK/machine"
	echo "background=$BG_BEFORE% before, $(background_cpu)% after" >>"$WORK/machine"
	/usr/bin/python3 "$HERE/bench/report.py" "$RAW" "$WORK/machine" "$FAILS" \
		"$OUT_DIR/results-$RUN_ID.md" "$OUT_DIR/results-$RUN_ID.csv"
	cat "$OUT_DIR/results-$RUN_ID.md"
	"$HERE/plot.sh" bench "$OUT_DIR/results-$RUN_ID.csv" "$OUT_DIR/results-$RUN_ID.svg" >&2 ||
		log "warning: no chart of the ratios (scripts/plot.sh failed)"
	log "written: $OUT_DIR/results-$RUN_ID.md, .csv, -raw.csv, .svg ($(($(date +%s) - start)) s)"
	[ ! -d "$LOG_DIR" ] || log "proxy logs: $LOG_DIR"
	[ "$FAILED" = 0 ] || log "some measurements failed: see Failures above"
	return "$FAILED"
}

main
