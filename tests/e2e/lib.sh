# Shared helpers for e2e scenarios: sourced by each tests/e2e/*.sh.
# A scenario starts what it needs through these helpers, which remember the
# pids they started and stop exactly those on exit.

set -u
SG_BIN=${SG_BIN:?SG_BIN must point at the splicegate binary}
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
SEEDS_DIR=${SEEDS_DIR:-$REPO_DIR/../shared/seeds}
WORK=$(mktemp -d /tmp/sg-e2e.XXXXXX)
cd "$E2E_DIR" || exit 1
PIDS=()
GW_PIDS=()
FAILS=0

# Each scenario's gateways take admin writes on a socket of its own (the
# default, /run/splicegate/admin.sock, is one per host, and scenarios run
# side by side); `splicegate apply`, `delete` and `get` find it through the
# same variable. The directory is world-writable, as $SAN_DIR, for
# gateways that run as another user; the socket itself is 0660.
mkdir -m 1777 "$WORK/run"
chmod 711 "$WORK"
export SPLICEGATE_ADMIN_SOCKET=$WORK/run/admin.sock

# admin_write CURL-ARGS... PATH: curl to the admin socket (where writes go),
# PATH such as /logging?level=debug.
admin_write() {
	local path=${*: -1}
	curl -s --max-time 20 --unix-socket "$SPLICEGATE_ADMIN_SOCKET" "${@:1:$#-1}" \
		"http://localhost$path"
}

# A sanitized build (SG_SANITIZED=1, `make san`): every splicegate process
# the scenario runs (gateways, check, apply) writes its AddressSanitizer and
# LeakSanitizer report to $SAN_DIR/report.<pid> rather than to a log the
# scenario deletes, and any such file fails the scenario (san_check). Both
# variables name the same file: with clang the runtimes are one and
# UBSAN_OPTIONS is parsed last. With gcc, libubsan is a library of its own
# that ignores log_path next to libasan and prints to stderr: san_check
# also reads each gateway's own log for that. The directory is
# world-writable for gateways that run as another user (ops-privilege).
# Options already in the environment are kept; log_path is always ours.
SAN_DIR=
if [ -n "${SG_SANITIZED:-}" ]; then
	SAN_DIR=$WORK/san
	mkdir -m 1777 "$SAN_DIR"
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}:log_path=$SAN_DIR/report"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}:log_path=$SAN_DIR/report"
	export LSAN_OPTIONS="suppressions=$REPO_DIR/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi

# san_check [PID]: fails the scenario for each sanitizer report (of PID, or
# of any process) not yet shown, printing it: the report files, and the
# reports in gateway logs (gateway.<pid>.log, see start_gateway).
SAN_PATTERN='runtime error: |==[0-9]+==ERROR: [A-Za-z]+Sanitizer|^SUMMARY: [A-Za-z]+Sanitizer'
san_check() {
	local f pid which=${1:-*}
	[ -n "$SAN_DIR" ] || return 0
	# $which unquoted: "*" is a glob here (a pid is digits).
	for f in "$SAN_DIR"/report.$which "$WORK"/gateway.$which.log; do
		[ -f "$f" ] || continue
		pid=${f#"$WORK"/gateway.}
		pid=${pid%.log}
		if [ "$pid" != "$f" ]; then
			grep -Eq "$SAN_PATTERN" "$f" || continue
			fail "sanitizer report in the log of gateway pid $pid:"
			grep -E -m1 -B2 -A30 "$SAN_PATTERN" "$f" | sed 's/^/    /'
		else
			fail "sanitizer report from splicegate pid ${f##*.}:"
			sed 's/^/    /' "$f"
		fi
		mv "$f" "$f.shown"
	done
}

# running PID: PID is a live child of this shell. (A pid the scenario has
# already waited for may belong to some other process by now.)
running() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) } # state, then the parent's pid
	[ "${st%% *}" != Z ] && st=${st#* } && [ "${st%% *}" = "$$" ]
}

