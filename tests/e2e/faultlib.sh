# Shared set-up for the fault-* and smuggle-* scenarios, sourced after
# lib.sh (no dash in the name: run.sh does not run it as a scenario).
#
# fault_backends starts two sgbackends: "good" (GOOD, what the other clients
# use while a fault happens) and "fault" (FAULT, the one that misbehaves),
# and picks a port nothing listens on (DEAD). fault_config writes a
# standalone config routing /good, /fault, /dead and /dns (a name that does
# not resolve) plus any routes given on stdin. fault_start starts the
# gateway with one worker (so "kept serving others" means the one event loop
# was never blocked) and takes the baseline; fault_leaks checks, after a
# settle, that the gateway is back to it.

FAULTLIB_DIR=$E2E_DIR

fault_backends() {
	start_backend good
	GOOD=$BACKEND_PORT
	start_backend fault
	FAULT=$BACKEND_PORT
	DEAD=$(free_port)
}

# fault_config: $WORK/faults/config.yaml; extra routes (YAML list items,
# indented for `routes:`) on stdin.
fault_config() {
	mkdir -p "$WORK/faults"
	{
		cat <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: good
      matches: [{path: {pathPrefix: /good}}]
      backends: [{host: 127.0.0.1:$GOOD}]
    - name: fault
      matches: [{path: {pathPrefix: /fault}}]
      backends: [{host: 127.0.0.1:$FAULT}]
    - name: dead
      matches: [{path: {pathPrefix: /dead}}]
      backends: [{host: 127.0.0.1:$DEAD}]
    - name: dns
      matches: [{path: {pathPrefix: /dns}}]
      backends: [{host: "no-such-backend.invalid:80"}]
YAML
		cat
	} >"$WORK/faults/config.yaml"
}

# gw_fds: open file descriptors of the gateway.
gw_fds() {
	ls "/proc/$GW_PID/fd" 2>/dev/null | wc -l
}

# gw_active: splicegate_active_connections from :15020/metrics ("" when the
# scrape fails).
gw_active() {
	curl -s --max-time 5 http://127.0.0.1:15020/metrics |
		awk '$1 == "splicegate_active_connections" { print $2 }'
}

# backend_socks PORT: the gateway's TCP sockets to 127.0.0.1:PORT in any
# state but TIME-WAIT (the gateway's own, by pid: no other process here
# connects to that port through the kernel in a way ss would attribute).
backend_socks() {
	ss -Htanp "( dport = :$1 )" 2>/dev/null | grep -v TIME-WAIT | grep -c "pid=$GW_PID,"
}

# fault_start ENGINE: the gateway on $WORK/faults, one good request to warm
# up (the good backend's pooled connection is part of the baseline), then
# FD0 and ACTIVE0. Returns 1 when the gateway did not start.
fault_start() {
	start_engine "$1" -c "$WORK/faults" --workers 1 --access-log off || return 1
	curl -s -o /dev/null --max-time 5 "http://127.0.0.1:8080/good?size=10"
	for _ in $(seq 50); do
		[ "$(gw_active)" = 0 ] && break
		sleep 0.1
	done
	FD0=$(gw_fds)
	ACTIVE0=$(gw_active)
	[ "$ACTIVE0" = 0 ] || echo "  note: $ACTIVE0 active connections at the start"
}

