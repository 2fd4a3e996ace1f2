#!/bin/bash
# A port of the Gateway API conformance tests (kubernetes-sigs/gateway-api
# conformance/tests/*.go, as of 4564255a) to one splicegate on one host, no
# cluster: each tests/conformance/cases/<ShortName>.sh applies its resources
# (written here after the upstream manifests) to a fresh gateway started on
# the base resources (base.sh) and checks the upstream subtests, one case
# each, named <ShortName>/<subtest> as the suite names them. Each upstream
# Gateway gets ports of its own (in a cluster each has its own address).
# Prints "PASS name" / "FAIL name: why" per case and closes with
# "conformance: T tests, C cases: P passed, F failed"; exit 1 on a failure.
#
# usage: SG_BIN=build/splicegate tests/conformance/run.sh [ShortName...]
# SG_CONF_NO_GENERATIONS=1 leaves out the check that every condition has
# the resource's generation as observedGeneration (to compare with a
# gateway that keeps no generations).
# Runs inside a network namespace of its own (unshare --net), as the e2e
# scenarios do, so its fixed ports meet no other gateway.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
export SG_BIN=${SG_BIN:-$HERE/../../build/splicegate}
if [ -z "${SG_CONF_NS:-}" ]; then
	SG_CONF_NS=1 exec unshare --net sh -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi
names=()
if [ $# -gt 0 ]; then
	for a in "$@"; do
		[ -f "$HERE/cases/$a.sh" ] || {
			echo "run.sh: no case file cases/$a.sh" >&2
			exit 2
		}
		names+=("$a")
	done
else
	for f in "$HERE"/cases/*.sh; do names+=("$(basename "$f" .sh)"); done
fi
out=$(mktemp -d /tmp/sg-conformance.XXXXXX)
trap 'rm -rf "$out"' EXIT
for n in "${names[@]}"; do
	timeout 180 bash "$HERE/lib.sh" "$n" 2>"$out/$n.err" | tee "$out/$n.out"
	grep -q . "$out/$n.out" || echo "FAIL $n: no case ran: $(tail -3 "$out/$n.err" | tr '\n' ' ')" |
		tee "$out/$n.out"
done
cat "$out"/*.out >"$out/all"
p=$(grep -c '^PASS ' "$out/all")
f=$(grep -c '^FAIL ' "$out/all")
echo "conformance: ${#names[@]} tests, $((p + f)) cases: $p passed, $f failed"
[ "$f" -eq 0 ]
