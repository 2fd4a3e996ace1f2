# Out of file descriptors (ulimit -n 64): new connections wait in the
# accept queue instead of spinning the worker, a connection opened before
# keeps working, and the gateway recovers once clients go away.
. "$(dirname "$0")/lib.sh"

start_backend fd
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
start_gateway -c "$WORK/cfg.yaml" --workers 1 --access-log off || exit 1
prlimit --pid "$GW_PID" --nofile=64:64 || { fail "prlimit"; finish; }

cpu() { awk '{ print $14 + $15 }' "/proc/$GW_PID/stat"; }

/usr/bin/python3 - "$WORK/result" <<'PY' &
import socket, sys, time
keep = socket.create_connection(("127.0.0.1", 8080))
def get(s):
    s.sendall(b"GET /k HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    while len(body) < n:
        body += s.recv(65536)
    return head.split(b" ")[1]
first = get(keep)
idle = [socket.create_connection(("127.0.0.1", 8080)) for _ in range(80)]
time.sleep(2.5)            # the test samples the gateway's CPU meanwhile
during = get(keep)
for s in idle:
    s.close()
time.sleep(0.5)
s = socket.create_connection(("127.0.0.1", 8080)); s.settimeout(5)
after = get(s)
open(sys.argv[1], "w").write(f"{first.decode()} {during.decode()} {after.decode()}\n")
PY
client=$!
sleep 1
c0=$(cpu)
sleep 1
c1=$(cpu)
wait "$client"
read -r first during after <"$WORK/result"
[ "$first" = 200 ] && [ "$during" = 200 ] &&
	pass "an existing connection keeps working while fds are exhausted" ||
	fail "existing connection: $first $during"
ticks=$((c1 - c0))
[ "$ticks" -lt 30 ] && pass "no busy loop while out of fds (${ticks} CPU ticks in 1 s)" ||
	fail "worker spins: $ticks ticks in 1 s"
[ "$after" = 200 ] && pass "new connections served again after clients leave" ||
	fail "after: $after"
grep -q "pausing new connections" "$WORK/gateway.log" && pass "exhaustion logged" ||
	fail "no log line"
finish
