#!/bin/bash
# Verifies the package `make deb` built, on this machine, as root: lintian
# reports no error; `dpkg -i` installs it; the unit passes `systemd-analyze
# verify`; the unit's ExecStart, run by hand as the unit runs it (a user
# with no name, the unit's capabilities, no_new_privs; PID 1 here is not
# systemd), serves a request with the packaged config, takes root's apply
# over its admin socket (0660, the unit's user) and refuses another user's,
# journals it in its state directory and replays it after kill -9, checks
# the config before a reload (ExecReload), reloads on SIGHUP and drains on
# SIGTERM, writing its access log to /var/log/splicegate/access.log, which
# the shipped logrotate file rotates; the version carries its commit (+gitYYYYMMDD.<hash>), the
# copyright names Apache-2.0, the dashboard and example configs are in
# /usr/share/doc/splicegate/examples; an edited conffile survives an upgrade and a
# remove; `dpkg --purge` leaves no file named splicegate behind. Prints
# "deb: N passed, N failed". Installs what it uses (lintian, systemd-analyze,
# man, curl, python3, ip, logrotate) from Debian's archive when it is missing.
#
# Everything runs in a network namespace of its own, so the packaged ports
# (8080, 15000, 15020, 15021, and the backend's 8000) never meet another
# gateway on this host. The tests use build/splicegate, never
# /usr/bin/splicegate; the script refuses to run if a splicegate is already
# installed, and purges the package and stops what it started on exit.
# usage: scripts/deb-check.sh [path/to/splicegate_VERSION_ARCH.deb]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" != --in-netns ]; then
	deb=${1:-$(ls -t "$root"/build/deb/splicegate_*_"$(dpkg --print-architecture)".deb 2>/dev/null |
		head -1)}
	if [ -z "$deb" ] || [ ! -f "$deb" ]; then
		echo "deb-check: no package; run make deb first, or name the .deb" >&2
		exit 1
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "deb-check: needs root (dpkg -i)" >&2
		exit 1
	fi
	if dpkg-query -W -f='${Status}' splicegate 2>/dev/null | grep -q 'ok installed\|config-files' ||
		[ -e /usr/bin/splicegate ]; then
		echo "deb-check: a splicegate is already installed here; not touching it" >&2
		exit 1
	fi
	missing=""
	for p in lintian systemd man-db curl python3 iproute2 logrotate; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "deb-check: installing$missing"
		apt-get update -qq
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$missing >/dev/null
	fi
	exec unshare --net bash -c 'ip link set lo up && exec "$0" --in-netns "$1"' "$0" \
		"$(realpath "$deb")"
fi
deb=$2

name=deb
. "$root/tests/build/lib.sh"
# check NAME GOT WANT
check() { [ "$2" = "$3" ] && ok "$1" || bad "$1: got \"$2\", want \"$3\""; }
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if dpkg-query -W -f='${Status}' splicegate 2>/dev/null | grep -q 'installed\|config-files'; then
		dpkg --purge splicegate >/dev/null
	fi
	rm -rf "$work" /run/splicegate /var/lib/splicegate /var/log/splicegate
}
trap cleanup EXIT

# Files named splicegate outside the build trees: before the install and
# after the purge they must be the same. (/lib is /usr/lib on Debian 12.)
leftovers() {
	find /etc /usr /var $([ -L /lib ] || echo /lib) -xdev -name '*splicegate*' -not -path '/var/log/*' \
		2>/dev/null | sort
}
leftovers >"$work/before"

# ---- lintian ------------------------------------------------------------
lintian --display-info --pedantic "$deb" >"$work/lintian" 2>&1
errors=$(grep -c '^E: ' "$work/lintian")
check "lintian: no error ($(grep -c '^W: ' "$work/lintian") warnings, $(grep -c '^[IP]: ' "$work/lintian") info/pedantic)" \
	"$errors" 0
sed -n 's/^\([EWIP]: .*\)/    \1/p' "$work/lintian"

# ---- install ------------------------------------------------------------
version=$(dpkg-deb -f "$deb" Version)
if dpkg -i "$deb" >"$work/dpkg-i" 2>&1; then
	ok "dpkg -i installs $(basename "$deb")"
else
	bad "dpkg -i: $(tail -5 "$work/dpkg-i")"
fi
check "the package is installed" "$(dpkg-query -W -f='${Status}' splicegate)" \
	"install ok installed"
check "splicegate version says the package's version" "$(splicegate version)" \
	"splicegate $version"
