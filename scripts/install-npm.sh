#!/bin/sh
# Installs the npm packages the e2e scenarios use as real components (MCP
# servers and clients, an OpenID provider) into DIR, at the versions
# tests/npm-packages.txt pins. Idempotent: when DIR already holds exactly
# that list, nothing is fetched. A scenario finds them under
# $SG_NPM/node_modules (tests/e2e/lib.sh, `npm_need`).
#
#   scripts/install-npm.sh DIR
set -eu

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
list=$(dirname "$0")/../tests/npm-packages.txt
pkgs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list" | tr -s ' \t' '\n' | sort)
if [ -z "$pkgs" ]; then
	echo "install-npm: no packages listed"
	exit 0
fi
command -v npm >/dev/null || { echo "install-npm: npm missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
mkdir -p "$dir"
stamp=$dir/.installed
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pkgs" ]; then
	echo "install-npm: all packages present"
	exit 0
fi
echo "install-npm: installing $(echo "$pkgs" | tr '\n' ' ')"
# shellcheck disable=SC2086
npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error $pkgs >/dev/null
echo "$pkgs" >"$stamp"
echo "install-npm: all packages present"
