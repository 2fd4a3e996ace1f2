# Helpers shared by scripts/bench.sh and scripts/load.sh (sourced): log and
# die, background processes started and stopped by pid, listening ports,
# Debian packages, CPU quota groups, the C measuring tools' builds, and the
# nginx origin's config. The caller sets PIDS
# (started pids), WORK (its temp dir, named splicegate-<tool>.*), PKGS, and
# for the origin NGINX_PORT and WWW; LOG_TAG names it in log lines.

# The period of every CPU quota (quota_group): 20 ms, so that a proxy held
# to half a CPU stops for at most 10 ms at a time (scripts/BENCH.md, "The
# proxy as the bottleneck").
QUOTA_PERIOD_US=20000

# quota_group DIR P: a cgroup v1 cpu group at DIR, made if it is missing,
# that holds the tasks moved into it to P % of one CPU.
quota_group() {
	[ ! -d "$1" ] || return 0
	mkdir "$1" || die "cannot create $1 (the cgroup v1 cpu controller)"
	echo $QUOTA_PERIOD_US >"$1/cpu.cfs_period_us"
	echo $((QUOTA_PERIOD_US * $2 / 100)) >"$1/cpu.cfs_quota_us"
}

# tool_build SRC BIN [FLAGS...]: the C measuring tool SRC (scripts/bench/)
# compiled to BIN, when BIN is missing or older than SRC.
tool_build() {
	local src=$1 bin=$2
	shift 2
	[ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || return 0
	cc -O2 -Wall -Wextra -D_GNU_SOURCE -o "$bin" "$src" "$@"
}

# tls_cert DIR CN: a self-signed ECDSA P-256 certificate for CN in
# DIR/tls.crt, its key in DIR/tls.key, both in DIR/tls.pem (HAProxy takes
# them in one file): what every TLS server of the benchmarks serves.
tls_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$2" -keyout "$1/tls.key" -out "$1/tls.crt" >/dev/null 2>&1 ||
		die "openssl req failed"
	cat "$1/tls.crt" "$1/tls.key" >"$1/tls.pem"
}

log() {
	printf '[%s %s] %s\n' "${LOG_TAG:-bench}" "$(date +%T)" "$*" >&2
}

die() {
	log "error: $*"
	exit 1
}

# ---- processes -----------------------------------------------------------

# spawn NAME CPU CMD...: CMD pinned to CPU, in the background, output in
# $WORK/NAME.log; its pid (taskset execs, so the pid is CMD's) in SPAWNED.
spawn() {
	local name=$1 cpu=$2
	shift 2
	taskset -c "$cpu" "$@" >"$WORK/$name.log" 2>&1 </dev/null &
	SPAWNED=$!
	PIDS="$PIDS $SPAWNED"
}

# forget PID: reaped, so cleanup must not signal it (the pid may be reused).
forget() {
	PIDS=$(echo " $PIDS " | sed "s/ $1 / /; s/^ *//; s/ *$//")
}

# alive PID: running and not a zombie we have yet to reap.
alive() {
	local state
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# stop_pid PID: TERM, up to 5 s to exit, then KILL; reaped and forgotten.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		alive "$pid" || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	forget "$pid"
}

cleanup() {
	local pid
	for pid in $PIDS; do
		stop_pid "$pid"
	done
	case $WORK in
	*/splicegate-bench.* | */splicegate-load.*) rm -rf "$WORK" ;;
	esac
}

# listening PORT: something listens on PORT (checked without connecting:
# a stray connection would disturb iperf3's server).
listening() {
	[ -n "$(ss -Htln "sport = :$1")" ]
}

# wait_listening PORT...: up to 10 s for all of them.
wait_listening() {
	local port i
	for port in "$@"; do
		for i in $(seq 100); do
			listening "$port" && break
			sleep 0.1
		done
		listening "$port" || return 1
	done
}

# Debian packages for the comparison, installed here rather than in
# install-deps.sh so CI does not pay for them. The package lists are
# refreshed only when an install fails without them.
install_tools() {
	local missing="" p
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root, or install them)"
	log "installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends $missing >/dev/null
	fi
}

# ---- nginx ---------------------------------------------------------------

# nginx_main DIR [CONNECTIONS]: the main context of every nginx these
# scripts run: one process in the foreground, its pid and log in DIR.
nginx_main() {
	cat <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections ${2:-4096}; }
EOF
}

# The http{} lines every nginx proxy of these scripts starts with: no log,
# client connections kept for good, HTTP/1.1 keep-alive to the upstream,
# bodies passed on as they come.
nginx_proxy_http_basics() {
	cat <<'EOF'
	access_log off;
	keepalive_requests 1000000000;
	keepalive_timeout 300s;
	proxy_http_version 1.1;
	proxy_set_header Connection "";
	proxy_buffering off;
EOF
}

# The origin: nginx serving the files with sendfile, as fast as Debian's
# nginx goes; keep-alive connections are never cut so that no proxy's
# pool pays for reconnects.
backend_nginx_conf() {
	local tls=""
	# The bench's TLS server of the same files (W8), when it has a port.
	[ -z "${BACKEND_TLS_PORT:-}" ] || tls="	server {
		listen 127.0.0.1:$BACKEND_TLS_PORT ssl;
		ssl_certificate $WORK/tls.crt;
		ssl_certificate_key $WORK/tls.key;
		ssl_session_cache shared:tls:10m;
		ssl_protocols TLSv1.2 TLSv1.3;
		root $WWW;
	}
"
	cat <<EOF
$(nginx_main "$WORK/backend-nginx")
http {
	access_log off;
	default_type application/octet-stream;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000000;
	keepalive_timeout 300s;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $WWW;
	}
$tls}
EOF
}

# h2load_secs: the seconds of h2load's "finished in 774.72ms, ..." (or
# "12.3s, ...") line on stdin.
h2load_secs() {
	awk '/^finished in/ { v = $3; sub(/,$/, "", v)
		if (v ~ /ms$/) { sub(/ms$/, "", v); v /= 1000 } else sub(/s$/, "", v); print v }'
}
