# A backend name with several addresses is tried address by address: with a private /etc/hosts giving "dual.test" as ::1 then 127.0.0.1 (stock Debian's "localhost" is the same), and the backend listening on 127.0.0.1 only, HTTP routes (HTTP/1 and h2c clients) and TCP routes reach it in every engine instead of answering 503 for the refused ::1; a name whose every address refuses still gets 503 "upstream call failed: connect: connection refused".
if [ -z "${SG_HOSTS_MOUNT_NS:-}" ]; then
	# A mount namespace of this scenario's own, for a private /etc/hosts.
	exec env SG_HOSTS_MOUNT_NS=1 unshare --mount bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

printf '::1 dual.test\n127.0.0.1 dual.test\n::1 refused.test\n127.0.0.1 refused.test\n' >"$WORK/hosts"
mount --bind "$WORK/hosts" /etc/hosts || { fail "cannot bind a private /etc/hosts"; finish; }
order=$(/usr/bin/python3 -c '
import socket
print(" ".join(a[4][0] for a in socket.getaddrinfo("dual.test", 80, type=socket.SOCK_STREAM)))')
[ "$order" = "::1 127.0.0.1" ] && pass "dual.test resolves to ::1 first, then 127.0.0.1" ||
	fail "dual.test resolves to: $order"

start_backend dual
dead=$(free_port)
cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: refused
      matches: [{path: {pathPrefix: /refused}}]
      backends: [{host: "refused.test:$dead"}]
    - name: dual
      backends: [{host: "dual.test:$BACKEND_PORT"}]
- port: 9090
  listeners:
  - protocol: TCP
    tcpRoutes:
    - backends: [{host: "dual.test:$BACKEND_PORT"}]
YAML

for engine in $(engines); do
	start_gateway -c "$WORK/config.yaml" --splice "$engine" || exit 1
	got=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/x)
	[ "$got" = 200 ] && pass "[$engine] HTTP/1 through dual.test: 200" || fail "[$engine] HTTP/1: $got"
	got=$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/x)
	[ "$got" = 200 ] && pass "[$engine] h2c through dual.test: 200" || fail "[$engine] h2c: $got"
	got=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9090/x)
	[ "$got" = 200 ] && pass "[$engine] TCP route through dual.test: 200" || fail "[$engine] TCP route: $got"
	got=$(curl -s -w ' %{http_code}' http://127.0.0.1:8080/refused)
	[ "$got" = "upstream call failed: connect: connection refused 503" ] &&
		pass "[$engine] every address refused: 503" || fail "[$engine] refused: $got"
	stop_gateway
done
finish