# fault_leaks NAME [PORT]: after at most 5 s of settling, the gateway has as
# many fds as at the start (+-2: the pool may hold a connection or two to the
# good backend that another client left), the active-connections gauge is
# back at its baseline and no socket to the fault backend (or to PORT) is
# left open.
fault_leaks() {
	local fds active socks port=${2:-$FAULT}
	for _ in $(seq 50); do
		fds=$(gw_fds)
		active=$(gw_active)
		socks=$(backend_socks "$port")
		[ "$active" = "$ACTIVE0" ] && [ "$socks" = 0 ] &&
			[ "$fds" -le $((FD0 + 2)) ] && [ "$fds" -ge $((FD0 - 2)) ] && break
		sleep 0.1
	done
	if [ "$fds" -le $((FD0 + 2)) ] && [ "$fds" -ge $((FD0 - 2)) ]; then
		pass "$1: no fd leaked ($FD0 before, $fds after)"
	else
		fail "$1: fds $FD0 before, $fds after"
		ls -l "/proc/$GW_PID/fd" | tail -n +2 | sed 's/^/    /'
	fi
	check "$1: active connections back to the baseline" "$active" "$ACTIVE0"
	check "$1: no connection to the fault backend left open (:$port)" "$socks" 0
}

# py_checks ARGS...: runs a Python scenario body from stdin (faultlib.py
# importable); its "ok: ..." and "FAIL: ..." lines become pass and fail,
# anything else is shown as is. A non-zero exit is a failure too.
py_checks() {
	local out rc line
	out=$(PYTHONPATH=$FAULTLIB_DIR timeout 120 /usr/bin/python3 - "$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok: "*) pass "${line#ok: }" ;;
		"FAIL: "*) fail "${line#FAIL: }" ;;
		*) echo "    $line" ;;
		esac
	done <<<"$out"
	[ "$rc" = 0 ] || fail "python scenario exited $rc"
}

# smuggle_scenario: the body of a smuggle-* scenario. Starts an sgbackend
# behind a catch-all route and, in every engine, runs the Python on stdin
# (which calls faultlib.smuggle_main) with the backend's port as argv[1]
# and the gateway's log at $SG_GW_LOG.
smuggle_scenario() {
	local script engine
	script=$(cat)
	start_backend echo
	mkdir -p "$WORK/smuggle"
	cat >"$WORK/smuggle/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: echo
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
	for engine in $(engines); do
		echo "-- engine $engine"
		if ! start_engine "$engine" -c "$WORK/smuggle" --workers 1 --access-log off; then
			fail "gateway ($engine) did not start"
			continue
		fi
		SG_GW_LOG=$WORK/gateway.log py_checks "$BACKEND_PORT" <<<"$script"
		stop_gateway
	done
	finish
}

# dns_blackhole SECONDS: /etc/resolv.conf names a name server that reads
# every query and answers none, lookups giving up after SECONDS. The
# scenario runs in a mount namespace of its own (it re-executes itself
# under `unshare --mount` first), so that this covers only its processes.
dns_blackhole() {
	printf 'nameserver 127.0.0.153\noptions timeout:%s attempts:1\n' "$1" >"$WORK/resolv.conf"
	if ! mount --bind "$WORK/resolv.conf" /etc/resolv.conf; then
		fail "cannot bind a private resolv.conf over /etc/resolv.conf"
		finish
	fi
	/usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.153", 53))
while True:
    s.recvfrom(512)
' &
	PIDS+=("$!")
}

# get PATH [CURL ARGS]: "STATUS SECONDS SIZE" of one request, and the first
# 200 bytes of its body after them (text bodies only).
get() {
	local path=$1 body="$WORK/body.$BASHPID"
	shift
	rm -f "$body"
	curl -s -o "$body" -w '%{http_code} %{time_total} %{size_download} ' \
		--max-time 20 "$@" "http://127.0.0.1:8080$path"
	head -c 200 "$body" 2>/dev/null | tr -d '\0'
}

# status_body GET_OUTPUT: "STATUS BODY".
status_body() {
	echo "$(cut -d' ' -f1 <<<"$1") $(cut -d' ' -f4- <<<"$1")"
}

# within STATUS_TIME_BODY LO HI: the seconds of a get are in [LO, HI].
within() {
	awk -v t="$(cut -d' ' -f2 <<<"$1")" -v lo="$2" -v hi="$3" 'BEGIN { exit !(t >= lo && t <= hi) }'
}
