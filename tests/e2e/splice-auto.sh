# --splice auto (the default): with BPF, HTTP bodies both ways and bulk tunnels move through the copy engine, nothing through splice(2), bulk bodies side by side included, unless the worker was saturated (then bodies of 1 MiB and more may be spliced, which the debug log says; tests/e2e/splice-saturated.sh makes it so), and a tunnel whose traffic turns interactive (small messages answered in turn) moves into the kernel (sockmap), as /metrics' body bytes by engine show; without BPF (an unprivileged gateway) it says so once in the log and no tunnel moves.
. "$(dirname "$0")/lib.sh"

# tunnel.py oneway PORT SIZE: sends SIZE bytes to the counting backend,
# half-closes, prints the count it answers.
# tunnel.py pingpong PORT N SIZE: N round trips of 64 B through the echo
# backend, then SIZE bytes echoed on the same connection; prints the bytes
# received (N * 64 + SIZE), or what was wrong. SIZE 0: the round trips
# alone.
cat >"$WORK/tunnel.py" <<'PY'
import socket, sys, threading
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def recv_exact(n):
    got = b""
    while len(got) < n:
        d = s.recv(n - len(got))
        if not d:
            break
        got += d
    return got
if mode == "oneway":
    s.sendall(b"x" * int(sys.argv[3]))
    s.shutdown(socket.SHUT_WR)
    print(recv_exact(64).decode())
    sys.exit(0)
n, size, total = int(sys.argv[3]), int(sys.argv[4]), 0
for i in range(n):
    msg = bytes([65 + i % 26]) * 64
    s.sendall(msg)
    got = recv_exact(64)
    if got != msg:
        print("round trip %d: got %r" % (i, got[:16]))
        sys.exit(1)
    total += len(got)
if size == 0:
    print(total)
    sys.exit(0)
data = bytes(range(256)) * (size // 256)
t = threading.Thread(target=s.sendall, args=(data,))
t.start()
got = recv_exact(len(data))
t.join()
if got != data:
    print("bulk: %d of %d bytes, equal: %s" % (len(got), len(data), got == data[:len(got)]))
    sys.exit(1)
print(total + len(got))
PY

# held.py up PORT SIZE GATE: uploads SIZE bytes of a known pattern with
# Host: hold.test, pausing after the first MiB until the file GATE exists
# (20 s at most); prints the byte count the backend answers and whether
# its SHA-256 is the pattern's.
# held.py down PORT SIZE GATE READY: downloads SIZE bytes, creating the
# file READY once the first MiB of the body is in and reading no more
# until GATE exists; prints the body's length.
cat >"$WORK/held.py" <<'PY'
import hashlib, json, os, socket, sys, time
mode, port, size, gate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
MIB = 1 << 20
s = socket.create_connection(("127.0.0.1", port), timeout=30)
def wait_gate():
    deadline = time.monotonic() + 20
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.02)
def read_all(got=b""):
    got = bytearray(got)  # appended in place: bytes += would copy it all each time
    while True:
        d = s.recv(MIB)
        if not d:
            return bytes(got)
        got += d
