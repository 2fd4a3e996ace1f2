# Clients that stop reading a large response pin little kernel memory in
# the gateway: N clients each read the first 8 MiB of a 256 MiB body at
# full speed, then stop. Before, the sockets on their way kept what
# autotuning grew them to while the body flowed (about 11 MB a client:
# the backend socket's receive buffer and the client socket's send
# buffer); now a relay caps both once its body proves bulk or its reader
# slow (relay.c, cap_buffers). The gateway's sockets' memory (ss -tm:
# received bytes held and writes queued, summed over the sockets the
# gateway's process holds) must stay under 1.25 MB a stalled client, in
# the copy and the splice engines, and a client that reads on gets its
# whole body. N is 20 here (make test runs beside other scenarios);
# STALLED_CLIENTS=120 is the run docs/internals.md quotes, which also
# prints the host's TCP memory (/proc/net/sockstat) before and after.
. "$(dirname "$0")/lib.sh"

N=${STALLED_CLIENTS:-20}
FIRST=$((8 << 20))
SIZE=$((256 << 20))
start_backend v1
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML

# gateway_mem: bytes of kernel memory charged to the gateway's sockets.
gateway_mem() {
	ss -tmnpH state established 2>/dev/null | awk -v pid="pid=$GW_PID," '
		index($0, pid) { pick = 1; next_line = 1 }
		{ if (match($0, /skmem:\([^)]*\)/)) {
			if (pick) {
				m = substr($0, RSTART + 6, RLENGTH - 7); n = split(m, f, ",")
				for (i = 1; i <= n; i++) {
					k = f[i]; gsub(/[0-9]+/, "", k); v = f[i]; gsub(/[^0-9]/, "", v)
					if (k == "r" || k == "w") sum += v
				}
			}
			pick = 0 } }
		END { printf "%.0f\n", sum }'
}

for engine in copy splice; do
	start_engine "$engine" -c "$WORK/cfg.yaml" || finish
	base=$(gateway_mem)
	pages0=$(awk '/^TCP:/ { for (i = 1; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat)
	coproc STALL { /usr/bin/python3 "$REPO_DIR/tests/e2e/stalled_clients.py" 127.0.0.1 8080 \
		"/x?size=$SIZE" "$N" "$FIRST" 60 2>&1; }
	read -r -t 90 line <&"${STALL[0]}"
	check "$engine: $N clients read 8 MiB each, then stop" "$line" "stalled $N"
	# Let the buffers fill as far as they will: the sum stops moving.
	prev=-1 mem=0
	for _ in $(seq 20); do
		sleep 0.5
		mem=$(gateway_mem)
		[ "$mem" = "$prev" ] && break
		prev=$mem
	done
	per=$(((mem - base) / N))
	pages=$(awk '/^TCP:/ { for (i = 1; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat)
	echo "  $engine: $((mem - base)) bytes in the gateway's sockets, $per per stalled client;" \
		"the host's TCP memory $((pages0 * 4096)) -> $((pages * 4096)) bytes"
	[ "$per" -le $((1250 * 1000)) ] && pass "$engine: at most 1.25 MB a stalled client ($per bytes)" ||
		fail "$engine: $per bytes a stalled client (over 1.25 MB)"
	echo >&"${STALL[1]}"
	wait "$STALL_PID"
	out=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:8080/x?size=$((64 << 20))")
	check "$engine: a client that reads gets its whole body" "$out" "200 $((64 << 20))"
	stop_gateway
done
finish