# stop_pid PID: stops a gateway as an operator does, SIGTERM, and waits
# for it: it drains for up to connectionTerminationDeadline (10 s unless a
# scenario sets it), then exits 0, after LeakSanitizer's scan in a
# sanitized build. Fails the scenario when it needs more than 60 s (it is
# then killed), exits with another status, or left a sanitizer report.
stop_pid() {
	local pid=$1 rc i p left=() when="when stopped with SIGTERM"
	if running "$pid"; then
		kill -TERM "$pid"
	else
		when="before SIGTERM"
	fi
	for ((i = 0; i < 1200; i++)); do
		running "$pid" || break
		sleep 0.05
	done
	if running "$pid"; then
		fail "gateway (pid $pid) still running 60 s after SIGTERM: killed"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	for p in "${GW_PIDS[@]}"; do
		[ "$p" = "$pid" ] || left+=("$p")
	done
	GW_PIDS=("${left[@]}")
	# 127: the scenario waited for it already (and checked its status).
	if [ "$rc" != 0 ] && [ "$rc" != 127 ]; then
		fail "gateway (pid $pid) exit status $rc $when (want 0)"
	fi
	san_check "$pid"
}

cleanup() {
	local pid rc=$?
	for pid in "${GW_PIDS[@]}"; do
		running "$pid" && stop_pid "$pid"
	done
	for pid in "${PIDS[@]}"; do
		running "$pid" && kill "$pid"
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	san_check
	if [ "$FAILS" -gt 0 ] && [ -s "$WORK/gateway.log" ]; then
		echo "--- gateway log"
		# A sanitizer's report; else the gateway's warnings and
		# errors, which the last lines (often routine requests) miss.
		grep -m1 -A14 "ERROR: \|runtime error" "$WORK/gateway.log" || {
			grep -m20 -E '^[0-9TZ:.-]+ (warn|error) ' "$WORK/gateway.log"
			tail -15 "$WORK/gateway.log"
		}
	fi
	rm -rf "$WORK"
	# A failure found here (a report, a bad exit status) fails the
	# scenario even though it had called finish already.
	[ "$FAILS" -gt 0 ] && [ "$rc" = 0 ] && exit 1
	exit "$rc"
}
trap cleanup EXIT

fail() {
	echo "  FAIL: $*"
	FAILS=$((FAILS + 1))
}

pass() {
	echo "  ok: $*"
}

# wait_http URL [seconds]: until URL answers at all.
wait_http() {
	local url=$1 limit=${2:-10} i=0
	while [ $i -lt $((limit * 20)) ]; do
		curl -s -o /dev/null --max-time 1 "$url" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# start_gateway ARGS...: runs splicegate in the background, waits for admin.
# Its output goes to $WORK/gateway.log, a new file for each gateway, also
# linked as gateway.<pid>.log so that san_check finds each one's. A gateway
# that does not come up is a failure of the scenario (so `|| finish` fails).
# It drains at once on SIGTERM (--drain-delay 0; ARGS may say otherwise),
# so that stop_pid does not wait the default 5 s for a load balancer.
start_gateway() {
	rm -f "$WORK/gateway.log"
	: >"$WORK/gateway.log"
	"$SG_BIN" --drain-delay 0 "$@" >"$WORK/gateway.log" 2>&1 &
	GW_PID=$!
	ln "$WORK/gateway.log" "$WORK/gateway.$GW_PID.log"
	PIDS+=("$GW_PID")
	GW_PIDS+=("$GW_PID")
	if ! wait_http http://127.0.0.1:15000/config_dump 10; then
		fail "gateway did not come up:"
		cat "$WORK/gateway.log"
		return 1
	fi
}

# crash_gateway: kill -9 the last gateway started, as a crash or the OOM
# killer would, and forget it (stop_pid would take its status for a fault).
crash_gateway() {
	local p left=()
	kill -KILL "$GW_PID"
	wait "$GW_PID" 2>/dev/null
	for p in "${GW_PIDS[@]}"; do
		[ "$p" = "$GW_PID" ] || left+=("$p")
	done
	GW_PIDS=("${left[@]}")
}

# stop_gateway: stop_pid for the last gateway started.
stop_gateway() {
	stop_pid "$GW_PID"
}

# start_backend NAME: the project's scriptable backend on a free port;
# sets BACKEND_PORT.
start_backend() {
	local ready="$WORK/backend-$1.port"
	/usr/bin/python3 "$REPO_DIR/tests/backend/sgbackend.py" --port "${2:-0}" \
		--name "$1" --ready-file "$ready" >"$WORK/backend-$1.log" 2>&1 &
	PIDS+=("$!")
	for _ in $(seq 100); do
		[ -s "$ready" ] && break
		sleep 0.05
	done
	BACKEND_PORT=$(cat "$ready")
}

# seed_resources FILE: the seed's YAML with the docs' namespace placeholder
# resolved as the seed's own output shows it.
seed_yaml() {
	sed 's/{{< reuse "agw-docs\/snippets\/namespace.md" >}}/agentgateway-system/g' "$@"
}

# ca_and_cert NAME [SAN]: a CA ($WORK/ca.pem, key ca.key, CN NAME-ca) and a
# server certificate it signed for SAN (subjectAltName's syntax, default
# IP:127.0.0.1; $WORK/srv.pem, key srv.key, CN NAME), EC P-256, valid two
# days.
ca_and_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$1-ca" -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
		-keyout "$WORK/srv.key" -out "$WORK/srv.csr" 2>/dev/null
	printf 'subjectAltName=%s\n' "${2:-IP:127.0.0.1}" >"$WORK/san.ext"
	openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
		-CAcreateserial -days 2 -extfile "$WORK/san.ext" -out "$WORK/srv.pem" 2>/dev/null
}

