# Clients that read the first 4 MiB of a 256 MiB response and then stop
# reading (issue 63, finding 6; docs/internals.md, "Socket buffers"). In
# every engine:
# - `--backend-rcvbuf 768k --client-notsent-lowat 256k`: 120 such clients,
#   each one's bytes queued in the gateway's two sockets under 1,280 KiB
#   and all of them together at most 150 MiB; the backend sockets' rb reads
#   back 768 KiB;
# - `--client-sndbuf 256k --backend-rcvbuf 256k`: tb and rb read back, and
#   the same bounds;
# - the defaults, the kernel's autotuning: 8 clients, each pinning more
#   than those bounds (about 11 MB each when this was found).
# The host's TCP memory (/proc/net/sockstat) is printed beside it: it also
# counts the clients' receive queues and the backend's send queues, which
# are on this host only because the test runs them here, and which no
# setting of the gateway's bounds.
. "$(dirname "$0")/lib.sh"

N=${STALL_N:-120}
SIZE=$((256 << 20))
READ=$((4 << 20))
BOUND=$((1280 << 10))
start_backend big
BP=$BACKEND_PORT
cat >"$WORK/gw.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - routes:
    - backends:
      - host: 127.0.0.1:$BP
YAML

tcp_pages() {
	awk '/^TCP:/ { print $NF }' /proc/net/sockstat
}
# skmem FILTER: the established sockets ss's FILTER selects, a line each:
# rmem_alloc + wmem_queued, rb (the receive buffer), tb (the send buffer).
skmem() {
	ss -tmnH state established "$1" | tr -d '\n' | grep -o 'skmem:([^)]*)' |
		awk -F'[(),]' '{ q = 0; for (i = 2; i <= NF; i++) {
			if ($i ~ /^r[0-9]/ || $i ~ /^w[0-9]/) q += substr($i, 2)
			if ($i ~ /^rb/) rb = substr($i, 3); if ($i ~ /^tb/) tb = substr($i, 3) }
			print q, rb, tb }'
}

# stall WHAT N ARGS...: a gateway on ARGS (after the engine's), N clients
# stalled through it; $WORK/front and $WORK/back hold its sockets' skmem
# lines (toward the clients, from the backend) and PER the bytes queued in
# both per client. Returns 1 when the gateway or the clients did not get
# that far (failed already).
stall() {
	local what=$1 n=$2 before after last now line
	shift 2
	start_engine "$engine" -c "$WORK/gw.yaml" "$@" || return 1
	before=$(tcp_pages)
	coproc CL { /usr/bin/python3 "$E2E_DIR/stall_clients.py" 8080 "$n" "$SIZE" "$READ" 120; }
	read -r -t 90 line <&"${CL[0]}"
	if [ "$line" != "stalled $n" ]; then
		fail "$engine, $what: $n clients read their first 4 MiB: got '$line'"
		exec {CL[1]}>&-
		stop_gateway
		return 1
	fi
	pass "$engine, $what: $n clients read their first 4 MiB"
	# Until the host's TCP memory and the gateway's queues stay the same
	# for 0.5 s (bounded: 20 s). The host's alone is not enough: bytes
	# going from the gateway's send queues to the clients' receive queues
	# leave it unchanged, and on a busy machine they still go.
	last=-1
	for _ in $(seq 40); do
		skmem 'sport = :8080' >"$WORK/front"
		skmem "dport = :$BP and not sport = :$BP" >"$WORK/back"
		now="$(tcp_pages) $(awk '{ s += $1 } END { print s + 0 }' "$WORK/front" "$WORK/back")"
		[ "$now" = "$last" ] && break
		last=$now
		sleep 0.5
	done
	after=$(tcp_pages)
	FRONT=$(awk '{ s += $1 } END { print s + 0 }' "$WORK/front")
	BACK=$(awk '{ s += $1 } END { print s + 0 }' "$WORK/back")
	PER=$(((FRONT + BACK) / n))
	echo "   $what: gateway sockets toward clients $((FRONT >> 10)) KiB, from the backend" \
		"$((BACK >> 10)) KiB; $((PER >> 10)) KiB per client; host TCP" \
		"+$(((after - before) * 4 / 1024)) MiB"
	exec {CL[1]}>&-
	wait "$CL_PID" 2>/dev/null
	stop_gateway
}

# bounded WHAT: the bounds on what `stall` found.
bounded() {
	local all_mib=$(((FRONT + BACK) >> 20))
	[ "$PER" -le "$BOUND" ] &&
		pass "$engine, $1: a stalled client holds $((PER >> 10)) KiB in the gateway's sockets (bound 1,280 KiB)" ||
		fail "$engine, $1: a stalled client holds $((PER >> 10)) KiB in the gateway's sockets (bound 1,280 KiB)"
	[ "$all_mib" -le 150 ] &&
		pass "$engine, $1: $N stalled clients hold $all_mib MiB in the gateway's sockets (bound 150)" ||
		fail "$engine, $1: $N stalled clients hold $all_mib MiB in the gateway's sockets (bound 150)"
}

for engine in $(engines); do
	echo "-- engine $engine"
	if stall "768k, lowat 256k" "$N" --backend-rcvbuf 768k --client-notsent-lowat 256k; then
		check "$engine, 768k, lowat 256k: every backend socket's receive buffer is 768 KiB (rb)" \
			"$(awk '{ print $2 }' "$WORK/back" | sort -u) $(wc -l <"$WORK/back")" \
			"$((768 << 10)) $N"
		bounded "768k, lowat 256k"
	fi
	if stall "256k each" "$N" --client-sndbuf 256k --backend-rcvbuf 256k; then
		check "$engine, 256k each: every client socket's send buffer is 256 KiB (tb)" \
			"$(awk '{ print $3 }' "$WORK/front" | sort -u) $(wc -l <"$WORK/front")" \
			"$((256 << 10)) $N"
		check "$engine, 256k each: every backend socket's receive buffer is 256 KiB (rb)" \
			"$(awk '{ print $2 }' "$WORK/back" | sort -u) $(wc -l <"$WORK/back")" \
			"$((256 << 10)) $N"
		bounded "256k each"
	fi
	if stall autotuned 8; then
		[ "$PER" -gt "$BOUND" ] &&
			pass "$engine, autotuned: a stalled client holds $((PER >> 10)) KiB, over the bound the settings keep" ||
			fail "$engine, autotuned: a stalled client holds $((PER >> 10)) KiB: the defaults are not autotuned, or this test no longer stalls a fast reader"
	fi
done
san_check
finish
