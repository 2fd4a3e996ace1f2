# Least privilege: started as root, every thread of a running gateway keeps
# exactly CAP_NET_BIND_SERVICE (effective = permitted = bounding set; nothing
# inheritable or ambient; no_new_privs), and still serves an HTTP route, a
# TCP route and a listener on port 81 that a reload adds, in every engine.
# The same as config/deploy/splicegate.service runs it: user 65534 with the
# unit's ambient capabilities and bounding set (which it cannot shrink).
# Skipped (not failed) when not root.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "  skipped: needs root"
	finish
fi

# want_caps ENGINE: the /proc status mask the gateway keeps with ENGINE:
# CAP_NET_BIND_SERVICE alone in every engine (the BPF objects and the
# workers' ring buffers are created before the drop: user/gateway.c).
want_caps() {
	case $1 in
	copy | splice | auto | sockmap) echo 0000000000000400 ;;
	*) echo "unknown engine $1" ;;
	esac
}

# caps_ok LABEL WANT [BOUNDING]: every task of the gateway has exactly WANT
# effective and permitted, and BOUNDING (default WANT) as its bounding set.
caps_ok() {
	local t got want bad="" n=0
	want="CapInh:0000000000000000 CapPrm:$2 CapEff:$2 CapBnd:${3:-$2} CapAmb:0000000000000000 NoNewPrivs:1 "
	for t in /proc/"$GW_PID"/task/*; do
		got=$(awk '/^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):/ { printf "%s%s ", $1, $2 }' \
			"$t/status")
		n=$((n + 1))
		[ "$got" = "$want" ] || bad="$bad [task ${t##*/}: $got]"
	done
	if [ -z "$bad" ] && [ "$n" -ge 3 ]; then
		pass "$1: $n threads with $want"
	else
		fail "$1: want $want in every one of >= 3 threads, got $n threads;$bad"
	fi
}

start_backend priv
write_cfg() { # EXTRA_PORT...
	cat >"$WORK/cfg/main.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
- port: 8081
  listeners:
  - protocol: TCP
    tcpRoutes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
	for p in "$@"; do
		cat >>"$WORK/cfg/main.yaml" <<YAML
- port: $p
  listeners:
  - routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
	done
}
mkdir -p "$WORK/cfg"

for engine in $(engines); do
	want=$(want_caps "$engine")
	write_cfg
	start_engine "$engine" -p 8080 -p 8081 -c "$WORK/cfg" --workers 2 || {
		fail "$engine: gateway did not start"
		continue
	}
	caps_ok "$engine: after start" "$want"
	grep -q "capabilities: keeping cap_net_bind_service" "$WORK/gateway.log" &&
		pass "$engine: the kept set is logged" || fail "$engine: no capabilities log line"
	hcall "http://127.0.0.1:8080/status/200?engine=$engine"
	expect "$engine: HTTP route" 200 "*"
	hcall "http://127.0.0.1:8081/status/200?via=tcp"
	expect "$engine: TCP route" 200 "*"
	write_cfg 81
	kill -HUP "$GW_PID"
	if wait_port 81 5; then
		hcall "http://127.0.0.1:81/status/200?port=81"
		expect "$engine: listener on :81 added by a reload" 200 "*"
	else
		fail "$engine: :81 not listening after reload: $(tail -3 "$WORK/gateway.log")"
	fi
	caps_ok "$engine: after the reload" "$want"
	stop_gateway
done

# As the systemd unit runs it (DynamicUser, AmbientCapabilities,
# CapabilityBoundingSet, NoNewPrivileges), emulated with setpriv.
unit_caps=$(sed -n 's/^AmbientCapabilities=//p' "$REPO_DIR/config/deploy/splicegate.service" |
	tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
check "the unit's capabilities" "$unit_caps" "+net_bind_service,+bpf,+net_admin,+perfmon"
check "the unit's bounding set is its ambient set" \
	"$(sed -n 's/^CapabilityBoundingSet=//p' "$REPO_DIR/config/deploy/splicegate.service")" \
	"$(sed -n 's/^AmbientCapabilities=//p' "$REPO_DIR/config/deploy/splicegate.service")"
unit_bnd=000000c000001400 # CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_PERFMON, CAP_BPF
cat >"$WORK/as-unit.sh" <<SH
#!/bin/sh
exec setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \\
	--bounding-set=-all,$unit_caps --inh-caps=$unit_caps --ambient-caps=$unit_caps \\
	"$SG_BIN" "\$@"
SH
chmod 755 "$WORK/as-unit.sh" "$WORK" "$WORK/cfg"
real_bin=$SG_BIN
for engine in $(engines); do
	want=$(want_caps "$engine")
	write_cfg
	chmod 644 "$WORK/cfg/main.yaml"
	SG_BIN=$WORK/as-unit.sh
	start_engine "$engine" -p 8080 -c "$WORK/cfg" --workers 2 || {
		SG_BIN=$real_bin
		fail "$engine as the unit: gateway did not start"
		continue
	}
	SG_BIN=$real_bin
	check "$engine as the unit: runs as user 65534" \
		"$(awk '/^Uid:/ { print $2, $3 }' "/proc/$GW_PID/status")" "65534 65534"
	caps_ok "$engine as the unit: after start" "$want" "$unit_bnd"
	write_cfg 81
	kill -HUP "$GW_PID"
	if wait_port 81 5; then
		hcall "http://127.0.0.1:81/status/200?port=81"
		expect "$engine as the unit: listener on :81 added by a reload" 200 "*"
	else
		fail "$engine as the unit: :81 not listening: $(tail -3 "$WORK/gateway.log")"
	fi
	caps_ok "$engine as the unit: after the reload" "$want" "$unit_bnd"
	stop_gateway
done
finish
