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
FAILS=0

cleanup() {
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	rm -rf "$WORK"
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
start_gateway() {
	"$SG_BIN" "$@" >"$WORK/gateway.log" 2>&1 &
	GW_PID=$!
	PIDS+=("$GW_PID")
	if ! wait_http http://127.0.0.1:15000/config_dump 10; then
		echo "gateway did not come up:"
		cat "$WORK/gateway.log"
		return 1
	fi
}

stop_gateway() {
	kill "$GW_PID" 2>/dev/null
	wait "$GW_PID" 2>/dev/null
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

finish() {
	exit $((FAILS > 0))
}

# ---- helpers for the http-* and tcp-* scenarios ---------------------------

# engines: the splice engines a scenario runs in: $SG_SPLICE, default
# "copy splice".
engines() {
	echo "${SG_SPLICE:-copy splice}"
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
# ARGS once the admin port, 8080 and every -p PORT are free, then checks that
# the gateway it started is alive and its listeners are up.
start_engine() {
	local engine=$1 ports="8080" p
	shift
	while [ "${1:-}" = -p ]; do
		ports="$ports $2"
		shift 2
	done
	wait_ports_free 15000 $ports || return 1
	start_gateway --splice "$engine" "$@" || return 1
	for p in $ports; do
		if ! wait_port "$p" 5; then
			echo "gateway ($engine) does not listen on :$p:"
			cat "$WORK/gateway.log"
			return 1
		fi
	done
	if ! kill -0 "$GW_PID" 2>/dev/null; then
		echo "gateway ($engine) exited:"
		cat "$WORK/gateway.log"
		return 1
	fi
}

# free_port: an unused loopback TCP port.
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
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