# json_equal NAME ACTUAL EXPECTED: same JSON, same key order (jq layout).
json_equal() {
	if [ -z "$2" ] || [ "$2" = null ] || [ -z "$3" ]; then
		fail "$1: nothing to compare (actual: '${2:0:80}')"
		return
	fi
	if diff <(jq . <<<"$2") <(jq . <<<"$3") >"$WORK/diff" 2>&1; then
		pass "$1"
	else
		fail "$1"
		cat "$WORK/diff"
	fi
}

# npm_need PKG...: the npm packages (tests/npm-packages.txt, installed by
# run.sh under $SG_NPM) a scenario runs; prints nothing when all are there,
# and ends the scenario failed when one is missing.
npm_need() {
	local p
	for p in "$@"; do
		[ -d "${SG_NPM:-}/node_modules/$p" ] && continue
		fail "npm package $p missing under ${SG_NPM:-(SG_NPM unset)}: list it in tests/npm-packages.txt"
		finish
	done
}

finish() {
	exit $((FAILS > 0))
}

# ---- helpers for the http-* and tcp-* scenarios ---------------------------

# engines: the splice engines a scenario runs in, one gateway each:
# SG_SPLICE if set (one or more words), else all three. Scenarios that start
# a gateway without --splice run `auto` (tests/e2e/splice-auto.sh checks
# what it picks).
engines() {
	echo "${SG_SPLICE:-copy splice sockmap}"
}

# one_route_config NAME: $WORK/config.yaml with an HTTP listener on 8080
# whose one route, NAME, goes to the backend at $BACKEND_PORT.
one_route_config() {
	cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: $1
      backends:
      - host: 127.0.0.1:$BACKEND_PORT
YAML
}

# body_bytes ENGINE: the gateway's splicegate_body_bytes_total{engine="ENGINE"}
# right now (admin on 127.0.0.1:15000).
body_bytes() {
	curl -s http://127.0.0.1:15000/metrics |
		awk -v e="$1" '$1 == "splicegate_body_bytes_total{engine=\"" e "\"}" { print $2 }'
}

# port_listening PORT: something listens on 127.0.0.1:PORT or *:PORT.
port_listening() {
	ss -Htln "( sport = :$1 )" | grep -q .
}

# wait_ports_free PORT...: until nothing listens on these ports (a gateway
# of another run, or ours not yet gone); at most 60 s.
wait_ports_free() {
	local p busy
	for _ in $(seq 600); do
		busy=
		for p in "$@"; do
			port_listening "$p" && busy="$busy $p"
		done
		[ -z "$busy" ] && return 0
		sleep 0.1
	done
	echo "ports still in use:$busy"
	return 1
}

