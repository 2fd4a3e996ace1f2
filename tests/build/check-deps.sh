#!/bin/bash
# scripts/check-deps.sh refuses what it should, and passes this checkout:
# a tree with config/ including policy/, user/ including admin/ outside the
# wiring, and a library header outside its wrapper fails, naming each
# file:line; the same tree without them passes.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
ok() { echo "  ok: $*"; passed=$((passed + 1)); }
bad() { echo "  FAIL: $*"; failed=$((failed + 1)); }

mkdir -p "$T"/{config,policy,user,admin,bpf}
printf '#include "config/a.h"\n#include <stdio.h>\n' >"$T/config/a.c"
printf '#include "config/a.h"\n#include "policy/b.h"\n' >"$T/policy/b.c"
printf '#include "admin/x.h"\n' >"$T/user/gateway.c"
printf '#include "user/h1.h"\n#include <llhttp.h>\n' >"$T/user/h1.c"
printf '#include "bpf/sg_abi.h"\n' >"$T/user/splice.h"
out=$("$ROOT/scripts/check-deps.sh" "$T")
[ $? -eq 0 ] && ok "a tree that keeps the rules passes" || bad "clean tree refused: $out"

printf '#include "policy/b.h"\n' >>"$T/config/a.c"
printf '#include "admin/x.h"\n' >"$T/user/proxy.c"
printf '#include <llhttp.h>\n' >"$T/user/h2.c"
printf '#include <cJSON.h>\n' >"$T/user/frontend.h"
out=$("$ROOT/scripts/check-deps.sh" "$T")
rc=$?
[ $rc -ne 0 ] && ok "a tree that breaks them fails (exit $rc)" || bad "exit 0 for a bad tree"
for want in 'config/a.c:3: config/ may include only config' \
	'user/proxy.c:1: only the wiring' \
	'user/h2.c:1: <llhttp.h> belongs to user/h1.c' \
	'user/frontend.h:1: <cJSON.h> belongs to'; do
	grep -qF "$want" <<<"$out" && ok "says: $want" || bad "missing \"$want\" in: $out"
done
grep -q 'check-deps: 8 files, 4 violations' <<<"$out" && ok "closing line counts 4" ||
	bad "closing line: $(tail -1 <<<"$out")"
out=$("$ROOT/scripts/check-deps.sh")
[ $? -eq 0 ] && ok "this checkout: $(tail -1 <<<"$out")" || bad "this checkout: $out"
echo "check-deps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
