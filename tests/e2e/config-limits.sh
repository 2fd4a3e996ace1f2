# Config texts are bounded and read safely: a FIFO named *.yaml, a link to /dev/zero and an alias bomb are refused by `check` within 10 s (well under a second idle) with a clear file[:line:col] error, and through the file watch's reload and `apply` they leave the config in force serving and the admin API answering; 100,000 unknown keys are reported (100 lines and a count) within 10 s (well under a second idle) through `check` and POST /config; a backend host "a b:80" is refused.
. "$(dirname "$0")/lib.sh"

start_backend cl
mkdir "$WORK/cfg"
BACKEND=127.0.0.1:$BACKEND_PORT
cat >"$WORK/cfg/gw.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: agentgateway
  listeners: [{name: http, port: 8080, protocol: HTTP}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: default}
spec:
  clusterIP: 127.0.0.1
  ports: [{name: http, port: 80, targetPort: $BACKEND_PORT}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: one, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /one}}]
    backendRefs: [{name: svc, port: 80}]
YAML

# The bombs: a 3 KB HTTPRoute whose rules, matches and headers are aliases
# (1,000,000 header matches), and a standalone config nested five deep.
/usr/bin/python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
s = ["apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
     "metadata: {name: bomb, namespace: default}\nspec:\n  parentRefs: [{name: gw}]\n"
     "  rules:\n  - &R\n    backendRefs: [{name: svc, port: 80}]\n    matches:\n"
     "    - &M\n      path: {type: PathPrefix, value: /bomb}\n      headers:\n"
     "      - &H {name: x, value: y}\n"]
s += ["      - *H\n"] * 99 + ["    - *M\n"] * 99 + ["  - *R\n"] * 99
open(work + "/route-bomb.yaml", "w").write("".join(s))
s = ["binds:\n- port: 8080\n  listeners:\n  - &L\n    protocol: HTTP\n    routes:\n"
     "    - &R\n      matches:\n      - &M\n        path: {pathPrefix: /}\n"
     "        headers:\n        - &H {name: x, value: {exact: y}}\n"]
s += ["        - *H\n"] * 39 + ["      - *M\n"] * 39
s.append("      backends: [{host: 127.0.0.1:1}]\n")
s += ["    - *R\n"] * 39 + ["  - *L\n"] * 39
open(work + "/bomb.yaml", "w").write("".join(s))
with open(work + "/keys.yaml", "w") as f:
    f.write("binds: []\n")
    for i in range(100000):
        f.write("k%d: 1\n" % i)
with open(work + "/route-keys.yaml", "w") as f:
    f.write("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
            "metadata: {name: keys, namespace: default}\nspec:\n")
    for i in range(100000):
        f.write("  k%d: 1\n" % i)
PY
BOMB_ERR="$WORK/bomb.yaml:85:9: alias *M: aliases expand this YAML by 10031 nodes, more than the 30 nodes it spells out plus 10000 (an alias bomb?); write the repeated parts out"

# capped CMD...: CMD with 4 GiB of address space, so that a regression
# reading /dev/zero to its end fails instead of taking the machine's memory
# (not in a sanitized build, whose shadow memory needs terabytes of it).
capped() {
	if [ -n "${SG_SANITIZED:-}" ]; then
		"$@"
	else
		prlimit --as=4294967296 -- "$@"
	fi
}