case $version in
*+git[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9].[0-9a-f]*) ok "the version carries the commit's date and hash ($version)" ;;
*) bad "the version $version does not carry +gitYYYYMMDD.<commit>" ;;
esac
grep -q '^License: Apache-2.0$' /usr/share/doc/splicegate/copyright &&
	grep -q '^Files: \*$' /usr/share/doc/splicegate/copyright &&
	! grep -qi 'unstated' /usr/share/doc/splicegate/copyright &&
	ok "debian/copyright: Apache-2.0 for the tree (and the BPF program's GPL-2.0)" ||
	bad "copyright: $(grep '^License' /usr/share/doc/splicegate/copyright | tr '\n' ' ')"
ex=/usr/share/doc/splicegate/examples
missing=""
for f in grafana-dashboard.json standalone.yaml gateway-api.yaml gateway-api-policies.yaml \
	tcp-route.yaml tls-passthrough.yaml; do
	[ -s "$ex/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && jq -e .panels "$ex/grafana-dashboard.json" >/dev/null &&
	ok "the dashboard and example configs are shipped in $ex" || bad "missing in $ex:$missing"
splicegate check -c "$ex/standalone.yaml" >/dev/null 2>&1 &&
	ok "the shipped standalone example passes splicegate check" ||
	bad "splicegate check $ex/standalone.yaml: $(splicegate check -c "$ex/standalone.yaml" 2>&1 | tail -2)"
check "/etc/splicegate/gateway.yaml and the logrotate file are conffiles" \
	"$(dpkg-query -W -f='${Conffiles}' splicegate | awk 'NF { print $1 }' | sort | tr '\n' ' ')" \
	"/etc/logrotate.d/splicegate /etc/splicegate/gateway.yaml "
# The access log file the unit writes (--access-log-file), rotated daily
# with SIGUSR1 to the gateway; logrotate reads the file without error.
if logrotate --debug --state "$work/logrotate.state" /etc/logrotate.d/splicegate \
	>"$work/logrotate" 2>&1 && grep -q 'rotating pattern: /var/log/splicegate/access.log' "$work/logrotate"; then
	ok "logrotate reads /etc/logrotate.d/splicegate (/var/log/splicegate/access.log)"
else
	bad "logrotate --debug: $(grep -i 'error' "$work/logrotate" | head -3)"
fi
check "splicegate check accepts the packaged config" \
	"$(splicegate check -c /etc/splicegate 2>&1)" "configuration ok"
# 200 columns: the NAME line on one line, and man-db keeps no cat page of
# a width other than 80 (as root it would write /var/cache/man/cat8/, a
# cache man-db expires itself, which the leftover check below would see).
help_name=$(splicegate --help | head -1)
MANWIDTH=200 man -P cat splicegate 2>/dev/null | grep -qF -- "$help_name" &&
	ok "man splicegate shows the installed page (its NAME is --help's first line)" ||
	bad "man splicegate: no page, or its NAME is not \"$help_name\""

# verify also runs `man splicegate(8)` for Documentation=; MANWIDTH as above.
unit=/lib/systemd/system/splicegate.service
if MANWIDTH=200 systemd-analyze verify "$unit" >"$work/verify" 2>&1; then
	ok "systemd-analyze verify $unit$( [ -s "$work/verify" ] && echo ": $(tr '\n' ' ' <"$work/verify")")"
else
	bad "systemd-analyze verify: $(cat "$work/verify")"
fi

# Its sandboxing: systemd's exposure score "OK" or better (below 5.0 of 10;
# --threshold counts in tenths). Offline: no systemd needs to run.
if systemd-analyze security --offline=true --threshold=49 "$unit" >"$work/security" 2>&1; then
	ok "systemd-analyze security: $(grep -o 'Overall exposure level.*' "$work/security")"
else
	bad "systemd-analyze security: $(grep -o 'Overall exposure level.*' "$work/security" ||
		tail -3 "$work/security")"
fi