# wait_port PORT [seconds]: until PORT accepts TCP connections.
wait_port() {
	local limit=${2:-10}
	for _ in $(seq $((limit * 20))); do
		port_listening "$1" && return 0
		sleep 0.05
	done
	return 1
}

# start_engine ENGINE [-p PORT]... ARGS...: start_gateway --splice ENGINE
# ARGS once the admin port and the listener ports (every -p PORT, else 8080)
# are free, then checks that the gateway it started is alive and listening.
# On failure the gateway it started is stopped again.
start_engine() {
	local engine=$1 ports="" p
	shift
	while [ "${1:-}" = -p ]; do
		ports="$ports $2"
		shift 2
	done
	ports=${ports:-8080}
	wait_ports_free 15000 $ports || return 1
	start_gateway --splice "$engine" "$@" || return 1
	for p in $ports; do
		if ! wait_port "$p" 5; then
			echo "gateway ($engine) does not listen on :$p:"
			cat "$WORK/gateway.log"
			stop_gateway
			return 1
		fi
	done
	if ! kill -0 "$GW_PID" 2>/dev/null; then
		echo "gateway ($engine) exited:"
		cat "$WORK/gateway.log"
		return 1
	fi
}

# free_port: an unused loopback TCP port, never one this test was handed
# before (the kernel may give a closed port 0 bind the same number twice, and
# a test that asked twice before binding either would get one port).
free_port() {
	/usr/bin/python3 - "$WORK/ports-given" <<'PY'
import socket, sys
path = sys.argv[1]
try:
    given = set(open(path).read().split())
except FileNotFoundError:
    given = set()
for _ in range(1000):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = str(s.getsockname()[1])
    s.close()
    if port not in given:
        break
else:
    sys.exit("free_port: no new port in 1000 tries")
open(path, "a").write(port + "\n")
print(port)
PY
}

# start_httpbin: Debian's httpbin on a free loopback port; sets HTTPBIN_PORT.
start_httpbin() {
	HTTPBIN_PORT=$(free_port)
	/usr/bin/python3 -m httpbin.core --host 127.0.0.1 --port "$HTTPBIN_PORT" \
		>"$WORK/httpbin.log" 2>&1 &
	PIDS+=("$!")
	wait_http "http://127.0.0.1:$HTTPBIN_PORT/get" 20
}

# new_uuid: a fresh uuid for the backend's attempt counter.
new_uuid() {
	cat /proc/sys/kernel/random/uuid
}

# backend_count PORT UUID: how many requests with uuid=UUID sgbackend on PORT
# has seen.
backend_count() {
	curl -s --max-time 5 "http://127.0.0.1:$1/count?uuid=$2" | jq -r .attempts
}