# check_fails NAME WANT-FIRST-LINE SECONDS PATH...: `check` exits 1 within
# SECONDS with WANT as its first line. Each takes well under a second on an
# idle machine; the bounds below (10 s) tell that from a wait on a FIFO or a
# device (the 20 s timeout) or a walk quadratic in the keys (minutes), and a
# run 50x slower (ASan on a machine at load 25) still passes.
check_fails() {
	local name=$1 want=$2 secs=$3 t0 t1 rc
	shift 3
	t0=$(date +%s.%N)
	capped timeout 20 "$SG_BIN" check "${@/#/-c}" >/dev/null 2>"$WORK/err"
	rc=$?
	t1=$(date +%s.%N)
	took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	if [ "$rc" = 1 ] && [ "$(head -n1 "$WORK/err")" = "$want" ] &&
		awk -v t="$took" -v s="$secs" 'BEGIN { exit !(t < s) }'; then
		pass "check $name: exit 1 in $took s: $want"
	else
		fail "check $name: exit $rc in $took s (want 1 within $secs s), first line: $(head -n1 "$WORK/err")"
	fi
}

mkdir "$WORK/fifo" "$WORK/zero"
mkfifo "$WORK/fifo/x.yaml"
ln -s /dev/zero "$WORK/zero/z.yaml"
check_fails "a FIFO in a config directory" \
	"$WORK/fifo/x.yaml: a FIFO, not a regular file: config is read from regular files only" 10 "$WORK/fifo"
check_fails "a link to /dev/zero" \
	"$WORK/zero/z.yaml: a character device, not a regular file: config is read from regular files only" 10 "$WORK/zero"
check_fails "a 1.8 KB alias bomb" "$BOMB_ERR" 10 "$WORK/bomb.yaml"
check_fails "100,000 unknown keys" \
	"$WORK/keys.yaml:2:1: (top level): unknown field \"k0\", expected one of: config, frontendPolicies, binds, gateways, routes, tcpRoutes, mcp, policies, backends, services, workloads, routeGroups" \
	10 "$WORK/keys.yaml"
[ "$(wc -l <"$WORK/err")" = 102 ] && [ "$(tail -n2 "$WORK/err" | head -1)" = "... and 99900 more errors or warnings" ] &&
	[ "$(tail -n1 "$WORK/err")" = "100000 errors: configuration invalid" ] &&
	pass "100 lines, a count of the rest and the number of errors" || fail "$(wc -l <"$WORK/err") lines, last: $(tail -n1 "$WORK/err")"
printf 'binds:\n- port: 8080\n  listeners:\n  - routes:\n    - backends:\n      - host: a b:80\n' >"$WORK/host.yaml"
check_fails "backend host \"a b:80\"" \
	"$WORK/host.yaml:6:15: binds[0].listeners[0].routes[0].backends[0].host: \"a b\" is not a host name (RFC 1123), an IPv4 address or an IPv6 address in brackets; expected \"address:port\" such as \"127.0.0.1:8000\", \"web.internal:8080\" or \"[::1]:8000\"" \
	10 "$WORK/host.yaml"

start_gateway -c "$WORK/cfg" || exit 1
[ -n "${SG_SANITIZED:-}" ] || prlimit --pid "$GW_PID" --as=4294967296
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:8080$1"; }
[ "$(code /one)" = 200 ] && pass "initial config serves /one" || fail "initial /one: $(code /one)"
RSS0=$(rss_kib)

