# Helpers for the tls-* scenarios, sourced after lib.sh: self-signed
# certificates made here, `openssl s_server` backends (an echo one and a
# file one per certificate), and the clients (openssl s_client, curl, a
# Python client that splits its ClientHello across records and writes).

# make_cert NAME: $WORK/NAME.crt and NAME.key, self-signed, CN=backend-NAME.
make_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=backend-$1" \
		-keyout "$WORK/$1.key" -out "$WORK/$1.crt" >/dev/null 2>&1
}

# cert NAME CN [SAN...]: $WORK/NAME.crt and NAME.key (ECDSA P-256).
cert() {
	local name=$1 cn=$2 san="" h
	shift 2
	for h in "$@"; do san="${san:+$san,}DNS:$h"; done
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$cn" ${san:+-addext "subjectAltName=$san"} \
		-keyout "$WORK/$name.key" -out "$WORK/$name.crt" >/dev/null 2>&1 ||
		fail "openssl req for $name"
}

# start_tls_backends NAME...: for each NAME a certificate, an echo backend
# (s_server -rev: each line back reversed, "CLOSE" ends the connection) on
# ECHO[NAME] and a file backend (s_server -WWW over $WORK/www-NAME, whose
# file "who" says backend-NAME and "big" holds 4 MiB) on WWW[NAME].
declare -A ECHO WWW
start_tls_backends() {
	local n
	for n in "$@"; do
		make_cert "$n" || { fail "openssl req for $n"; return 1; }
		ECHO[$n]=$(free_port)
		WWW[$n]=$(free_port)
		mkdir -p "$WORK/www-$n"
		echo "backend-$n" >"$WORK/www-$n/who"
		head -c $((4 << 20)) /dev/urandom >"$WORK/www-$n/big"
		openssl s_server -accept "127.0.0.1:${ECHO[$n]}" -cert "$WORK/$n.crt" \
			-key "$WORK/$n.key" -rev -quiet </dev/null >"$WORK/echo-$n.log" 2>&1 &
		PIDS+=("$!")
		(cd "$WORK/www-$n" && exec openssl s_server -accept "127.0.0.1:${WWW[$n]}" \
			-cert "$WORK/$n.crt" -key "$WORK/$n.key" -WWW -quiet \
			</dev/null >"$WORK/www-$n.log" 2>&1) &
		PIDS+=("$!")
	done
	for n in "$@"; do
		wait_port "${ECHO[$n]}" 10 && wait_port "${WWW[$n]}" 10 ||
			{ fail "s_server backends for $n did not start"; return 1; }
	done
}

# sclient PORT SNI|-: openssl s_client through the gateway (no SNI for
# "-"), sending "hello-SNI" then CLOSE; prints "<subject CN> <echoed line>"
# ("closed" when the handshake never completed).
sclient() {
	local port=$1 sni=$2 out cn line name=${2,,}
	name=${name//[^a-z0-9.-]/}
	local args=(-connect "127.0.0.1:$port" -ign_eof)
	if [ "$sni" = - ]; then args+=(-noservername); else args+=(-servername "$sni"); fi
	out=$(printf 'hello-%s\nCLOSE\n' "$name" | timeout 10 openssl s_client "${args[@]}" 2>/dev/null)
	cn=$(sed -n 's/^subject=.*CN = //p' <<<"$out" | head -1)
	if [ -z "$cn" ]; then
		echo closed
		return
	fi
	line=$(grep -x "$(rev <<<"hello-$name")" <<<"$out" | head -1)
	if [ -n "$line" ]; then
		echo "$cn $(rev <<<"$line")"
	else
		echo "$cn no-echo"
	fi
}

# curl_tls PORT HOST PATH: curl over HTTPS to HOST (resolved to the
# gateway), certificate not verified (-k); prints the body, or
# "failed (curl exit N)".
curl_tls() {
	local body rc
	body=$(curl -sk --max-time 10 --resolve "$2:$1:127.0.0.1" "https://$2:$1$3")
	rc=$?
	[ "$rc" = 0 ] && echo "$body" || echo "failed (curl exit $rc)"
}

# curl_sha PORT HOST PATH: the sha256 of what curl downloads.
curl_sha() {
	curl -sk --max-time 20 --resolve "$2:$1:127.0.0.1" "https://$2:$1$3" | sha256sum |
		cut -d' ' -f1
}

# metric NAME{LABELS}: the value of one /metrics sample (0 when absent).
metric() {
	curl -s --max-time 5 http://127.0.0.1:15020/metrics | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

# The Python client: a ClientHello cut into records of CHUNK bytes, each
# record written on its own with a pause (so the gateway peeks a partial
# hello several times), then the handshake, verified against CA, one line
# echoed. Prints "<CN> <echoed line>" or "error: ...".
cat >"$WORK/split_hello.py" <<'PY'
import socket, ssl, sys, time
port, sni, ca, chunk = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.load_verify_locations(ca)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, out, server_hostname=sni)
try:
    tls.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = out.read()
# Re-frame the hello's records: same bytes, records of `chunk` bytes.
recs, off = [], 0
while off < len(hello):
    typ, ver, n = hello[off], hello[off + 1:off + 3], int.from_bytes(hello[off + 3:off + 5], "big")
    body = hello[off + 5:off + 5 + n]
    for i in range(0, len(body), chunk):
        part = body[i:i + chunk]
        recs.append(bytes([typ]) + ver + len(part).to_bytes(2, "big") + part)
    off += 5 + n
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for i, r in enumerate(recs):
    # Now and then half a record, a pause, then the rest: the gateway sees
    # cuts inside record headers too (well within the hello timeout).
    if i < 6 or i % 32 == 0:
        s.sendall(r[:3]); time.sleep(0.01); s.sendall(r[3:])
    else:
        s.sendall(r)
try:
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            pending = out.read()
            if pending:
                s.sendall(pending)
            d = s.recv(65536)
            if not d:
                raise ConnectionError("closed during the handshake")
            inc.write(d)
    s.sendall(out.read())
    tls.write(b"split-hello\n")
    s.sendall(out.read())
    line = b""
    while not line.endswith(b"\n"):
        try:
            line += tls.read(100)
        except ssl.SSLWantReadError:
            d = s.recv(65536)
            if not d:
                break
            inc.write(d)
    cn = dict(x[0] for x in tls.getpeercert()["subject"])["commonName"]
    print(cn, line.decode().strip())
except Exception as e:
    print("error: %s: %s" % (type(e).__name__, e))
PY

# The stalling client: connects, sends BYTES of a ClientHello (0: nothing)
# and waits; prints how long until the gateway closed the connection
# ("open" after 8 s).
cat >"$WORK/stall.py" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
hello = bytes.fromhex("16030100a5010000a10303") + bytes(32) + b"\x00\x00\x02\x13\x01\x01\x00"
s = socket.create_connection(("127.0.0.1", port))
t = time.monotonic()
s.sendall(hello[:n])
s.settimeout(8)
try:
    d = s.recv(10)
    print("%.2f" % (time.monotonic() - t) if not d else "data")
except ConnectionResetError:
    print("%.2f" % (time.monotonic() - t))
except socket.timeout:
    print("open")
PY
