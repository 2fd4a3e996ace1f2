#!/bin/bash
# `make check`: the include graph goes one way, each library is included
# only by the module that wraps it, and modules keep their shape
# (docs/architecture.md, STYLE "The shape of the tree").
#
#   config/  may include config/
#   policy/  may include config/ policy/
#   user/    may include config/ policy/ user/; admin/ only from the wiring
#            (user/gateway.c, user/worker.c, user/main.c)
#   admin/   may include config/ policy/ user/ admin/ (it reads the running state)
#   bpf/     may include bpf/; user/ may include bpf/sg_abi.h, the ABI they
#            share, and user/relay/splice.c the generated skeleton
#
#   user/'s folders, lowest first (USER_FOLDERS): a folder includes its
#   own headers and lower folders', never a higher one's, so the folders
#   form no cycle (checked again with tsort); the files directly in
#   user/ (the wiring and the TLS front doors) may include any folder,
#   and no folder includes them. At most USER_ROOT_MAX .c files stay
#   directly in user/.
#
#   every .c in config/ policy/ user/ admin/ has a .h of the same stem
#   (entry points without one are listed in NO_HEADER); a stem names one
#   module in the whole tree; and no project header names a library's type
#   (cJSON, yaml_*, nghttp2_*, llhttp_*, bpf_*): those stay in the wrapper.
#
# usage: scripts/check-deps.sh [tree]  (default: this checkout)
# Prints every break of a rule as file:line (or file:), then a closing line.
set -u
cd "${1:-$(dirname "$0")/..}" || exit 1

# library header (as included) -> the files allowed to include it
declare -A WRAPPERS=(
	[llhttp.h]="user/codec/h1.c"
	[nghttp2/nghttp2.h]="user/codec/h2.c"
	[yaml.h]="config/node.c"
	[bpf/bpf.h]="user/relay/splice.c"
	[bpf/libbpf.h]="user/relay/splice.c"
	[bpf/bpf_helpers.h]="bpf/splice.bpf.c"
	[bpf/bpf_endian.h]="bpf/splice.bpf.c"
	[bpf/bpf_tracing.h]="bpf/splice.bpf.c"
	[zlib.h]="user/ctl/journal.c"
	[libelf.h]=""
	[gelf.h]=""
	[openssl/ssl.h]="user/tls/tls.c"
	[openssl/err.h]="user/tls/tls.c user/tls/tlspeer.c user/tls/tlsmint.c"
	[openssl/pem.h]="user/tls/tls.c user/tls/tlspeer.c user/tls/tlsmint.c user/auth/jwtsign.c"
	[openssl/rand.h]="user/tls/tls.c user/auth/jwt.c user/auth/oidc.c"
	[openssl/x509v3.h]="user/tls/tls.c user/tls/tlspeer.c user/tls/tlsmint.c"
	[liburing.h]=""
	[crypt.h]="user/auth/htpasswd.c"
	[cJSON.h]="user/base/json.c"
	[cjson/cJSON.h]="user/base/json.c"
)
WIRING="user/gateway.c user/worker.c user/main.c"
USER_FOLDERS=(base tls auth ctl codec relay core mcp tcp http2 http1)
USER_ROOT_MAX=6
# Sources that are not modules and so have no header: entry points.
NO_HEADER="user/main.c"
# A library's names, as they would appear in a header that leaked one.
LIB_NAMES='cJSON|yaml_\w+|nghttp2_\w+|llhttp_\w+|bpf_\w+|SSL_\w+|SSL\b|X509\w*'