if mode == "up":
    body = bytes(range(256)) * (size // 256)
    s.sendall(b"POST /upload HTTP/1.1\r\nHost: hold.test\r\nContent-Length: %d\r\n"
              b"Connection: close\r\n\r\n" % len(body))
    s.sendall(body[:MIB])
    wait_gate()
    s.sendall(body[MIB:])
    got = read_all()
    try:
        d = json.loads(got.partition(b"\r\n\r\n")[2])
        print(d["bytes"], d["sha256"] == hashlib.sha256(body).hexdigest())
    except ValueError:
        print("answer: %r" % got[:120])
    sys.exit(0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.sendall(b"GET /get?size=%d HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n" % size)
got = b""
while len(got.partition(b"\r\n\r\n")[2]) < MIB:
    d = s.recv(65536)
    if not d:
        break
    got += d
open(sys.argv[5], "w").close()
wait_gate()
print(len(read_all(got).partition(b"\r\n\r\n")[2]))
PY

E=$(free_port)
C=$(free_port)
TP=$(free_port)
TC=$(free_port)
/usr/bin/python3 "$E2E_DIR/echo_server.py" "$E" &
PIDS+=("$!")
/usr/bin/python3 "$E2E_DIR/echo_server.py" "$C" --count &
PIDS+=("$!")
start_backend hold || { fail "backend did not start"; finish; }
HOLD_PORT=$BACKEND_PORT
start_backend web || { fail "backend did not start"; finish; }
wait_port "$E" 10 && wait_port "$C" 10 || { fail "echo backends did not start"; finish; }
chmod 755 "$WORK"
cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: hold
      hostnames: [hold.test]
      backends:
      - host: 127.0.0.1:$HOLD_PORT
    - name: web
      backends:
      - host: 127.0.0.1:$BACKEND_PORT
- port: $TP
  listeners:
  - name: tcp
    protocol: TCP
    tcpRoutes:
    - name: echo
      backends:
      - host: 127.0.0.1:$E
- port: $TC
  listeners:
  - name: count
    protocol: TCP
    tcpRoutes:
    - name: count
      backends:
      - host: 127.0.0.1:$C
YAML
chmod 644 "$WORK/config.yaml"

# unsaturated LOG N: N, or 0 once the gateway logging to LOG said its
# worker was saturated: HTTP bodies of 1 MiB and more are then spliced
# (user/relay/relay.h, `adapt`), so the bytes spliced while copying was
# expected are N where they must be 0.
# gateway_sleeps: the gateway's voluntary context switches so far, all
# threads (each a sleep it was woken from).
gateway_sleeps() {
	cat /proc/"$GW_PID"/task/*/status | awk '$1 == "voluntary_ctxt_switches:" { n += $2 } END { print n }'
}

unsaturated() {
	if grep -q 'event loop saturated' "$1"; then echo 0; else echo "$2"; fi
}

# The traffic: a 1 MiB download; 8 MiB one way through a TCP route; 100
# round trips of 64 B through another, then 4 MiB each way on that same
# connection.
PINGS=100
BULK=$((4 << 20))
ONEWAY=$((8 << 20))
PING_BYTES=$((PINGS * 128 + 2 * BULK))
traffic() {
	local size
	size=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:8080/get?size=1048576")
	check "$1: 1 MiB download" "$size" 1048576
	check "$1: 8 MiB one way through a TCP route" \
		"$(/usr/bin/python3 "$WORK/tunnel.py" oneway "$TC" "$ONEWAY")" "$ONEWAY"
	check "$1: ping-pong, then 4 MiB each way on the same tunnel" \
		"$(/usr/bin/python3 "$WORK/tunnel.py" pingpong "$TP" "$PINGS" "$BULK")" $((PING_BYTES / 2))
}

if start_gateway -c "$WORK" --workers 1 --log-level debug && wait_port 8080 5 && wait_port "$TP" 5 && wait_port "$TC" 5; then
	traffic "auto with BPF"
	# Metrics count a tunnel's bytes when it ends; the client has gone.
	for _ in $(seq 50); do
		[ "$(($(body_bytes splice) + $(body_bytes copy) + $(body_bytes sockmap)))" -ge \
			$((1048576 + ONEWAY + 7 + PING_BYTES)) ] && break
		sleep 0.1
	done
	spliced=$(body_bytes splice)
	copied=$(body_bytes copy)
	kernel=$(body_bytes sockmap)
	check "auto with BPF: every byte counted once" "$((spliced + copied + kernel))" \
		$((1048576 + ONEWAY + 7 + PING_BYTES))
	# The first round trips are copied (a few hundred bytes); the rest of
	# the interactive tunnel, its bulk part too, goes through the kernel.
	if [ "$kernel" -ge $((PING_BYTES - 1000)) ] && [ "$kernel" -le "$PING_BYTES" ]; then
		pass "auto with BPF: the interactive tunnel moved into the kernel ($kernel of $PING_BYTES bytes)"
	else
		fail "auto with BPF: the interactive tunnel moved $kernel of its $PING_BYTES bytes through the kernel"
	fi
	# A tunnel the kernel carries does not wake the gateway: its worker
	# watches those sockets for EOF alone (user/relay/relay.h,
	# sg_pump_kernel_carries), where each redirected message used to wake
	# it (1.5 sleeps a round trip, scripts/BENCH.md).
	sleeps=$(gateway_sleeps)
	check "auto with BPF: 2000 round trips on a new tunnel" \
		"$(/usr/bin/python3 "$WORK/tunnel.py" pingpong "$TP" 2000 0)" 128000
	sleeps=$(($(gateway_sleeps) - sleeps))
	if [ "$sleeps" -lt 400 ]; then
		pass "auto with BPF: the gateway slept $sleeps times over 2000 round trips in the kernel"
	else
		fail "auto with BPF: the gateway slept $sleeps times over 2000 round trips (woken by the kernel's redirects)"
	fi
	check "auto with BPF: nothing through splice(2)" "$(unsaturated "$WORK/gateway.log" "$spliced")" 0
	check "auto with BPF: the download and the one-way tunnel copied, with the first round trips" \
		"$((copied + spliced - (PING_BYTES - kernel)))" $((1048576 + ONEWAY + 7))
	check "auto with BPF: the log says which engine does what" \
		"$(grep -c 'copy engine for response bodies, copy for request bodies (splice while saturated), copy for tunnels (splice while saturated, sockmap once interactive)' "$WORK/gateway.log")" 1
	# A 4 MiB upload: the copy engine, every byte, the backend agreeing.
	copied=$(body_bytes copy)
	head -c $((4 << 20)) /dev/urandom >"$WORK/up.bin"
	spliced=$(body_bytes splice)
	curl -s -H 'Expect:' --data-binary @"$WORK/up.bin" -o "$WORK/up.json" \
		http://127.0.0.1:8080/upload
	check "auto with BPF: a 4 MiB upload arrives whole" \
		"$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["bytes"], d["sha256"])' \
			"$WORK/up.json")" "$((4 << 20)) $(sha256sum "$WORK/up.bin" | cut -d' ' -f1)"
	check "auto with BPF: the upload (and its small answer) went through the copy engine" \
		"$(($(body_bytes copy) - copied + $(body_bytes splice) - spliced)) $(unsaturated "$WORK/gateway.log" $(($(body_bytes splice) - spliced)))" \
		"$(($(stat -c %s "$WORK/up.json") + (4 << 20))) 0"
	# Two uploads at once: both copied (scripts/BENCH.md, "Crowds copied
	# again"). The held upload is known to be moving once the gateway has
	# sent its backend (whose only connection it is) its first MiB.
	copied=$(body_bytes copy)
	spliced=$(body_bytes splice)
	/usr/bin/python3 "$WORK/held.py" up 8080 $((4 << 20)) "$WORK/gate" >"$WORK/held.out" &
	held=$!
	PIDS+=("$held")
	for _ in $(seq 200); do
		sent=$(ss -tni state established "( dport = :$HOLD_PORT )" |
			grep -o 'bytes_sent:[0-9]*' | cut -d: -f2 | sort -n | tail -1)
		[ "${sent:-0}" -ge $((1 << 20)) ] && break
		sleep 0.05
	done
	if [ "${sent:-0}" -ge $((1 << 20)) ]; then
		pass "auto with BPF: the held upload's first MiB reached its backend"
	else
		fail "auto with BPF: the held upload's first MiB did not reach its backend (${sent:-0} bytes)"
	fi
	curl -s -H 'Expect:' --data-binary @"$WORK/up.bin" -o "$WORK/up2.json" \
		http://127.0.0.1:8080/upload
	check "auto with BPF: an upload alongside the held one was copied, whole" \
		"$(unsaturated "$WORK/gateway.log" $(($(body_bytes splice) - spliced))) $(($(body_bytes copy) - copied + $(body_bytes splice) - spliced >= (4 << 20))) $(jq -r .bytes "$WORK/up2.json")" \
		"0 1 $((4 << 20))"
	touch "$WORK/gate"
	wait "$held"
	check "auto with BPF: the held upload arrives whole" "$(cat "$WORK/held.out")" "$((4 << 20)) True"
	# Two downloads at once, the same: a 64 MiB one held by its client
	# after its first MiB (the gateway's copy waits on a full socket), and
	# a 4 MiB one alongside.
	spliced=$(body_bytes splice)
	copied=$(body_bytes copy)
	/usr/bin/python3 "$WORK/held.py" down 8080 $((64 << 20)) "$WORK/gate2" "$WORK/ready" \
		>"$WORK/held_get.out" &
	held=$!
	PIDS+=("$held")
	for _ in $(seq 200); do
		[ -e "$WORK/ready" ] && break
		sleep 0.05
	done
	size=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:8080/get?size=$((4 << 20))")
	small=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:8080/get?size=$((512 << 10))")
	check "auto with BPF: a 4 MiB and a 512 KiB download alongside the held one were copied" \
		"$(unsaturated "$WORK/gateway.log" $(($(body_bytes splice) - spliced))) $(($(body_bytes copy) - copied + $(body_bytes splice) - spliced >= (4 << 20) + (512 << 10))) $size $small" \
		"0 1 $((4 << 20)) $((512 << 10))"
	touch "$WORK/gate2"
	wait "$held"
	check "auto with BPF: the held download arrives whole" "$(cat "$WORK/held_get.out")" $((64 << 20))
	stop_gateway
else
	fail "gateway (auto) did not start"
fi

# Unprivileged: no BPF, so no tunnel moves into the kernel, said once.
wait_ports_free 15000 8080 "$TP"
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$SG_BIN" -c "$WORK" --log-level debug --drain-delay 0 >"$WORK/unpriv.log" 2>&1 &
GW_PID=$!
PIDS+=("$GW_PID")
if wait_http http://127.0.0.1:15000/config_dump 10 && wait_port "$TP" 5 && wait_port "$TC" 5; then
	traffic "auto without BPF"
	for _ in $(seq 50); do
		[ "$(($(body_bytes splice) + $(body_bytes copy)))" -ge $((1048576 + ONEWAY + 7 + PING_BYTES)) ] &&
			break
		sleep 0.1
	done
	check "auto without BPF: nothing through the kernel" "$(body_bytes sockmap)" 0
	check "auto without BPF: the download and the tunnels copied, nothing through splice(2)" \
		"$(unsaturated "$WORK/unpriv.log" "$(body_bytes splice)") $(($(body_bytes splice) + $(body_bytes copy)))" \
		"0 $((1048576 + ONEWAY + 7 + PING_BYTES))"
	check "auto without BPF: said once" \
		"$(grep -c 'BPF sockmap not available' "$WORK/unpriv.log")" 1
	stop_gateway
else
	fail "unprivileged gateway did not start:"
	cat "$WORK/unpriv.log"
fi
finish