# hcall CURL-ARGS...: one curl request (20 s at most unless ARGS say
# otherwise); sets H_CODE (status, 000 when none), H_TIME (seconds), H_BODY
# (the body, also in $WORK/body) and H_HEADERS (file of response headers).
hcall() {
	local out
	H_HEADERS=$WORK/headers
	out=$(curl -s -o "$WORK/body" -D "$H_HEADERS" -w '%{http_code} %{time_total}' \
		--max-time 20 "$@")
	H_CODE=${out%% *}
	H_TIME=${out##* }
	H_BODY=$(cat "$WORK/body" 2>/dev/null)
}

# log_line PATH: the gateway's JSON access log line for http.path PATH
# (the last one), once there is one or 5 s have passed: a request's line
# is written as its response leaves, so a client may have the response a
# moment before the line is in the log. log_line_now: what is there now.
log_line_now() {
	grep -F "\"http.path\":\"$1\"" "$WORK/gateway.log" | grep '^{' | tail -1
}
log_line() {
	local line
	for _ in $(seq 50); do
		line=$(log_line_now "$1")
		[ -n "$line" ] && break
		sleep 0.1
	done
	[ -z "$line" ] || echo "$line"
}
# log_fields PATH FIELD...: that line's FIELDs, space-separated ("absent"
# for one it has not).
log_fields() {
	local f out=()
	for f in "${@:2}"; do
		out+=("$(log_line "$1" | jq -r --arg f "$f" 'if has($f) then .[$f] | tostring else "absent" end')")
	done
	echo "${out[*]}"
}

# server_span_attr TRACE ATTR: attribute ATTR of the server span (kind 2)
# of trace TRACE that the collector wrote to $WORK/spans.jsonl, waiting up
# to 5 s for that span (a try's span may come in an earlier line);
# empty when it never came.
server_span_attr() {
	local v=""
	for _ in $(seq 50); do
		v=$(jq -r --arg t "$1" --arg a "$2" \
			'select(.span.trace_id == $t and .span.kind == 2) | .span.attributes[$a]' \
			"$WORK/spans.jsonl" 2>/dev/null)
		[ -n "$v" ] && break
		sleep 0.1
	done
	echo "$v"
}

# time_in T MIN MAX: MIN <= T < MAX (seconds, decimals allowed).
time_in() {
	awk -v t="$1" -v a="$2" -v b="$3" 'BEGIN { exit !(t >= a && t < b) }'
}

# expect NAME STATUS BODY [MIN MAX]: checks the last hcall: exact status,
# body matching the glob BODY ("*" for any; error bodies are compared
# exactly), and, when given, MIN <= elapsed < MAX seconds.
expect() {
	local name=$1 code=$2 body=$3 min=${4:-} max=${5:-} why=""
	[ "$H_CODE" = "$code" ] || why="$why status $H_CODE (want $code);"
	# shellcheck disable=SC2053
	[[ "$H_BODY" == $body ]] || why="$why body '${H_BODY:0:160}' (want '$body');"
	if [ -n "$min" ] && ! time_in "$H_TIME" "$min" "$max"; then
		why="$why took ${H_TIME}s (want >= ${min}s and < ${max}s);"
	fi
	if [ -z "$why" ]; then
		pass "$name ($H_CODE in ${H_TIME}s)"
	else
		fail "$name:$why"
	fi
}

# no_age: a `get` table without its AGE column (the last one), for exact
# comparisons.
no_age() {
	sed -E 's/ +(AGE|[0-9]+[smhdy]([0-9]+[smhd])?|<unknown>)$//'
}

# gw_children: how many child processes the gateway has, once none is
# left or 5 s have passed. A session's end kills its stdio targets on the
# MCP thread, a moment after the answer that ended it reached the client.
gw_children() {
	for _ in $(seq 50); do
		[ "$(pgrep -P "$GW_PID" | wc -l)" = 0 ] && break
		sleep 0.1
	done
	pgrep -P "$GW_PID" | wc -l
}

# check NAME GOT WANT: exact string comparison.
check() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: got '${2:0:200}', want '${3:0:200}'"
	fi
}

# gateway_yaml: the agentgateway-proxy Gateway (listener http on :8080).
gateway_yaml() {
	cat <<'EOF2'
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: agentgateway-proxy
  namespace: agentgateway-system
spec:
  gatewayClassName: agentgateway
  listeners:
  - name: http
    port: 8080
    protocol: HTTP
    allowedRoutes: {namespaces: {from: All}}
EOF2
}

# service_yaml NAME PORT [NAMESPACE]: a Service NAME whose endpoint is
# 127.0.0.1:PORT (clusterIP, port = targetPort = PORT).
service_yaml() {
	cat <<EOF2
---
apiVersion: v1
kind: Service
metadata:
  name: $1
  namespace: ${3:-e2e}
spec:
  clusterIP: 127.0.0.1
  ports:
  - name: http
    port: $2
    targetPort: $2
EOF2
}

# httproute_yaml NAME PATH SERVICE PORT: HTTPRoute e2e/NAME on the
# agentgateway-proxy Gateway (gateway_yaml), PATH (a prefix) to SERVICE:PORT.
httproute_yaml() {
	cat <<EOF2
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $1, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: $2}}]
    backendRefs: [{name: $3, port: $4}]
EOF2
}

