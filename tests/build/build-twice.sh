#!/bin/sh
# A build never stays broken, and the gateway needs no llhttp: in a fresh
# copy of the tree, a build that sees no llhttp sources (before node-llhttp
# is installed) links and runs, a second and a third with them do too with
# no `make clean` between, and the binary carries none of llhttp; a fuzz
# target, which holds user/codec/h1.c against llhttp, stops without them with a
# message naming the package. Prints "build: N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
llhttp=${LLHTTP_SRC:-/usr/share/llhttp}
name=build
. "$root/tests/build/lib.sh"

# The tree as it is checked out (tracked files, with their current content).
(cd "$root" && git ls-files -z | xargs -0 tar cf -) | (mkdir "$work/src" && cd "$work/src" && tar xf -)
mkdir "$work/empty"
# Without LTO: what is checked (sources seen or not, no make clean, no
# llhttp linked) is the same, and an LTO build from scratch takes twice as
# long (`make` right after builds the LTO gateway the e2e suite runs).
mk() {
	make -C "$work/src" -j2 --no-print-directory CFLAGS="-O2 -g" LDFLAGS="" "$@" >"$work/out" 2>&1
}

for pass in "first, without llhttp:$work/empty" "second, with llhttp:$llhttp" \
	"third, with llhttp:$llhttp"; do
	if mk build/splicegate LLHTTP_SRC="${pass#*:}" &&
		"$work/src/build/splicegate" version >/dev/null; then
		ok "${pass%%:*}: the gateway links and runs, no make clean"
	else
		bad "${pass%%:*}: $(tail -5 "$work/out")"
	fi
done
if nm "$work/src/build/splicegate" | grep -q " llhttp_"; then
	bad "the binary carries llhttp"
else
	ok "the binary carries none of llhttp"
fi
# -n: the recipes are expanded, so the check runs, but nothing is built.
if mk -n build/fuzz/fuzz_h1_request LLHTTP_SRC="$work/empty"; then
	bad "a fuzz build without llhttp sources went on"
elif grep -q "llhttp sources not found in $work/empty (package node-llhttp)" "$work/out"; then
	ok "a fuzz build without llhttp sources stops and names the package"
else
	bad "fuzz build without llhttp: unexpected output: $(tail -3 "$work/out")"
fi
finish
