# --splice auto on a gateway held to a fortieth of a CPU by a cgroup's CPU quota (as `make bench` holds its -qP rows): its worker is saturated and says so in its debug log, and the bulk bodies it copies while it has time to spare go through splice(2) instead, which costs it less CPU per byte: four 32 MiB downloads at once arrive whole (sgbackend's pattern, byte for byte) and four 32 MiB uploads at once too (the backend's SHA-256), and four 32 MiB downloads through a TCP route (a tunnel, relayed the same way until it would move into the socket map), at least a quarter of each one's bytes spliced by /metrics (typically 60-85 %: the first 50-100 ms, until a whole window of the worker's shows it saturated, are copied, and whenever the Python backend is the slower one the worker waits and copies), most downloads' access log lines saying engine=splice. With the quota lifted the worker remembers the hold (for a minute) and splices the next 4 MiB download too.
# e2e: alone (it reads its worker's CPU saturation: a neighbour scenario's load, or its slower backend, would be read as the worker's)
. "$(dirname "$0")/lib.sh"

# The worker's CPU quota: a cgroup v1 cpu group, or v2 cpu.max.
CG=""
cg_hold() {
	if [ -w /sys/fs/cgroup/cpu/cgroup.procs ]; then
		CG=/sys/fs/cgroup/cpu/splicegate-e2e-$$
		mkdir "$CG" && echo 40000 >"$CG/cpu.cfs_period_us" && echo 1000 >"$CG/cpu.cfs_quota_us"
	elif grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		CG=/sys/fs/cgroup/splicegate-e2e-$$
		echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
		mkdir "$CG" && echo "1000 40000" >"$CG/cpu.max"
	else
		return 1
	fi && echo "$1" >"$CG/cgroup.procs"
}
cg_lift() {
	if [ -f "$CG/cpu.cfs_quota_us" ]; then
		echo -1 >"$CG/cpu.cfs_quota_us"
	else
		echo "max 40000" >"$CG/cpu.max"
	fi
}
cg_remove() {
	[ -n "$CG" ] && [ -d "$CG" ] || return 0
	cg_lift
	# the gateway's threads go back to the root group first
	for pid in $(cat "$CG/cgroup.procs"); do
		echo "$pid" >"$(dirname "$CG")/cgroup.procs"
	done
	rmdir "$CG"
}

start_backend web || { fail "backend did not start"; finish; }
one_route_config web
# A TCP route to the same backend: HTTP through a tunnel, as bytes.
TP=$(free_port)
cat >>"$WORK/config.yaml" <<YAML
- port: $TP
  listeners:
  - name: tcp
    protocol: TCP
    tcpRoutes:
    - name: web-tcp
      backends:
      - host: 127.0.0.1:$BACKEND_PORT
YAML

# spliced_quarter WHAT BEFORE: at least a quarter of WHAT's 128 MiB went
# through splice(2) since the splice count was BEFORE.
spliced_quarter() {
	local n=$(($(body_bytes splice) - $2))
	if [ "$n" -ge $((32 << 20)) ]; then
		pass "held: a good part of the $1 went through splice(2) ($n of $((128 << 20)) bytes)"
	else
		fail "held: only $n of the $1' $((128 << 20)) bytes went through splice(2)"
	fi
}