# ---- the unit's ExecStart, as the unit runs it ----------------------------
# A uid from systemd's DynamicUser range with no passwd entry, the unit's
# ambient capabilities and bounding set, no_new_privs. Not emulated: the
# unit's mount and syscall sandboxing (ProtectSystem= and the like).
unit_val() { sed -n "s/^$1=//p" "$unit"; }
caps=$(unit_val AmbientCapabilities | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
bounding=$(unit_val CapabilityBoundingSet | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
check "the unit runs a dynamic user with no_new_privs" \
	"$(unit_val DynamicUser) $(unit_val NoNewPrivileges)" "yes yes"
read -r -a exec_start <<<"$(unit_val ExecStart)"
check "the unit runs the packaged binary on the packaged config" \
	"${exec_start[0]} ${exec_start[1]} ${exec_start[2]}" "/usr/bin/splicegate -c /etc/splicegate"
uid=61234
getent passwd "$uid" >/dev/null && bad "uid $uid has a passwd entry"
# The directories systemd makes for the unit, its user's: the admin socket
# in RuntimeDirectory=, the journal of applied changes in StateDirectory=.
check "the unit has a runtime, a state and a logs directory" \
	"$(unit_val RuntimeDirectory) $(unit_val StateDirectory) $(unit_val LogsDirectory)" \
	"splicegate splicegate splicegate"
[ -e /run/splicegate ] || [ -e /var/lib/splicegate ] || [ -e /var/log/splicegate ] &&
	bad "/run/splicegate, /var/lib/splicegate or /var/log/splicegate exists before the test"
install -d -o "$uid" -g "$uid" -m 0755 /run/splicegate
install -d -o "$uid" -g "$uid" -m 0755 /var/lib/splicegate
install -d -o "$uid" -g "$uid" -m 0755 /var/log/splicegate

# A backend where the packaged config points: 127.0.0.1:8000.
mkdir "$work/www"
echo "served through splicegate $version" >"$work/www/hello.txt"
python3 -m http.server --bind 127.0.0.1 --directory "$work/www" 8000 \
	>"$work/backend.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	curl -s --max-time 1 -o /dev/null http://127.0.0.1:8000/hello.txt && break
	sleep 0.1
done

# as_unit: the unit's ExecStart as the unit runs it, in the background
# (gw: its pid); waits until it is ready.
as_unit() {
	local ready=
	setpriv --reuid="$uid" --regid="$uid" --clear-groups --no-new-privs \
		--bounding-set=-all,"$bounding" --inh-caps="$caps" --ambient-caps="$caps" \
		"${exec_start[@]}" >"$work/gateway.out" 2>"$work/gateway.err" &
	gw=$!
	pids+=("$gw")
	for _ in $(seq 100); do
		[ "$(curl -s --max-time 1 http://127.0.0.1:15021/healthz/ready)" = ready ] && ready=1 && break
		kill -0 "$gw" 2>/dev/null || break
		sleep 0.1
	done
	if [ -n "$ready" ]; then
		ok "the gateway is ready on :15021 (uid $uid, caps $caps)"
	else
		bad "the gateway is not ready: $(tail -5 "$work/gateway.err")"
	fi
}
as_unit
check "the gateway runs as uid $uid" "$(awk '/^Uid:/ { print $2 }' "/proc/$gw/status" 2>/dev/null)" \
	"$uid"
check "GET :8080/hello.txt is the backend's file, through the gateway" \
	"$(curl -s --max-time 5 -w ' %{http_code}' http://127.0.0.1:8080/hello.txt)" \
	"served through splicegate $version
 200"
grep -q '"http.status":200' /var/log/splicegate/access.log &&
	ok "the request is in the JSON access log in /var/log/splicegate/access.log (--access-log json --access-log-file)" ||
	bad "no JSON access-log line with status 200: $(tail -2 /var/log/splicegate/access.log 2>&1)"
curl -s --max-time 5 http://127.0.0.1:15020/metrics | grep -q '^splicegate_requests_total{' &&
	ok "/metrics on :15020 counts the request" || bad "/metrics has no splicegate_requests_total"

# The admin socket: the unit user's, 0660; root applies over it, another
# user cannot, and the TCP port is read-only.
check "the admin socket is a 0660 socket of the unit's user" \
	"$(stat -c '%F %a %u' /run/splicegate/admin.sock 2>&1)" "socket 660 $uid"
cat >"$work/extra.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: extra, namespace: deb}
spec:
  listeners: [{name: http, port: 8081, protocol: HTTP}]
---
apiVersion: v1
kind: Service
metadata: {name: www, namespace: deb}
spec: {clusterIP: 127.0.0.1, ports: [{port: 8000}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: www, namespace: deb}
spec:
  parentRefs: [{name: extra}]
  rules: [{backendRefs: [{name: www, port: 8000}]}]
YAML
chmod 644 "$work/extra.yaml"
splicegate apply -f "$work/extra.yaml" >"$work/apply.out" 2>&1 &&
	ok "root: splicegate apply over /run/splicegate/admin.sock" ||
	bad "root: apply: $(cat "$work/apply.out")"
check "the applied route serves on :8081" \
	"$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8081/hello.txt)" 200
setpriv --reuid=65534 --regid=65534 --clear-groups splicegate delete httproute www -n deb \
	>/dev/null 2>&1
check "another user: splicegate delete fails (exit 2: the socket is not theirs)" "$?" 2
check "another user: POST /logging on the TCP port is refused" \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups curl -s -o /dev/null -w '%{http_code}' \
		-X POST 'http://127.0.0.1:15000/logging?level=debug')" 403
check "the journal in the state directory is the unit user's, 0600" \
	"$(stat -c '%a %u' /var/lib/splicegate/journal 2>&1)" "600 $uid"
# Restart=on-failure after a crash: the applied route is replayed.
kill -KILL "$gw"
wait "$gw" 2>/dev/null
as_unit
check "after kill -9 and a start, the applied route serves again (replayed)" \
	"$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8081/hello.txt)" 200

# ExecReload: splicegate check, then kill -HUP $MAINPID; the gateway
# serves on after it, and a config that does not load fails the reload.
check "ExecReload checks the config before signalling" \
	"$(sed -n 's/^ExecReload=//p' "$unit" | head -1)" "/usr/bin/splicegate check -c /etc/splicegate"
$(sed -n 's/^ExecReload=//p' "$unit" | head -1) >/dev/null 2>&1
check "ExecReload's check passes on the packaged config" "$?" 0
echo "binds: [{port: x}]" >/etc/splicegate/zz-broken.yaml
$(sed -n 's/^ExecReload=//p' "$unit" | head -1) >/dev/null 2>&1
check "ExecReload's check fails on a broken config (exit 1: no SIGHUP follows)" "$?" 1
rm -f /etc/splicegate/zz-broken.yaml
kill -HUP "$gw"
sleep 0.5
check "after SIGHUP (systemctl reload) it still serves" \
	"$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/hello.txt)" 200
# KillSignal=SIGTERM drains and exits 0 within TimeoutStopSec.
kill -TERM "$gw"
stop=$(unit_val TimeoutStopSec)
for _ in $(seq $((stop * 10))); do
	kill -0 "$gw" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$gw" 2>/dev/null; then
	bad "SIGTERM: still running after TimeoutStopSec=${stop}s"
else
	wait "$gw"
	check "SIGTERM (systemctl stop): exits 0 within ${stop}s" "$?" 0
fi
check "the admin socket is gone after the stop" "$([ -e /run/splicegate/admin.sock ] && echo left)" ""
# systemd removes the runtime directory at stop; the state directory is
# the unit's to keep (removed here: it is no file of the package's).
rm -rf /run/splicegate /var/lib/splicegate /var/log/splicegate

# ---- conffile, remove, purge ----------------------------------------------
# An upgrade: the same files repacked as version+next, over the installed
# one (the maintainer scripts' upgrade path), with the config edited.
echo "# edited by deb-check" >>/etc/splicegate/gateway.yaml
dpkg-deb -R "$deb" "$work/next"
sed -i "s/^Version: .*/Version: $version+next/" "$work/next/DEBIAN/control"
dpkg-deb -b "$work/next" "$work/next.deb" >/dev/null
dpkg -i "$work/next.deb" >"$work/dpkg-i2" 2>&1 || bad "upgrade: $(tail -3 "$work/dpkg-i2")"
check "an upgrade to $version+next installs" "$(dpkg-query -W -f='${Version} ${Status}' splicegate)" \
	"$version+next install ok installed"
check "the upgrade keeps the edited conffile" "$(tail -1 /etc/splicegate/gateway.yaml)" \
	"# edited by deb-check"
dpkg -L splicegate >"$work/files"
dpkg -r splicegate >"$work/dpkg-r" 2>&1 || bad "dpkg -r: $(tail -3 "$work/dpkg-r")"
check "dpkg -r removes the binary, keeps the edited config" \
	"$([ -e /usr/bin/splicegate ] && echo binary) $(tail -1 /etc/splicegate/gateway.yaml 2>&1)" \
	" # edited by deb-check"
if dpkg --purge splicegate >"$work/dpkg-purge" 2>&1; then
	ok "dpkg --purge"
else
	bad "dpkg --purge: $(tail -3 "$work/dpkg-purge")"
fi
check "after the purge dpkg knows no splicegate" \
	"$(dpkg-query -W -f='${Status}' splicegate 2>/dev/null)" ""
left=$(grep -E '^/(etc|lib|usr/bin|usr/share/(man|doc))/.*splicegate' "$work/files" |
	while read -r f; do [ -e "$f" ] && echo "$f"; done)
check "every file the package had is gone" "$left" ""
leftovers >"$work/after"
check "no file named splicegate left in /etc /usr /var (dpkg's log aside)" \
	"$(comm -13 "$work/before" "$work/after" | tr '\n' ' ')" ""

finish
