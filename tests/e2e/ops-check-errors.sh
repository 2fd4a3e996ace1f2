# splicegate check reports every error of a file, not the first alone: a
# file with three errors (two misspelt keys at different depths and a bad
# path match) gets three located lines, the misspelt keys with the nearest
# key the gateway knows ("did you mean"), then "3 errors: configuration
# invalid", exit 1; a valid file ends "configuration ok", exit 0; a file
# with 150 wrong keys reports the first 100, counts the rest, and ends "150
# errors: configuration invalid".
. "$(dirname "$0")/lib.sh"

cat >"$WORK/bad.yaml" <<'YAML'
binds:
- port: 8080
  listeners:
  - name: web
    protocl: HTTP
    routes:
    - name: a
      backends: [{host: 127.0.0.1:9000}]
      polices: {}
    - name: b
      matches: [{path: {pathPrefx: /x}}]
      backends: [{host: 127.0.0.1:9000}]
YAML
"$SG_BIN" check -c "$WORK/bad.yaml" >"$WORK/out" 2>"$WORK/err"
rc=$?
want="$WORK/bad.yaml:5:5: binds[0].listeners[0]: unknown field \"protocl\" (did you mean \"protocol\"?), expected one of: name, protocol, hostname, routes, tcpRoutes, tls, policies
$WORK/bad.yaml:9:7: binds[0].listeners[0].routes[0]: unknown field \"polices\" (did you mean \"policies\"?), expected one of: name, hostnames, matches, policies, backends
$WORK/bad.yaml:11:24: binds[0].listeners[0].routes[1].matches[0].path: expected a map with exactly one of exact, pathPrefix, regex, got a map
3 errors: configuration invalid"
[ "$rc" = 1 ] && [ ! -s "$WORK/out" ] && [ "$(cat "$WORK/err")" = "$want" ] &&
	pass "three errors: three located lines, two suggestions, the count, exit 1" ||
	fail "three errors: rc $rc, stderr: $(cat "$WORK/err")"

BACKEND_PORT=9000 one_route_config web
check "a valid file: configuration ok" "$("$SG_BIN" check -c "$WORK/config.yaml" 2>&1; echo "rc=$?")" \
	"configuration ok
rc=0"

{
	echo "binds:"
	echo "- port: 8080"
	echo "  listeners:"
	echo "  - name: web"
	for i in $(seq 1 150); do echo "    wrong$i: x"; done
} >"$WORK/many.yaml"
"$SG_BIN" check -c "$WORK/many.yaml" >/dev/null 2>"$WORK/err"
rc=$?
[ "$rc" = 1 ] && [ "$(grep -c 'unknown field "wrong' "$WORK/err")" = 100 ] &&
	[ "$(tail -1 "$WORK/err")" = "150 errors: configuration invalid" ] &&
	grep -qx '... and 50 more errors or warnings' "$WORK/err" &&
	pass "150 wrong keys: 100 lines, the rest counted, 150 errors" ||
	fail "150 wrong keys: rc $rc, $(grep -c 'unknown field' "$WORK/err") lines, end: $(tail -2 "$WORK/err")"
finish