# download.py N SIZE [PORT]: N downloads of SIZE bytes at once, through
# the HTTP listener, or with PORT through that TCP route (the request
# written by hand, the response read to its EOF: Connection: close); for
# each, the body's length and whether every byte is sgbackend's pattern
# (byte i is i % 251).
cat >"$WORK/download.py" <<'PY'
import socket, sys, threading, urllib.request
n, size = int(sys.argv[1]), int(sys.argv[2])
port = int(sys.argv[3]) if len(sys.argv) > 3 else None
want = bytes(range(251)) * (size // 251 + 1)
out = [None] * n
def body_of(size):
    if port is None:
        with urllib.request.urlopen("http://127.0.0.1:8080/get?size=%d" % size, timeout=60) as r:
            return r.read()
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.sendall(b"GET /get?size=%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % size)
    got = bytearray()
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        got += d
    return bytes(got[got.find(b"\r\n\r\n") + 4:])
def get(i):
    try:
        body = body_of(size)
        out[i] = "%d %s" % (len(body), body == want[:size])
    except OSError as e:
        out[i] = str(e)
ts = [threading.Thread(target=get, args=(i,)) for i in range(n)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(" ".join(out))
PY
if ! start_gateway -c "$WORK" --workers 1 --log-level debug || ! wait_port 8080 5 ||
	! wait_port "$TP" 5; then
	fail "gateway did not start"
	finish
fi
if ! cg_hold "$GW_PID"; then
	fail "no cgroup CPU controller to hold the gateway with (v1 /sys/fs/cgroup/cpu or v2 cpu)"
	cg_remove
	finish
fi

# Four bodies at once each way keep the held worker busy whenever it runs.
spliced=$(body_bytes splice)
check "held: four 32 MiB downloads at once arrive whole" \
	"$(/usr/bin/python3 "$WORK/download.py" 4 $((32 << 20)))" \
	"$(printf '%d True %d True %d True %d True' $((32 << 20)) $((32 << 20)) $((32 << 20)) $((32 << 20)))"
spliced_quarter downloads "$spliced"
check "held: the access log says engine=splice for most of them" \
	"$(grep -c 'http.path=/get?size=33554432 .*engine=splice' "$WORK/gateway.log" | awk '{ print ($1 >= 2) }')" 1

head -c $((32 << 20)) /dev/urandom >"$WORK/up.bin"
spliced=$(body_bytes splice)
for i in 1 2 3 4; do
	curl -s -H 'Expect:' --data-binary @"$WORK/up.bin" -o "$WORK/up$i.json" --max-time 60 \
		http://127.0.0.1:8080/upload &
	PIDS+=("$!")
	ups="${ups:-} $!"
done
for pid in $ups; do
	wait "$pid"
done
sum=$(sha256sum "$WORK/up.bin" | cut -d' ' -f1)
check "held: four 32 MiB uploads at once arrive whole" \
	"$(for i in 1 2 3 4; do jq -r '"\(.bytes) \(.sha256)"' "$WORK/up$i.json" 2>/dev/null; done | sort | uniq -c | awk '{ print $1, $2, $3 }')" \
	"4 $((32 << 20)) $sum"
spliced_quarter uploads "$spliced"

# A tunnel is relayed the same way until it moves into the socket map.
spliced=$(body_bytes splice)
check "held: four 32 MiB downloads at once through a TCP route arrive whole" \
	"$(/usr/bin/python3 "$WORK/download.py" 4 $((32 << 20)) "$TP")" \
	"$(printf '%d True %d True %d True %d True' $((32 << 20)) $((32 << 20)) $((32 << 20)) $((32 << 20)))"
# Metrics count a tunnel's bytes when it ends.
for _ in $(seq 50); do
	[ $(($(body_bytes splice) - spliced)) -ge $((32 << 20)) ] && break
	sleep 0.1
done
spliced_quarter "tunnels' downloads" "$spliced"
# The worker's verdicts: its event loop's debug lines (the main thread's
# loop, held by the same quota, judges itself too, but relays nothing).
verdicts() {
	grep -c "worker 0: event loop $1" "$WORK/gateway.log"
}
check "held: the log says the worker was saturated" \
	"$(verdicts saturated | awk '{ print ($1 >= 1) }')" 1

# Lifted: the worker has time to spare again, but a hold is the
# deployment's, not a burst's: it remembers it for a minute
# (SG_LOOP_HELD_MEMORY_MS; test_loop shows it forgetting), so its verdict
# stays "saturated", and it splices the next 4 MiB download too.
cg_lift
check "lifted: the worker's last verdict is still saturated" \
	"$(grep 'worker 0: event loop' "$WORK/gateway.log" | tail -1 | grep -c 'event loop saturated')" 1
held=$(verdicts saturated)
unheld=$(verdicts 'no longer saturated')
spliced=$(body_bytes splice)
copied=$(body_bytes copy)
check "lifted: a 4 MiB download arrives whole" \
	"$(/usr/bin/python3 "$WORK/download.py" 1 $((4 << 20)))" "$((4 << 20)) True"
# (Body bytes that came in the response head's read are copied with it.)
spliced=$(($(body_bytes splice) - spliced))
copied=$(($(body_bytes copy) - copied))
check "lifted: the hold remembered, it was spliced ($spliced spliced, $copied copied)" \
	"$((spliced + copied == 4 << 20 && copied < 65536))" 1
check "lifted: no window of the worker's since said it is saturated, or no longer" \
	"$(($(verdicts saturated) - held)) $(($(verdicts 'no longer saturated') - unheld))" "0 0"
stop_gateway
cg_remove
finish