# start_backend_at NAME HOST PORT [ARGS...]: sgbackend bound to HOST:PORT
# (e.g. a second loopback address, 127.0.0.2), with sgbackend's ARGS
# (--defaults ...); waits until it listens.
start_backend_at() {
	local ready="$WORK/backend-$1.port" name=$1 host=$2 port=$3
	shift 3
	/usr/bin/python3 "$REPO_DIR/tests/backend/sgbackend.py" --host "$host" --port "$port" \
		--name "$name" --ready-file "$ready" "$@" >"$WORK/backend-$name.log" 2>&1 &
	PIDS+=("$!")
	for _ in $(seq 100); do
		[ -s "$ready" ] && return 0
		sleep 0.05
	done
	return 1
}

# start_blackhole: a loopback listener whose connects never complete
# (tests/e2e/blackhole.py); sets BH to its port, "" when it did not start.
start_blackhole() {
	/usr/bin/python3 "$E2E_DIR/blackhole.py" "$WORK/blackhole.port" &
	PIDS+=("$!")
	for _ in $(seq 100); do
		[ -s "$WORK/blackhole.port" ] && break
		sleep 0.05
	done
	BH=$(cat "$WORK/blackhole.port" 2>/dev/null)
}

# resp_header NAME: the values of response header NAME (any case) of the
# last hcall, joined with ","; "" when absent.
resp_header() {
	tr -d '\r' <"$H_HEADERS" | awk -v n="$(tr '[:upper:]' '[:lower:]' <<<"$1")" '
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) {
			v = substr($0, i + 1); sub(/^ */, "", v); out = out (out == "" ? "" : ",") v } }
		END { print out }'
}

# rss_kib: the running gateway's (GW_PID) resident memory, in KiB.
rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$GW_PID/status"
}

# expect_date WHAT: the last hcall's (or h2's) response has one Date, an
# IMF-fixdate within 5 s of now (RFC 9110 §5.6.7, §6.6.1).
expect_date() {
	local v t
	v=$(resp_header date)
	t=$(date -u -d "$v" +%s 2>/dev/null)
	if [[ $v =~ ^(Mon|Tue|Wed|Thu|Fri|Sat|Sun),\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ GMT$ ]] &&
		[ -n "$t" ] && [ $(($(date +%s) - t)) -ge 0 ] && [ $(($(date +%s) - t)) -le 5 ]; then
		pass "$1"
	else
		fail "$1: date '$v'"
	fi
}

# echo_values NAME: every value of request header NAME (any case) the
# backend echoed in the last hcall, joined with "," (as the Gateway API
# conformance suite compares them).
echo_values() {
	jq -r --arg n "$(tr '[:upper:]' '[:lower:]' <<<"$1")" \
		'[.headers | to_entries[] | select(.key | ascii_downcase == $n) | .value[]] | join(",")' \
		<<<"$H_BODY" 2>/dev/null
}

# echo_header NAME: the first value of request header NAME (any case) in the
# last hcall's echo body, "" when absent.
echo_header() {
	jq -r --arg n "$(tr '[:upper:]' '[:lower:]' <<<"$1")" \
		'[.headers | to_entries[] | select(.key | ascii_downcase == $n) | .value[0]][0] // ""' \
		<<<"$H_BODY" 2>/dev/null
}

# sha256_of: SHA-256 (hex) of stdin; openssl is several times faster than
# coreutils' sha256sum here, which matters for GiB-sized bodies.
sha256_of() {
	if command -v openssl >/dev/null; then
		openssl dgst -sha256 -r | cut -d' ' -f1
	else
		sha256sum | cut -d' ' -f1
	fi
}

# pattern N: sgbackend's size=N body on stdout (byte i = i % 251).
pattern() {
	/usr/bin/python3 -c '
import sys
piece = bytes(range(251)) * 4096
full, rest = divmod(int(sys.argv[1]), len(piece))
out = sys.stdout.buffer
for _ in range(full):
    out.write(piece)
out.write(piece[:rest])
' "$1"
}

