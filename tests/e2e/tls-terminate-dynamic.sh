# A TLS listener in mode Terminate whose TCP route's backend is `dynamic: {}`:
# the gateway does the handshake with its own certificate, then relays the
# plaintext to the handshake's SNI at the port the client connected to, as
# agentgateway's TCP proxy does for a terminated connection as for a
# passed-through one. A private /etc/hosts names dyn.term.test at ::1, where
# a plaintext echo listens on the gateway's own port (the gateway's socket
# is IPv4); a name that does not resolve has its connection closed after
# the handshake. In every engine. Until this, such a route was refused at
# load ("not implemented yet").
if [ -z "${SG_HOSTS_MOUNT_NS:-}" ]; then
	# A mount namespace of this scenario's own, for a private /etc/hosts.
	exec env SG_HOSTS_MOUNT_NS=1 unshare --mount bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/tlslib.sh"

printf '::1 dyn.term.test\n' >"$WORK/hosts"
mount --bind "$WORK/hosts" /etc/hosts || {
	fail "cannot bind a private /etc/hosts"
	finish
}
cert gw term.test "*.term.test"
TP=$(free_port)

# The dynamic backend: a plaintext line echo on [::1]:TP.
cat >"$WORK/echo6.py" <<'PY'
import socket, sys, threading
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::1", int(sys.argv[1])))
s.listen(16)
open(sys.argv[2], "w").close()
def serve(c):
    with c:
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(b"echo6 " + d)
        except OSError:
            pass  # the client's reset, passed on
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
/usr/bin/python3 "$WORK/echo6.py" "$TP" "$WORK/echo6.ready" &
PIDS+=("$!")
for _ in $(seq 100); do
	[ -e "$WORK/echo6.ready" ] && break
	sleep 0.05
done

cat >"$WORK/config.yaml" <<YAML
binds:
- port: $TP
  listeners:
  - name: term
    protocol: TLS
    hostname: "*.term.test"
    tls: {cert: $WORK/gw.crt, key: $WORK/gw.key}
    tcpRoutes:
    - name: anywhere
      backends:
      - dynamic: {}
YAML
out=$("$SG_BIN" check -c "$WORK/config.yaml" 2>&1)
check "splicegate check takes a terminating listener with a dynamic backend" "$out" \
	"configuration ok"

# hello NAME: over TLS to the gateway with SNI NAME (its certificate
# verified), a line out, and what came back before the close (or how it
# failed).
cat >"$WORK/hello.py" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[3])
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=sys.argv[2]) as s:
            s.sendall(b"hello\n")
            got = b""
            while not got.endswith(b"\n"):
                d = s.recv(4096)
                if not d:
                    break
                got += d
            print(got.decode().strip() or "closed")
except (OSError, ssl.SSLError) as e:
    print("error:", type(e).__name__)
PY
hello() {
	/usr/bin/python3 "$WORK/hello.py" "$TP" "$1" "$WORK/gw.crt"
}

for engine in $(engines); do
	echo "-- engine $engine"
	# Not start_engine: its port checks would see the echo on [::1]:TP.
	start_gateway --splice "$engine" -c "$WORK/config.yaml" || continue
	for _ in $(seq 100); do
		ss -Htln "( sport = :$TP )" | grep -q '0\.0\.0\.0' && break
		sleep 0.05
	done
	check "[$engine] SNI dyn.term.test: terminated, relayed to dyn.term.test:$TP ([::1])" \
		"$(hello dyn.term.test)" "echo6 hello"
	check "[$engine] a name that does not resolve: closed after the handshake" \
		"$(hello gone.term.test)" "closed"
	check "[$engine] still serving" "$(hello dyn.term.test)" "echo6 hello"
	stop_gateway
done
san_check
finish
