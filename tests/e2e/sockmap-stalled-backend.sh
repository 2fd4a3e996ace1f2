# A backend that stops reading for 10 s while 4 clients upload 256 MiB each
# through --splice sockmap: the kernel does not buffer the uploads (the
# verdict passes above the backlog bound, spliced sockets have a fixed
# receive buffer, and the TCP windows close), so memory grows by a few MB
# per connection at most, and every upload completes byte-identical once the
# backend reads again. Memory is TCP's own page count (/proc/net/sockstat,
# host-wide) because MemAvailable moves with everything else on a busy
# host; both are printed.
. "$(dirname "$0")/lib.sh"

N=4
SIZE=$((256 << 20))
BP=$(free_port)
/usr/bin/python3 "$E2E_DIR/stall_backend.py" "$BP" 10 >"$WORK/backend.out" 2>&1 &
PIDS+=("$!")
wait_port "$BP" 10 || { fail "stall backend did not start"; finish; }
cat >"$WORK/gw.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: all
      backends:
      - host: 127.0.0.1:$BP
YAML
pattern "$SIZE" >"$WORK/up.bin"
SHA=$(sha256_of <"$WORK/up.bin")

mem_kb() {
	awk '/^MemAvailable:/ {print $2}' /proc/meminfo
}
tcp_mem_kb() {
	awk '/^TCP:/ {print $NF * 4}' /proc/net/sockstat
}

if start_engine sockmap -c "$WORK/gw.yaml"; then
	before=$(mem_kb)
	tcp_before=$(tcp_mem_kb)
	cpids=()
	for i in $(seq $N); do
		curl -s --max-time 60 -o "$WORK/out.$i" -X POST -T "$WORK/up.bin" \
			http://127.0.0.1:8080/upload &
		cpids+=("$!")
	done
	sleep 6 # the backend reads nothing for 10 s
	during=$(mem_kb)
	tcp_during=$(tcp_mem_kb)
	per=$(((tcp_during - tcp_before) / 1024 / N))
	echo "  while $N uploads were stalled: TCP memory +$(((tcp_during - tcp_before) / 1024)) MB," \
		"MemAvailable -$(((before - during) / 1024)) MB"
	[ "$per" -le 16 ] && pass "stalled backend: at most 16 MB of socket memory per connection ($per MB)" ||
		fail "stalled backend: $per MB of socket memory per connection"
	for p in "${cpids[@]}"; do
		wait "$p"
	done
	good=0
	for i in $(seq $N); do
		[ "$(jq -r '"\(.bytes) \(.sha256)"' "$WORK/out.$i" 2>/dev/null)" = "$SIZE $SHA" ] &&
			good=$((good + 1))
	done
	[ "$good" = "$N" ] && pass "all $N uploads complete and byte-identical after the stall" ||
		fail "$good of $N uploads intact: $(cat "$WORK"/out.* | head -c 300)"
	stop_gateway
else
	fail "gateway (sockmap) did not start"
fi
finish
