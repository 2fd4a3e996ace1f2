#!/bin/sh
# A build never stays broken: in a fresh copy of the tree, a first build that
# sees no llhttp sources stops with a message naming the package, one that
# sees only part of them fails to link, and a second build with the real
# sources links and runs, with no `make clean` between (the newcomer's
# `make run` before and after node-llhttp is installed). Prints
# "build: N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
llhttp=${LLHTTP_SRC:-/usr/share/llhttp}
name=build
. "$root/tests/build/lib.sh"

# The tree as it is checked out (tracked files, with their current content).
(cd "$root" && git ls-files -z | xargs -0 tar cf -) | (mkdir "$work/src" && cd "$work/src" && tar xf -)
mkdir "$work/empty" "$work/part"
cp "$llhttp/llhttp.c" "$work/part/"
mk() { make -C "$work/src" -j2 --no-print-directory build/splicegate "$@" >"$work/out" 2>&1; }

# fails_with NAME PATTERN MAKE-ARGS...: the build fails and says PATTERN.
fails_with() {
	local name=$1 pattern=$2
	shift 2
	if mk "$@"; then
		bad "$name: the build succeeded"
	elif grep -q "$pattern" "$work/out"; then
		ok "$name"
	else
		bad "$name: unexpected output: $(tail -3 "$work/out")"
	fi
}

fails_with "no llhttp sources: the build stops and names the package" \
	"llhttp sources not found in $work/empty (package node-llhttp)" LLHTTP_SRC="$work/empty"
# Part of llhttp: the archive is made with what is there and the link fails,
# as it did when make started before node-llhttp was installed.
fails_with "part of llhttp: the link fails" "undefined reference to .llhttp_" \
	LLHTTP_SRC="$work/part"

for pass in second third; do
	if mk LLHTTP_SRC="$llhttp" && "$work/src/build/splicegate" version >/dev/null; then
		ok "$pass build with llhttp links and runs, no make clean"
	else
		bad "$pass build with llhttp: $(tail -5 "$work/out")"
	fi
done
if nm "$work/src/build/splicegate" | grep -q " T llhttp_execute"; then
	ok "the binary carries llhttp"
else
	bad "llhttp_execute is not in the binary"
fi
finish
