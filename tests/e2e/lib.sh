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
