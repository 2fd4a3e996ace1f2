# A backend name with several addresses is tried address by address: with a private /etc/hosts giving "dual.test" as ::1 then 127.0.0.1 (stock Debian's "localhost" is the same), and the backend listening on 127.0.0.1 only, HTTP routes (HTTP/1 and h2c clients) and TCP routes reach it in every engine instead of answering 503 for the refused ::1; a name whose every address refuses still gets 503 "upstream call failed: connect: connection refused"; a name with two IPv4 addresses ("multi.test", 127.0.0.2 and 127.0.0.3, a backend on each) has its new connections take them in turn: 8 concurrent requests, each on a connection of its own, reach each address at least 3 times (one worker: 4 each) instead of the first address 8 times.
if [ -z "${SG_HOSTS_MOUNT_NS:-}" ]; then
	# A mount namespace of this scenario's own, for a private /etc/hosts.
	exec env SG_HOSTS_MOUNT_NS=1 unshare --mount bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

printf '::1 dual.test\n127.0.0.1 dual.test\n::1 refused.test\n127.0.0.1 refused.test\n' >"$WORK/hosts"
printf '127.0.0.2 multi.test\n127.0.0.3 multi.test\n' >>"$WORK/hosts"
mount --bind "$WORK/hosts" /etc/hosts || { fail "cannot bind a private /etc/hosts"; finish; }
order=$(/usr/bin/python3 -c '
import socket
print(" ".join(a[4][0] for a in socket.getaddrinfo("dual.test", 80, type=socket.SOCK_STREAM)))')
[ "$order" = "::1 127.0.0.1" ] && pass "dual.test resolves to ::1 first, then 127.0.0.1" ||
	fail "dual.test resolves to: $order"

order=$(/usr/bin/python3 -c '
import socket
print(" ".join(a[4][0] for a in socket.getaddrinfo("multi.test", 80, type=socket.SOCK_STREAM)))')
[ "$order" = "127.0.0.2 127.0.0.3" ] && pass "multi.test resolves to 127.0.0.2, then 127.0.0.3" ||
	fail "multi.test resolves to: $order"

start_backend dual
dead=$(free_port)
multi=$(free_port)
start_backend_at two 127.0.0.2 "$multi" || fail "no backend on 127.0.0.2:$multi"
start_backend_at three 127.0.0.3 "$multi" || fail "no backend on 127.0.0.3:$multi"
cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: refused
      matches: [{path: {pathPrefix: /refused}}]
      backends: [{host: "refused.test:$dead"}]
    - name: multi
      matches: [{path: {pathPrefix: /multi}}]
      backends: [{host: "multi.test:$multi"}]
    - name: dual
      backends: [{host: "dual.test:$BACKEND_PORT"}]
- port: 9090
  listeners:
  - protocol: TCP
    tcpRoutes:
    - backends: [{host: "dual.test:$BACKEND_PORT"}]
YAML

for engine in $(engines); do
	# One worker: a worker's connections take a name's addresses in turn.
	start_gateway -c "$WORK/config.yaml" --splice "$engine" --workers 1 || exit 1
	got=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/x)
	[ "$got" = 200 ] && pass "[$engine] HTTP/1 through dual.test: 200" || fail "[$engine] HTTP/1: $got"
	got=$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/x)
	[ "$got" = 200 ] && pass "[$engine] h2c through dual.test: 200" || fail "[$engine] h2c: $got"
	got=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9090/x)
	[ "$got" = 200 ] && pass "[$engine] TCP route through dual.test: 200" || fail "[$engine] TCP route: $got"
	got=$(curl -s -w ' %{http_code}' http://127.0.0.1:8080/refused)
	[ "$got" = "upstream call failed: connect: connection refused 503" ] &&
		pass "[$engine] every address refused: 503" || fail "[$engine] refused: $got"
	# 8 requests at once, 0.5 s each: 8 backend connections, 8 lookups.
	args=()
	for _ in 1 2 3 4 5 6 7 8; do
		args+=("http://127.0.0.1:8080/multi/x?delay=500ms" -o /dev/null)
	done
	got=$(curl -s --parallel --parallel-immediate --parallel-max 8 -w '%header{x-backend}\n' \
		"${args[@]}" 2>/dev/null | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')
	read -r two three < <(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); n[kv[1]] = kv[2] } }
		END { print n["two"] + 0, n["three"] + 0 }' <<<"$got")
	[ "$((two + three))" = 8 ] && [ "$two" -ge 3 ] && [ "$three" -ge 3 ] &&
		pass "[$engine] multi.test's connections take its addresses in turn: $got" ||
		fail "[$engine] 8 connections to multi.test went: ${got:-nowhere} (want each address >= 3)"
	stop_gateway
done
finish
