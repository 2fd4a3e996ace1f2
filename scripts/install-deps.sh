#!/bin/sh
# Installs what splicegate needs to build, test and benchmark, from Debian's
# archive. Idempotent: packages already present are left alone.
set -eu

PKGS="build-essential pkg-config clang-14 libclang-rt-14-dev llvm-14 clang-format bpftool
libbpf-dev libelf-dev zlib1g-dev libnghttp2-dev node-llhttp libyaml-dev
libcjson-dev libcmocka-dev libssl-dev libcrypt-dev
curl jq python3 python3-httpbin python3-pycurl python3-h2 python3-grpcio python3-grpc-tools
python3-protobuf nghttp2-client nghttp2-server iproute2
procps wrk man-db openssl nginx haproxy prometheus redis-server python3-redis"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# node and npm run the npm test components (scripts/install-npm.sh). A node
# installed from elsewhere (it brings its own npm) is left alone.
command -v npm >/dev/null || missing="$missing nodejs npm"

if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# nginx is a test backend (tests/e2e/https-backend-tls.sh), started by
	# the tests on ports of their own: its package must not start the
	# system's nginx on port 80. Debian's way to say so is a policy-rc.d
	# that refuses every start (101), here for the install only.
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "install-deps: all packages present"
