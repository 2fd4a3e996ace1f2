#!/usr/bin/env bash
# Runs every e2e scenario (tests/e2e/*-*.sh), one process each, and prints
# one closing line: "e2e: N passed, N failed (S s)". Each scenario runs in a
# network namespace of its own (a fresh loopback, no other listeners), so the
# fixed ports the scenarios use never meet another gateway on this host, and
# several scenarios (and several suites: the sanitizer build's, a
# developer's) may run at once.
# SG_E2E_ONLY=PATTERN runs the scenarios whose name contains PATTERN;
# scenarios named as arguments (http-routing or tests/e2e/http-routing.sh)
# run those alone, and a name that is no scenario is an error.
# SG_E2E_JOBS=N runs N scenarios at a time [2]; each one's output is printed
# whole when it ends.
# SG_NPM=DIR: where the npm packages go [build/npm].
# SG_E2E_PAUSE=PGID: a process group running beside the suite (`make test`'s
# builds, scripts/beside.sh), stopped while an "alone" scenario runs.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
jobs=${SG_E2E_JOBS:-2}
out=$(mktemp -d /tmp/sg-e2e.XXXXXX)
trap 'rm -rf "$out"' EXIT
passed=0
failed=0

# run NAME: one scenario in its own namespace, output to $out/NAME.log,
# status to $out/NAME.rc, seconds taken to $out/NAME.secs.
run() {
	local t0=$SECONDS
	timeout 300 unshare --net sh -c 'ip link set lo up && exec bash "$0"' "$dir/$1.sh" \
		>"$out/$1.log" 2>&1
	echo $? >"$out/$1.rc"
	echo $((SECONDS - t0)) >"$out/$1.secs"
}

# report NAME: print a finished scenario and count it.
report() {
	echo "== $1 ($(cat "$out/$1.secs") s)"
	cat "$out/$1.log"
	if [ "$(cat "$out/$1.rc")" = 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED: $1"
	fi
}

names=()
for a in "$@"; do
	name=$(basename "$a" .sh)
	case $name in
	*-*) [ -f "$dir/$name.sh" ] && names+=("$name") && continue ;;
	esac
	echo "run.sh: no e2e scenario named $a (tests/e2e/*-*.sh)" >&2
	exit 2
done
if [ $# -eq 0 ]; then
	for t in "$dir"/*-*.sh; do
		name=$(basename "$t" .sh)
		case $name in *"${SG_E2E_ONLY:-}"*) names+=("$name") ;; esac
	done
fi

# The npm packages some scenarios run (tests/npm-packages.txt), installed
# here, outside the namespaces, which have no route to the registry.
export SG_NPM=${SG_NPM:-$(cd "$dir/../.." && pwd)/build/npm}
"$dir/../../scripts/install-npm.sh" "$SG_NPM" || exit 1

# alone NAME: the scenario says it must have the machine to itself (a
# line "# e2e: alone", with why): one that measures its own worker's CPU
# saturation reads a neighbour's load as its own. It starts once the
# others have ended, and none starts beside it.
alone() {
	grep -q '^# e2e: alone' "$dir/$1.sh"
}

# pause STOP|CONT: stop or resume what runs beside the suite, if anything.
pause() {
	[ -z "${SG_E2E_PAUSE:-}" ] || kill -"$1" -- -"$SG_E2E_PAUSE" 2>/dev/null || true
}
trap 'pause CONT; rm -rf "$out"' EXIT

declare -A pid_of
running=()
solo=""
next=0
while [ "$next" -lt "${#names[@]}" ] || [ "${#running[@]}" -gt 0 ]; do
	while [ "${#running[@]}" -lt "$jobs" ] && [ "$next" -lt "${#names[@]}" ] && [ -z "$solo" ]; do
		if alone "${names[$next]}"; then
			[ "${#running[@]}" -gt 0 ] && break
			solo=${names[$next]}
			pause STOP
		fi
		run "${names[$next]}" &
		pid_of[${names[$next]}]=$!
		running+=("${names[$next]}")
		next=$((next + 1))
	done
	wait -n
	still=()
	for name in "${running[@]}"; do
		if kill -0 "${pid_of[$name]}" 2>/dev/null; then
			still+=("$name")
		else
			wait "${pid_of[$name]}"
			report "$name"
			if [ "$name" = "$solo" ]; then
				solo=""
				pause CONT
			fi
		fi
	done
	running=("${still[@]}")
done
echo "e2e: $passed passed, $failed failed ($SECONDS s)"
[ "$failed" -eq 0 ]
