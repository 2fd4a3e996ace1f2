#!/bin/sh
# make deb: builds splicegate_<version>_<arch>.deb with dpkg-buildpackage and
# debhelper, in OUT (default build/deb), from a copy of the tracked tree with
# scripts/debian/ as its debian/ (the source tree keeps no debian/ at its top).
# Installs dpkg-dev and the package's Build-Depends from Debian's archive
# first when they are missing. The version is SG_VERSION in user/main.c and
# +gitYYYYMMDD.<commit> (the commit's date and short hash), so that a build
# of a later commit upgrades an earlier one.
# usage: scripts/deb-build.sh [OUT]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/deb}
version=$(sed -n 's/^#define SG_VERSION "\(.*\)"$/\1/p' "$root/user/main.c")
if [ -z "$version" ]; then
	echo "deb-build: no #define SG_VERSION \"...\" line in user/main.c" >&2
	exit 1
fi
base=$version
commit=$(cd "$root" && git rev-parse --short HEAD)
version=$version+git$(cd "$root" && git log -1 --format=%cd --date=format:%Y%m%d).$commit
src=$out/splicegate-$version

export DEBIAN_FRONTEND=noninteractive
if ! command -v dpkg-buildpackage >/dev/null; then
	echo "deb-build: installing dpkg-dev"
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null
fi

# The tree as it is checked out (tracked files, with their current content).
rm -rf "$src"
mkdir -p "$src"
(cd "$root" && git ls-files -z | xargs -0 tar cf -) | tar xf - -C "$src"
cp -r "$src/scripts/debian" "$src/debian"

# The binary says the package's version: the copy is built with it (the
# copy lies inside this checkout, whose git would name HEAD again).
export SG_GIT_VERSION="${version#"$base"}"

# One entry, for this version, dated by the commit it is built from.
dirty=$(cd "$root" && git status --porcelain --untracked-files=no | grep -q . && echo ", with uncommitted changes" || true)
cat >"$src/debian/changelog" <<EOF
splicegate ($version) unstable; urgency=medium

  * Built from the splicegate tree at commit $commit$dirty.

 -- $(sed -n 's/^Maintainer: //p' "$src/debian/control")  $(cd "$root" && git log -1 --format=%aD)
EOF

cd "$src"
if ! dpkg-checkbuilddeps 2>/dev/null; then
	echo "deb-build: installing the Build-Depends of debian/control"
	apt-get update -qq
	apt-get build-dep -y -qq --no-install-recommends "$src" >/dev/null
fi
dpkg-buildpackage -b -us -uc -j2
echo "deb-build: $out/splicegate_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).deb"
