#!/bin/sh
# For the record: run `splicegate check` over every example config of an
# agentgateway checkout (examples/**/*config.yaml, less the three files
# there that configure other programs) and print, for each, "ok" or the
# first error, then "N of M pass".
#
#   scripts/agentgateway-examples.sh GITDIR [REV]
#
# GITDIR: an agentgateway git directory, bare or not (the `fetch` tool's
# /work/.mirror/agentgateway+agentgateway/repo, or a clone's .git). REV:
# the commit to read (default 75b4e6c, the one issue 68 counts at).
# SG_BIN: the splicegate binary (default build/splicegate). The examples
# are extracted to a temporary directory and each is checked from where
# its README runs it (the README beside it or above it: `-f
# examples/...` from the repository's top, `-f ./x.yaml` from the
# README's folder; the top when no README says), with the files it names
# by a relative path (a `file:` and any other value naming a file of the
# repository from there, such as mcp-authorization's
# ./manifests/jwt/pub-key) checked out beside it from REV. Nothing else
# of the repository is there, so a file the config names that REV does
# not have stays missing and the check says so.
# Exits 0 when every file was checked (whatever the outcome), 2 on usage.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 GITDIR [REV]" >&2
	exit 2
fi
gitdir=$1
rev=${2:-75b4e6c}
bin=${SG_BIN:-$(pwd)/build/splicegate}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
[ -x "$bin" ] || { echo "$0: no splicegate at $bin (make, or set SG_BIN)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# File by file: a mirror may lack blobs outside examples/, which
# `git archive` would stop at.
git --git-dir="$gitdir" ls-tree -r --name-only "$rev" examples | while read -r f; do
	mkdir -p "$tmp/$(dirname "$f")"
	git --git-dir="$gitdir" show "$rev:$f" >"$tmp/$f"
done

# Not agentgateway configs: a kind cluster, an OpenTelemetry collector and
# Envoy's rate limit service.
skip='kind-config.yaml|otel-collector-config.yaml|ratelimit-config.yaml'

# run_dir FILE: the folder (relative to the top, "." for it) that FILE's
# README runs it from: the nearest README.md at or above FILE's folder
# that names it with -f; `-f examples/...` runs from the top, any other
# path from the README's folder.
run_dir() {
	d=
	arg=
	d=$(dirname "$1")
	while [ "$d" != . ]; do
		if [ -f "$d/README.md" ]; then
			arg=$(grep -oE -- "-f +[^ ]*$(basename "$1")" "$d/README.md" | head -1 |
				sed -E 's/^-f +//')
			case $arg in
			'') ;;
			examples/*) echo .; return ;;
			*) echo "$d"; return ;;
			esac
		fi
		d=$(dirname "$d")
	done
	echo .
}

# named_files FILE DIR: every string value of FILE that is a relative path
# naming a file of REV from DIR is checked out there.
named_files() {
	p=
	python3 - "$1" "$2" <<'PY' | while read -r p; do
import os, sys, yaml
def walk(v):
    if isinstance(v, dict):
        for x in v.values():
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)
    elif isinstance(v, str) and v and "\n" not in v and not v.startswith("/") and "://" not in v:
        yield v
try:
    docs = list(yaml.safe_load_all(open(sys.argv[1])))
except Exception:
    docs = []
seen = set()
for doc in docs:
    for v in walk(doc):
        p = os.path.normpath(os.path.join(sys.argv[2], v))
        if not p.startswith("..") and p not in seen and ("/" in v or v.startswith(".")):
            seen.add(p)
            print(p)
PY
		[ -e "$p" ] && continue
		if git --git-dir="$gitdir" cat-file -e "$rev:$p" 2>/dev/null &&
			[ "$(git --git-dir="$gitdir" cat-file -t "$rev:$p")" = blob ]; then
			mkdir -p "$(dirname "$p")"
			git --git-dir="$gitdir" show "$rev:$p" >"$p"
		fi
	done
}

cd "$tmp"
total=0
pass=0
for f in $(find examples -name '*config.yaml' | sort); do
	case $(basename "$f") in kind-config.yaml | otel-collector-config.yaml | ratelimit-config.yaml) continue ;; esac
	total=$((total + 1))
	dir=$(run_dir "$f")
	named_files "$f" "$dir"
	if out=$(cd "$tmp/$dir" && "$bin" check -c "$tmp/$f" 2>&1); then
		pass=$((pass + 1))
		printf '%-60s ok\n' "$f"
	else
		first=$(printf '%s\n' "$out" | grep -v '^ ' | head -1 | sed "s|^$tmp/$f:||")
		printf '%-60s %s\n' "$f" "$first"
	fi
done
echo "$pass of $total pass ($rev; skipped: $skip)"
