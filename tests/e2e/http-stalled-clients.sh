# 120 clients that read the first 4 MiB of a 256 MiB response and then stop
# reading, through a gateway started with fixed socket buffers
# (--client-sndbuf 256k --backend-rcvbuf 256k, docs/internals.md "Socket
# buffers"): the sizes read back from the gateway's sockets (ss -m: tb
# toward clients, rb from the backend), each stalled client's bytes queued
# in the gateway's two sockets under 1,280 KiB, and all of them together
# at most 150 MiB, in every engine. Autotuned (no flags), the same clients
# pin about 11 MB each (issue 63, finding 6). The host's TCP memory
# (/proc/net/sockstat) is printed beside it: it also counts the clients'
# receive queues and the backend's send queues, which are on this host only
# because the test runs them here, and which no setting of the gateway's
# bounds.
. "$(dirname "$0")/lib.sh"

N=${STALL_N:-120}
SIZE=$((256 << 20))
READ=$((4 << 20))
BUF=$((256 << 10))
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

for engine in $(engines); do
	echo "-- engine $engine"
	start_engine "$engine" -c "$WORK/gw.yaml" --client-sndbuf 256k --backend-rcvbuf 256k || continue
	before=$(tcp_pages)
	coproc CL { /usr/bin/python3 "$E2E_DIR/stall_clients.py" 8080 "$N" "$SIZE" "$READ" 120; }
	read -r -t 90 line <&"${CL[0]}"
	check "$engine: $N clients read their first 4 MiB" "$line" "stalled $N"
	# Until the queues stop growing (bounded: 20 s).
	last=-1
	for _ in $(seq 40); do
		now=$(tcp_pages)
		[ "$now" = "$last" ] && break
		last=$now
		sleep 0.5
	done
	after=$(tcp_pages)
	skmem 'sport = :8080' >"$WORK/front"
	skmem "dport = :$BP and not sport = :$BP" >"$WORK/back"
	check "$engine: every client socket's send buffer is 256 KiB (tb)" \
		"$(awk '{ print $3 }' "$WORK/front" | sort -u) $(wc -l <"$WORK/front")" "$BUF $N"
	check "$engine: every backend socket's receive buffer is 256 KiB (rb)" \
		"$(awk '{ print $2 }' "$WORK/back" | sort -u) $(wc -l <"$WORK/back")" "$BUF $N"
	front=$(awk '{ s += $1 } END { print s + 0 }' "$WORK/front")
	back=$(awk '{ s += $1 } END { print s + 0 }' "$WORK/back")
	per=$(((front + back) / N))
	host_mib=$(((after - before) * 4 / 1024))
	echo "   gateway sockets: toward clients $((front >> 10)) KiB, from the backend $((back >> 10)) KiB; $((per >> 10)) KiB per client; host TCP +$host_mib MiB"
	[ "$per" -le $((1280 << 10)) ] &&
		pass "$engine: a stalled client holds $((per >> 10)) KiB in the gateway's sockets (bound 1,280 KiB)" ||
		fail "$engine: a stalled client holds $((per >> 10)) KiB in the gateway's sockets (bound 1,280 KiB)"
	all_mib=$(((front + back) >> 20))
	[ "$all_mib" -le 150 ] &&
		pass "$engine: $N stalled clients hold $all_mib MiB in the gateway's sockets (bound 150)" ||
		fail "$engine: $N stalled clients hold $all_mib MiB in the gateway's sockets (bound 150)"
	exec {CL[1]}>&-
	wait "$CL_PID" 2>/dev/null
	stop_gateway
done
san_check
finish
