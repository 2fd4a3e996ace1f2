#!/bin/bash
# scripts/check-deps.sh refuses what it should, and passes this checkout:
# a tree with config/ including policy/, user/ including admin/ outside the
# wiring, a library header outside its wrapper, a module .c without its
# .h, one stem in two directories, and library types in a project header
# fails, naming each file:line; the same tree without them passes.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
ok() { echo "  ok: $*"; passed=$((passed + 1)); }
bad() { echo "  FAIL: $*"; failed=$((failed + 1)); }

mkdir -p "$T"/{config,policy,admin,bpf} "$T"/user/{base,codec,core,relay,http1}
printf '#include "config/a.h"\n#include <stdio.h>\n' >"$T/config/a.c"
: >"$T/config/a.h"
printf '#include "config/a.h"\n#include "policy/b.h"\n' >"$T/policy/b.c"
: >"$T/policy/b.h"
printf '#include "admin/x.h"\n' >"$T/user/gateway.c"
: >"$T/user/gateway.h"
printf '#include "user/codec/h1.h"\n#include <llhttp.h>\n' >"$T/user/codec/h1.c"
# library names in comments are not types
printf '/* wraps llhttp_t; a cJSON-free,\n * nghttp2_session-free header */\nstruct sg_h1; // not yaml_parser_t\n' \
	>"$T/user/codec/h1.h"
printf '#include "bpf/sg_abi.h"\n' >"$T/user/relay/splice.h"
printf '#include "user/base/loop.h"\n' >"$T/user/core/attempt.c"
: >"$T/user/core/attempt.h"
: >"$T/user/base/loop.h"
: >"$T/user/main.c" # an entry point: no header
: >"$T/bpf/splice.bpf.c"
out=$("$ROOT/scripts/check-deps.sh" "$T")
[ $? -eq 0 ] && ok "a tree that keeps the rules passes" || bad "clean tree refused: $out"

printf '#include "policy/b.h"\n' >>"$T/config/a.c"
printf '#include "admin/x.h"\n' >"$T/user/http1/proxy.c"
: >"$T/user/http1/proxy.h"
printf '#include <llhttp.h>\n' >"$T/user/codec/h2.c"
: >"$T/user/codec/h2.h"
printf '#include <cJSON.h>\n' >"$T/user/core/frontend.h"
: >"$T/admin/orphan.c"
: >"$T/policy/h1.c"
: >"$T/policy/h1.h"
printf '%s\n' '#include "user/codec/h1.h"' 'struct sg_leak {' '	cJSON *json;' \
	'	yaml_parser_t *parser;' '	nghttp2_session *session; /* a comment: llhttp_t */' \
	'	llhttp_t *p;' '	struct bpf_object *obj;' '};' >"$T/user/leak.h"
# the folders: base/ below core/, a folder no rank names, the wiring's own
# header from a folder, and more .c files in user/ than the wiring's six
printf '#include "user/core/attempt.h"\n' >"$T/user/base/loop.c"
mkdir -p "$T/user/misc"
: >"$T/user/misc/odd.c"
: >"$T/user/misc/odd.h"
printf '#include "user/gateway.h"\n' >"$T/user/core/admit.c"
: >"$T/user/core/admit.h"
for w in worker priv tlsterm tlspass extra; do
	: >"$T/user/$w.c"
	: >"$T/user/$w.h"
done
out=$("$ROOT/scripts/check-deps.sh" "$T")
rc=$?
[ $rc -ne 0 ] && ok "a tree that breaks them fails (exit $rc)" || bad "exit 0 for a bad tree"
for want in 'config/a.c:3: config/ may include only config' \
	'user/http1/proxy.c:1: only the wiring' \
	'user/codec/h2.c:1: <llhttp.h> belongs to user/codec/h1.c' \
	'user/core/frontend.h:1: <cJSON.h> belongs to' \
	'admin/orphan.c: no admin/orphan.h' \
	'policy/h1, user/codec/h1: one stem in two directories' \
	'user/leak.h:3: "cJSON" is a library'"'"'s type' \
	'user/leak.h:4: "yaml_parser_t" is a library'"'"'s type' \
	'user/leak.h:5: "nghttp2_session" is a library'"'"'s type' \
	'user/leak.h:6: "llhttp_t" is a library'"'"'s type' \
	'user/leak.h:7: "bpf_object" is a library'"'"'s type' \
	'user/base/loop.c:1: user/base/ is below user/core/' \
	'user/core/admit.c:1: user/core/ is below user/' \
	'user/misc/odd.c: user/misc/odd.c is in a folder that USER_FOLDERS does not rank' \
	'user/: folders include each other in a cycle' \
	'user/: 7 .c files directly in it, more than 6'; do
	grep -qF "$want" <<<"$out" && ok "says: $want" || bad "missing \"$want\" in: $out"
done
grep -q 'check-deps: 38 files, 17 violations' <<<"$out" && ok "closing line counts 17" ||
	bad "closing line: $(tail -1 <<<"$out")"
out=$("$ROOT/scripts/check-deps.sh")
[ $? -eq 0 ] && ok "this checkout: $(tail -1 <<<"$out")" || bad "this checkout: $out"
echo "check-deps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
