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
# are extracted to a temporary directory and checked from its top, as
# agentgateway's README runs them, so their relative paths resolve.
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

cd "$tmp"
total=0
pass=0
for f in $(find examples -name '*config.yaml' | sort); do
	case $(basename "$f") in kind-config.yaml | otel-collector-config.yaml | ratelimit-config.yaml) continue ;; esac
	total=$((total + 1))
	if out=$("$bin" check -c "$f" 2>&1); then
		pass=$((pass + 1))
		printf '%-60s ok\n' "$f"
	else
		first=$(printf '%s\n' "$out" | grep -v '^ ' | head -1 | sed "s|^$f:||")
		printf '%-60s %s\n' "$f" "$first"
	fi
done
echo "$pass of $total pass ($rev; skipped: $skip)"
