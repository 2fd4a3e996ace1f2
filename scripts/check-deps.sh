#!/bin/bash
# `make check`: the include graph goes one way, and each library is
# included only by the modules that wrap it (README "Architecture").
#
#   config/  may include config/
#   policy/  may include config/ policy/
#   user/    may include config/ policy/ user/; admin/ only from the wiring
#            (user/gateway.c, user/worker.c, user/main.c)
#   admin/   may include config/ policy/ user/ admin/ (it reads the running state)
#   bpf/     may include bpf/; user/ may include bpf/sg_abi.h, the ABI they
#            share, and user/splice.c the generated skeleton
#
# usage: scripts/check-deps.sh [tree]  (default: this checkout)
# Prints every include that breaks a rule as file:line, then a closing line.
set -u
cd "${1:-$(dirname "$0")/..}" || exit 1

# library header (as included) -> the files allowed to include it
declare -A WRAPPERS=(
	[llhttp.h]="user/h1.c"
	[nghttp2/nghttp2.h]="user/h2.c"
	[yaml.h]="config/node.c"
	[bpf/bpf.h]="user/splice.c"
	[bpf/libbpf.h]="user/splice.c"
	[bpf/bpf_helpers.h]="bpf/splice.bpf.c"
	[bpf/bpf_endian.h]="bpf/splice.bpf.c"
	[bpf/bpf_tracing.h]="bpf/splice.bpf.c"
	[zlib.h]=""
	[libelf.h]=""
	[gelf.h]=""
	[openssl/ssl.h]=""
	[liburing.h]=""
	[cJSON.h]="user/json.c"
	[cjson/cJSON.h]="user/json.c"
)
WIRING="user/gateway.c user/worker.c user/main.c"

allowed_layers() {
	case $1 in
	config/*) echo "config" ;;
	policy/*) echo "config policy" ;;
	user/*) echo "config policy user" ;;
	admin/*) echo "config policy user admin" ;;
	bpf/*) echo "bpf" ;;
	esac
}

files=$(ls config/*.[ch] policy/*.[ch] user/*.[ch] admin/*.[ch] bpf/*.[ch] 2>/dev/null)
bad=0
n=0
for f in $files; do
	n=$((n + 1))
	layers=" $(allowed_layers "$f") "
	while IFS=: read -r line inc; do
		# project headers: "layer/name.h"
		if [[ $inc =~ ^#include\ \"([a-z]+)/[^\"]+\" ]]; then
			layer=${BASH_REMATCH[1]}
			if [[ $layer == bpf && $f == user/* ]]; then
				# the one header the kernel programs share with
				# userspace, and the loader's generated skeleton
				[[ $inc == *'"bpf/sg_abi.h"'* ]] && continue
				[[ $f == user/splice.c && $inc == *'"bpf/splice.skel.h"'* ]] && continue
				echo "$f:$line: user/ may include only bpf/sg_abi.h (and user/splice.c the skeleton): $inc"
				bad=$((bad + 1))
			elif [[ $layer == admin && $f == user/* ]]; then
				[[ " $WIRING " == *" $f "* ]] && continue
				echo "$f:$line: only the wiring ($WIRING) may include admin/: $inc"
				bad=$((bad + 1))
			elif [[ $layers != *" $layer "* ]]; then
				echo "$f:$line: ${f%%/*}/ may include only$layers: $inc"
				bad=$((bad + 1))
			fi
			continue
		fi
		# library headers: <name.h>
		if [[ $inc =~ ^#include\ \<([^\>]+)\> ]]; then
			h=${BASH_REMATCH[1]}
			[[ -v WRAPPERS[$h] ]] || continue
			[[ " ${WRAPPERS[$h]} " == *" $f "* ]] && continue
			echo "$f:$line: <$h> belongs to ${WRAPPERS[$h]:-no module yet}: include that module instead"
			bad=$((bad + 1))
		fi
	done < <(grep -n '^#include' "$f")
done
echo "check-deps: $n files, $bad violations"
[ "$bad" -eq 0 ]