# raw_http PORT METHODS [SECONDS]: sends stdin as is on one connection to
# 127.0.0.1:PORT, then reads one response per request method in the
# comma-separated METHODS (HEAD, 1xx, 204 and 304 have no body; chunked with
# trailers, Content-Length, or up to EOF), then waits up to SECONDS (default
# 2) for what follows. Prints JSON: {"responses": [{"status", "headers"
# (lower-case names, last value), "body_len", "sha256", "body" (first 300
# bytes), "trailers"}], "error": null or why reading stopped, "after":
# "eof" | "open" | "reset" | "extra"}.
raw_http() {
	/usr/bin/python3 -c '
import hashlib, json, signal, socket, sys
port, methods = int(sys.argv[1]), [m for m in sys.argv[2].split(",") if m]
wait_after = float(sys.argv[3])
signal.alarm(60)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(sys.stdin.buffer.read())
buf, eof = b"", False
def fill():
    global buf, eof
    if eof:
        return False
    d = s.recv(262144)
    if not d:
        eof = True
        return False
    buf += d
    return True
def readline():
    global buf
    while b"\r\n" not in buf:
        if not fill():
            raise EOFError("eof in a head")
    i = buf.index(b"\r\n")
    line, buf = buf[:i], buf[i + 2:]
    return line
def readn(n, h):
    global buf
    while n:
        if not buf and not fill():
            raise EOFError("eof in a body")
        d = buf[:n]
        buf = buf[len(d):]
        n -= len(d)
        h.update(d)
def fields():
    out = {}
    while True:
        line = readline()
        if not line:
            return out
        k, _, v = line.decode("latin-1").partition(":")
        out[k.strip().lower()] = v.strip()
res, error = [], None
try:
    for m in methods:
        while True:
            parts = readline().decode("latin-1").split(" ", 2)
            status = int(parts[1])
            headers = fields()
            if 100 <= status < 200 and status != 101:
                continue
            break
        h, trailers, n0 = hashlib.sha256(), None, 0
        first = b""
        class Tee:
            def update(self, d):
                global first
                if len(first) < 300:
                    first += d[:300 - len(first)]
                h.update(d)
                self.n += len(d)
        t = Tee()
        t.n = 0
        if m == "HEAD" or status in (204, 304) or 100 <= status < 200:
            pass
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                size = int(readline().split(b";")[0].strip(), 16)
                if size == 0:
                    trailers = fields()
                    break
                readn(size, t)
                if readline() != b"":
                    raise ValueError("bad chunk end")
        elif "content-length" in headers:
            readn(int(headers["content-length"]), t)
        else:
            while fill():
                pass
            d, buf = buf, b""
            t.update(d)
        res.append({"status": status, "headers": headers, "body_len": t.n,
                    "sha256": h.hexdigest(), "body": first.decode("latin-1"),
                    "trailers": trailers})
except Exception as e:
    error = "%s: %s" % (type(e).__name__, e)
after = "eof" if eof else None
if after is None:
    if buf:
        after = "extra"
    else:
        s.settimeout(float(wait_after))
        try:
            after = "extra" if s.recv(65536) else "eof"
        except socket.timeout:
            after = "open"
        except ConnectionResetError:
            after = "reset"
print(json.dumps({"responses": res, "error": error, "after": after}))
' "$1" "$2" "${3:-2}"
}

# start_collector FILE [ARGS...]: tests/e2e/otlp_collector.py on a free
# port, writing each span it is sent to FILE as a JSON line (ARGS: --grpc,
# --status CODE, --tls CERT KEY); sets COLLECTOR_PORT once it listens, and
# fails the scenario if it does not.
start_collector() {
	local file=$1
	shift
	COLLECTOR_PORT=$(free_port)
	/usr/bin/python3 "$E2E_DIR/otlp_collector.py" "$COLLECTOR_PORT" "$file" "$@" &
	PIDS+=("$!")
	wait_port "$COLLECTOR_PORT" 10 || fail "collector on $COLLECTOR_PORT ($file) not up"
}

# ---- helpers for the h2-backend-* scenarios ---------------------------------