# The rank of a file's user/ folder (its index in USER_FOLDERS; the root
# of user/ is above them all), or -1 for a folder not in the list.
user_rank() {
	local rel=${1#user/} i
	[[ $rel == */* ]] || {
		echo ${#USER_FOLDERS[@]}
		return
	}
	for i in "${!USER_FOLDERS[@]}"; do
		[[ ${rel%%/*} == "${USER_FOLDERS[$i]}" ]] && echo "$i" && return
	done
	echo -1
}

allowed_layers() {
	case $1 in
	config/*) echo "config" ;;
	policy/*) echo "config policy" ;;
	user/*) echo "config policy user" ;;
	admin/*) echo "config policy user admin" ;;
	bpf/*) echo "bpf" ;;
	esac
}

files=$(ls config/*.[ch] policy/*.[ch] user/*.[ch] user/*/*.[ch] admin/*.[ch] bpf/*.[ch] \
	2>/dev/null)
bad=0
n=0
edges=""
for f in $files; do
	if [[ $f == user/* && $(user_rank "$f") -lt 0 ]]; then
		echo "$f: user/${f#user/} is in a folder that USER_FOLDERS does not rank: add it there"
		bad=$((bad + 1))
	fi
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
				[[ $f == user/relay/splice.c && $inc == *'"bpf/splice.skel.h"'* ]] && continue
				echo "$f:$line: user/ may include only bpf/sg_abi.h (and user/relay/splice.c the skeleton): $inc"
				bad=$((bad + 1))
			elif [[ $layer == admin && $f == user/* ]]; then
				[[ " $WIRING " == *" $f "* ]] && continue
				echo "$f:$line: only the wiring ($WIRING) may include admin/: $inc"
				bad=$((bad + 1))
			elif [[ $layers != *" $layer "* ]]; then
				echo "$f:$line: ${f%%/*}/ may include only$layers: $inc"
				bad=$((bad + 1))
			elif [[ $layer == user && $f == user/* ]]; then
				[[ $inc =~ \"(user/[^\"]+)\" ]]
				to=${BASH_REMATCH[1]}
				from_dir=$(dirname "$f") to_dir=$(dirname "$to")
				[[ $from_dir != "$to_dir" ]] && edges+="$from_dir $to_dir"$'\n'
				if [[ $(user_rank "$to") -gt $(user_rank "$f") ]]; then
					echo "$f:$line: $from_dir/ is below $to_dir/ (order: ${USER_FOLDERS[*]}, then user/): a lower folder may not include a higher one: $inc"
					bad=$((bad + 1))
				fi
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

# Folders that include each other in a circle (tsort names the loop).
if [ -n "$edges" ] && ! loop=$(printf '%s' "$edges" | tsort 2>&1 >/dev/null); then
	echo "user/: folders include each other in a cycle: $(grep -v 'input contains a loop' <<<"$loop" | sed 's/^tsort: //' | tr '\n' ' ')"
	bad=$((bad + 1))
fi

# The root of user/ holds the wiring, not the modules.
root_c=$(ls user/*.c 2>/dev/null | wc -l)
if [ "$root_c" -gt "$USER_ROOT_MAX" ]; then
	echo "user/: $root_c .c files directly in it, more than $USER_ROOT_MAX: put modules in their folder"
	bad=$((bad + 1))
fi

# One module = one .c + one .h with the same stem.
for f in $(ls config/*.c policy/*.c user/*.c user/*/*.c admin/*.c 2>/dev/null); do
	[[ -f ${f%.c}.h || " $NO_HEADER " == *" $f "* ]] && continue
	echo "$f: no ${f%.c}.h: a module is a .c and a .h of the same stem (an entry point goes in NO_HEADER)"
	bad=$((bad + 1))
done

# A stem is unique in the whole tree: config/x.c and user/x.c would be two
# modules with one name.
while read -r stem dirs; do
	echo "${dirs// /\/$stem, }/$stem: one stem in two directories: rename one module"
	bad=$((bad + 1))
done < <(for f in $files; do
	b=${f##*/}
	echo "${b%.[ch]} ${f%/*}"
done | sort -u | awk '{ d[$1] = d[$1] ? d[$1] " " $2 : $2; c[$1]++ }
	END { for (s in d) if (c[s] > 1) print s, d[s] }' | sort)

# A library's types stay in its wrapper's .c: a project header that names
# one (outside comments and #include lines) makes every includer depend on
# the library.
for h in $(ls config/*.h policy/*.h user/*.h user/*/*.h admin/*.h bpf/*.h 2>/dev/null); do
	while IFS=: read -r line name; do
		echo "$h:$line: \"$name\" is a library's type: keep it in the wrapper's .c, behind a type of ours"
		bad=$((bad + 1))
	done < <(perl -0777 -ne 's{/\*.*?\*/}{"\n" x ($& =~ tr/\n//)}gse; s{//[^\n]*}{}g;
		my $n = 0;
		for my $l (split /\n/, $_, -1) {
			$n++;
			next if $l =~ /^\s*#\s*include/; # the rule above covers those
			print "$n:$1\n" while $l =~ /\b('"$LIB_NAMES"')\b/g;
		}' "$h")
done
echo "check-deps: $n files, $bad violations"
[ "$bad" -eq 0 ]
