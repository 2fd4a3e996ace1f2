# TLS session tickets across a fleet (--tls-ticket-keys): a ticket one gateway issued resumes on another gateway process given the same key file, and not on one with a random key of its own; rotation: a new key written first with the old one after it still resumes an old ticket (the file is read again when it changes), a file without the old key makes a full handshake, a broken file leaves the keys in force; a broken file at start is refused with exit 2.
. "$(dirname "$0")/lib.sh"

start_backend tk
HP=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=tk.test \
	-keyout "$WORK/tk.key" -out "$WORK/tk.crt" >/dev/null 2>&1 || fail "openssl req"
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: $HP
  listeners:
  - name: https
    protocol: HTTPS
    tls: {cert: $WORK/tk.crt, key: $WORK/tk.key}
    routes:
    - backends:
      - host: 127.0.0.1:$BACKEND_PORT
YAML
KEYS=$WORK/ticket.keys
OLD=$(openssl rand -base64 80 | tr -d '\n')
NEW=$(openssl rand -base64 80 | tr -d '\n')
printf '# the fleet'"'"'s keys\n%s\n' "$OLD" >"$KEYS"

# session OUT|IN FILE: one request over TLS 1.3 that writes its session to
# FILE (reading to the close, so the tickets are in), or resumes it; prints
# "New" or "Reused".
session() {
	local get='GET / HTTP/1.1\r\nHost: tk.test\r\nConnection: close\r\n\r\n'
	printf "$get" | timeout 10 openssl s_client -connect "127.0.0.1:$HP" -servername tk.test \
		-tls1_3 -ign_eof "-sess_${1,,}" "$2" 2>/dev/null | grep -oE '^(New|Reused)' | head -1
}

start_engine auto -p "$HP" -c "$WORK/cfg.yaml" --tls-ticket-keys "$KEYS" || finish
grep -q "TLS ticket keys: 1 keys from $KEYS" "$WORK/gateway.log" &&
	pass "the key file is read at start" || fail "no start line: $(grep -i ticket "$WORK/gateway.log")"
check "gateway A issues a ticket" "$(session OUT "$WORK/a.sess")" New
check "gateway A resumes it" "$(session IN "$WORK/a.sess")" Reused
stop_gateway

start_engine auto -p "$HP" -c "$WORK/cfg.yaml" || finish
check "a gateway with a random key of its own: a full handshake" \
	"$(session IN "$WORK/a.sess")" New
stop_gateway

start_engine auto -p "$HP" -c "$WORK/cfg.yaml" --tls-ticket-keys "$KEYS" || finish
check "gateway B, same key file: A's ticket resumes" "$(session IN "$WORK/a.sess")" Reused

# Rotation: the new key first (it encrypts), the old one after it.
printf '%s\n%s\n' "$NEW" "$OLD" >"$KEYS.tmp" && mv "$KEYS.tmp" "$KEYS"
for _ in $(seq 50); do
	grep -q "TLS ticket keys reloaded: 2 keys" "$WORK/gateway.log" && break
	sleep 0.1
done
grep -q "TLS ticket keys reloaded: 2 keys from $KEYS" "$WORK/gateway.log" &&
	pass "the changed file is read again" || fail "not reloaded: $(grep -i ticket "$WORK/gateway.log")"
check "after rotation: the old key still decrypts A's ticket" "$(session IN "$WORK/a.sess")" Reused
check "a new ticket, under the new key" "$(session OUT "$WORK/b.sess")" New

# A broken file: reported, the keys in force stay.
echo "not base64" >"$KEYS.tmp" && mv "$KEYS.tmp" "$KEYS"
for _ in $(seq 50); do
	grep -q "do not load" "$WORK/gateway.log" && break
	sleep 0.1
done
grep -q "TLS ticket keys changed but do not load; the ones in force stay: $KEYS:1: not a key" \
	"$WORK/gateway.log" && pass "a broken file is reported with its line" ||
	fail "no refusal: $(grep -i ticket "$WORK/gateway.log")"
check "a broken file leaves the keys in force" "$(session IN "$WORK/b.sess")" Reused

# The old key retired.
printf '%s\n' "$NEW" >"$KEYS.tmp" && mv "$KEYS.tmp" "$KEYS"
for _ in $(seq 50); do
	grep -q "TLS ticket keys reloaded: 1 keys" "$WORK/gateway.log" && break
	sleep 0.1
done
check "the old key retired: A's ticket makes a full handshake" "$(session IN "$WORK/a.sess")" New
check "the new key's ticket resumes" "$(session IN "$WORK/b.sess")" Reused
stop_gateway

echo "AAAA" >"$WORK/bad.keys"
"$SG_BIN" -c "$WORK/cfg.yaml" --tls-ticket-keys "$WORK/bad.keys" --admin 127.0.0.1:0 \
	>"$WORK/bad.out" 2>&1
rc=$?
check "a broken key file at start: exit 2" "$rc" 2
grep -q -- "--tls-ticket-keys: $WORK/bad.keys:1: not a key" "$WORK/bad.out" &&
	pass "named with its line" || fail "said: $(head -3 "$WORK/bad.out")"
finish