# serving WHAT: the config in force still serves /one, and config_dump
# answers within 5 s (milliseconds idle; a gateway stuck in the bad text
# would not answer at all).
serving() {
	local t
	t=$(curl -s -o "$WORK/dump" -w '%{time_total}' --max-time 10 http://127.0.0.1:15000/config_dump)
	[ "$(code /one)" = 200 ] && jq -e '.binds | length == 1' "$WORK/dump" >/dev/null &&
		awk -v t="$t" 'BEGIN { exit !(t < 5) }' &&
		pass "$1: /one still served, config_dump in $t s" ||
		fail "$1: /one $(code /one), config_dump in $t s"
}

# reload_fails NAME WANT: the watch's reload fails with WANT in the log
# (within 5 s), once.
reload_fails() {
	for _ in $(seq 50); do
		grep -qF "$2" "$WORK/gateway.log" && break
		sleep 0.1
	done
	if grep -qF "$2" "$WORK/gateway.log"; then
		pass "reload with $1 fails: $2"
	else
		fail "reload with $1: no \"$2\" in the log"
		tail -5 "$WORK/gateway.log"
	fi
	serving "after $1"
}

mkfifo "$WORK/cfg/x.yaml"
reload_fails "a FIFO" "$WORK/cfg/x.yaml: a FIFO, not a regular file: config is read from regular files only"
rm "$WORK/cfg/x.yaml"
ln -s /dev/zero "$WORK/cfg/z.yaml"
reload_fails "a link to /dev/zero" "$WORK/cfg/z.yaml: a character device, not a regular file"
rm "$WORK/cfg/z.yaml"
cp "$WORK/route-bomb.yaml" "$WORK/cfg/bomb.yaml"
reload_fails "an alias bomb" "$WORK/cfg/bomb.yaml:131:7: alias *M: aliases expand this YAML by 10166 nodes"
rm "$WORK/cfg/bomb.yaml"
# SIGHUP on the same files: still nothing blocks.
mkfifo "$WORK/cfg/y.yaml"
kill -HUP "$GW_PID"
reload_fails "a FIFO, on SIGHUP" "$WORK/cfg/y.yaml: a FIFO, not a regular file"
rm "$WORK/cfg/y.yaml"

# apply: the alias bomb, a link to /dev/zero, an HTTPRoute of 100,000
# unknown keys.
t0=$(date +%s.%N)
"$SG_BIN" apply -f "$WORK/route-bomb.yaml" >/dev/null 2>"$WORK/err"
rc=$?
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
[ "$rc" = 1 ] && grep -q "^apply#1:131:7: alias \*M: aliases expand this YAML by 10166 nodes" "$WORK/err" &&
	awk -v t="$took" 'BEGIN { exit !(t < 10) }' && pass "apply of the alias bomb: exit 1 in $took s" ||
	fail "apply of the alias bomb: exit $rc in $took s: $(head -c 300 "$WORK/err")"
grown=$(( ($(rss_kib) - RSS0) / 1024 ))
[ "$grown" -lt 20 ] && pass "gateway RSS grew $grown MiB (< 20; 323 MiB before the limit)" ||
	fail "gateway RSS grew $grown MiB after the alias bomb"
serving "after apply of the alias bomb"
capped timeout 10 "$SG_BIN" apply -f "$WORK/zero/z.yaml" >/dev/null 2>"$WORK/err"
rc=$?
[ "$rc" = 1 ] && [ "$(cat "$WORK/err")" = "splicegate: $WORK/zero/z.yaml: more than the 4194304 bytes (4 MiB) the admin API takes" ] &&
	pass "apply -f a link to /dev/zero: exit 1, $(cat "$WORK/err")" ||
	fail "apply -f a link to /dev/zero: exit $rc: $(head -c 300 "$WORK/err")"
# (Expect: off: curl would wait 1 s for a 100 Continue the admin API does
# not send.)
# The bound: a linear walk takes a fraction of a second (0.15 s of CPU),
# a quadratic one hours; 10 s (20 s, the request's own limit, under ASan) passes a run 50x slower
# than an idle machine's (4.7 s at load 25).
limit=10
[ -z "${SG_SANITIZED:-}" ] || limit=20
out=$(admin_write -o "$WORK/body" -w '%{http_code} %{time_total}' -H 'Expect:' \
	--data-binary @"$WORK/route-keys.yaml" /config)
[ "${out% *}" = 400 ] && awk -v t="${out#* }" -v l="$limit" 'BEGIN { exit !(t < l) }' &&
	grep -q '^\.\.\. and 999[0-9][0-9] more errors or warnings$' "$WORK/body" &&
	pass "POST /config with 100,000 keys: 400 in ${out#* } s, 100 lines and a count" ||
	fail "POST /config with 100,000 keys: $out, last line $(tail -n1 "$WORK/body")"
serving "after 100,000 keys"

stop_gateway
finish
