# Backends named by long host names (130 characters, within RFC 1123's
# 253) that differ only near their end are kept apart: with a private
# /etc/hosts giving three such names as 127.0.0.1, requests to /a, /b and
# /a again on one client connection are answered by backends a, b and a
# (each pooled backend connection is keyed by the whole "name:port", so one
# to a is never reused for b), an HTTP/2 backend under the third name
# answers as itself, and /stats shows each endpoint's state under its whole
# name. Names cut short at 79 characters once shared their pooled
# connections and had no endpoint state.
if [ -z "${SG_HOSTS_MOUNT_NS:-}" ]; then
	# A mount namespace of this scenario's own, for a private /etc/hosts.
	exec env SG_HOSTS_MOUNT_NS=1 unshare --mount bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

label=$(printf 'l%.0s' $(seq 60))
A="$label.$label.one.test"
B="$label.$label.two.test"
C="$label.$label.h2c.test"
printf '127.0.0.1 %s\n127.0.0.1 %s\n127.0.0.1 %s\n' "$A" "$B" "$C" >"$WORK/hosts"
mount --bind "$WORK/hosts" /etc/hosts || { fail "cannot bind a private /etc/hosts"; finish; }
[ ${#A} = 130 ] && pass "the names are ${#A} characters long" || fail "name length ${#A}"

start_backend a
PA=$BACKEND_PORT
start_backend b
PB=$BACKEND_PORT
start_h2backend c || { fail "h2backend c did not start"; finish; }
PC=$H2B_PORT
cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: a
      matches: [{path: {pathPrefix: /a}}]
      backends: [{host: "$A:$PA"}]
    - name: b
      matches: [{path: {pathPrefix: /b}}]
      backends: [{host: "$B:$PB"}]
    - name: c
      matches: [{path: {pathPrefix: /c}}]
      backends:
      - host: "$C:$PC"
        policies:
          http: {version: HTTP/2.0}
YAML

# pods URL...: the "pod" field of each answer, fetched on one connection.
pods() {
	curl -s "$@" | grep -o '"pod": *"[a-z]*"' | sed 's/.*"\([a-z]*\)"$/\1/' | tr '\n' ' '
}

for engine in $(engines); do
	start_gateway -c "$WORK/config.yaml" --splice "$engine" || exit 1
	u=http://127.0.0.1:8080
	got=$(pods "$u/a" "$u/b" "$u/a" "$u/b")
	[ "$got" = "a b a b " ] && pass "[$engine] /a /b /a /b on one connection: answered by $got" ||
		fail "[$engine] /a /b /a /b answered by: '$got'"
	got=$(curl -s -o /dev/null -w '%{http_code} %header{x-backend-name}' "$u/c")
	[ "$got" = "200 c" ] && pass "[$engine] HTTP/2 backend under a long name: $got" ||
		fail "[$engine] HTTP/2 backend: '$got'"
	stats=$(curl -s http://127.0.0.1:15000/stats)
	for want in "$A:$PA" "$B:$PB"; do
		n=$(jq --arg e "$want" '[.endpoints[]? | select(.endpoint == $e)] | length' <<<"$stats")
		[ "${n:-0}" -ge 1 ] && pass "[$engine] /stats has endpoint ${want:120}" ||
			fail "[$engine] /stats has no endpoint ${want:120}: $(jq -c '[.endpoints[]?.endpoint]' <<<"$stats")"
	done
	stop_gateway
done
finish