# start_h2backend NAME [ARGS...]: tests/backend/h2backend.py (HTTP/2 prior
# knowledge only; ARGS such as --max-streams 10) on a free port; sets
# H2B_PORT, "" when it did not start. Log: $WORK/h2backend-NAME.log.
start_h2backend() {
	local name=$1 ready="$WORK/h2backend-$1.port"
	shift
	/usr/bin/python3 "$REPO_DIR/tests/backend/h2backend.py" --port 0 --name "$name" \
		--ready-file "$ready" "$@" >"$WORK/h2backend-$name.log" 2>&1 &
	PIDS+=("$!")
	for _ in $(seq 100); do
		[ -s "$ready" ] && break
		sleep 0.05
	done
	H2B_PORT=$(cat "$ready" 2>/dev/null)
	[ -n "$H2B_PORT" ]
}

# h2stats PORT FIELD: FIELD of h2backend's /stats (connections, open,
# streams, http1_connections, refused, goaways, errors), asked in HTTP/1.1,
# so that asking adds no HTTP/2 connection or stream to the counts.
h2stats() {
	curl -s --max-time 5 "http://127.0.0.1:$1/stats" | jq -r ".$2"
}

# h2backend_clean NAME PORT: h2backend NAME logged no exception (its /stats
# "errors" is 0 and its log has no "BUG:" line); the log's tail otherwise.
h2backend_clean() {
	local errors
	errors=$(h2stats "$2" errors)
	if [ "$errors" = 0 ] && ! grep -q 'BUG:' "$WORK/h2backend-$1.log"; then
		pass "h2backend $1: no exception in its log"
	else
		fail "h2backend $1: errors '$errors':"
		grep -A12 'BUG:' "$WORK/h2backend-$1.log" | head -40 | sed 's/^/    /'
	fi
}

# ncall URL [NGHTTP-ARGS...]: one request with nghttp (HTTP/2 prior
# knowledge); sets H_CODE (000 when none), H_BODY (also $WORK/body) and
# H_HEADERS (the response head as "name: value" lines, :status included; no
# trailers: nghttp's HAR file does not have them).
ncall() {
	local url=$1
	shift
	rm -f "$WORK/ng.har"
	timeout 30 nghttp --har="$WORK/ng.har" "$@" "$url" >"$WORK/body" 2>"$WORK/ng.err"
	H_HEADERS=$WORK/headers
	jq -r '.log.entries[0].response.headers[] | "\(.name): \(.value)"' "$WORK/ng.har" \
		>"$H_HEADERS" 2>/dev/null
	H_CODE=$(jq -r '.log.entries[0].response.status // empty' "$WORK/ng.har" 2>/dev/null)
	H_CODE=${H_CODE:-000}
	H_TIME=
	H_BODY=$(tr -d '\0' <"$WORK/body")
}

# start_rls CONFIG [HOST]: a real Redis on a free loopback port (RLS_REDIS)
# and the rate limit service over it (tests/e2e/ratelimit_server.py, its
# configuration CONFIG, listening on HOST, default 127.0.0.1): its port in
# GP and its pid in RLS. A service that does not start fails the scenario.
start_rls() {
	RLS_REDIS=$(free_port)
	redis-server --port "$RLS_REDIS" --bind 127.0.0.1 --save '' --appendonly no \
		>"$WORK/redis.out" 2>&1 &
	PIDS+=("$!")
	for _ in $(seq 100); do
		redis-cli -p "$RLS_REDIS" ping >/dev/null 2>&1 && break
		sleep 0.05
	done
	/usr/bin/python3 "$E2E_DIR/ratelimit_server.py" --config "$1" --redis "$RLS_REDIS" \
		--host "${2:-127.0.0.1}" --port-file "$WORK/rls.port" --log "$WORK/rls.log" \
		>"$WORK/rls.out" 2>&1 &
	RLS=$!
	PIDS+=("$RLS")
	for _ in $(seq 200); do
		[ -s "$WORK/rls.port" ] && break
		sleep 0.05
	done
	GP=$(cat "$WORK/rls.port" 2>/dev/null)
	if [ -z "$GP" ]; then
		fail "the rate limit service did not start: $(cat "$WORK/redis.out" "$WORK/rls.out")"
		finish
	fi
}
