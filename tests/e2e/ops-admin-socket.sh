# Admin writes only over the admin socket: it is a 0660 file of the
# gateway's user (root here), removed at stop; a non-root user (nobody)
# reads through the TCP port (config_dump, get) but changes nothing through
# any admin path: apply and delete by the socket (permission denied) or by
# --admin HOST:PORT, POST/DELETE /config, /logging and /quitquitquit on the
# TCP port (403, which names the socket), while root applies and deletes
# over the socket as the seeds do; what root applied in a Secret or inline
# in a policy is "<redacted>" in /resources and get for nobody;
# --admin-tcp-writes opens the TCP port to writes (logged as a warning) and
# `apply --admin` works again, but not to a web browser's (403); two gateways
# on one host, each with its own --admin-socket, are each changed by theirs;
# an admin socket in a directory others may write is refused.
. "$(dirname "$0")/lib.sh"

SOCK=$SPLICEGATE_ADMIN_SOCKET
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
start_backend one
ONE=$BACKEND_PORT
route() { httproute_yaml "$1" "$2" one "$ONE"; } # NAME PATH
{
	gateway_yaml
	service_yaml one "$ONE"
} >"$WORK/gw.yaml"
route r1 /one >"$WORK/r1.yaml"
route r2 /two >"$WORK/r2.yaml"
chmod 644 "$WORK"/*.yaml
READ_ONLY="this admin port is read-only: configuration changes, logging and quit go over the admin socket $SOCK (splicegate apply, delete use it; root only), or start splicegate with --admin-tcp-writes"

# status URL: the status of a GET through the gateway.
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }
routes() { curl -s http://127.0.0.1:15000/config_dump | jq -c "[.binds[].listeners[].routes[].name] | sort"; }

start_engine copy -c "$WORK/gw.yaml" || finish
check "the admin socket is a 0660 socket of root's" "$(stat -c '%F %a %U %G' "$SOCK")" \
	"socket 660 root root"
"$SG_BIN" apply -f "$WORK/r1.yaml" >"$WORK/out" 2>&1
check "root: apply over the socket (as the seeds do)" "$? $(cat "$WORK/out")" \
	"0 httproute.gateway.networking.k8s.io/r1 created"
check "root: the route serves" "$(status http://127.0.0.1:8080/one)" 200

# A non-root user: reads work.
check "nobody: config_dump over TCP" \
	"$(nobody curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:15000/config_dump)" 200
check "nobody: get reads through the TCP port" \
	"$(nobody "$SG_BIN" get httproute r1 -n e2e -o json 2>&1 | jq -r .metadata.name)" r1
check "nobody: /stats" \
	"$(nobody curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:15000/stats)" 200

# ... and every write is refused.
nobody "$SG_BIN" apply -f "$WORK/r2.yaml" >"$WORK/out" 2>&1
check "nobody: apply over the socket: permission denied, exit 2" "$? $(cat "$WORK/out")" \
	"2 splicegate: cannot reach the gateway's admin socket $SOCK: Permission denied (changes go over the admin socket, which is root's; or --admin HOST:PORT to a gateway started with --admin-tcp-writes)"
nobody "$SG_BIN" apply --admin 127.0.0.1:15000 -f "$WORK/r2.yaml" >"$WORK/out" 2>&1
check "nobody: apply --admin 127.0.0.1:15000: 403, exit 1" "$? $(cat "$WORK/out")" "1 $READ_ONLY"
nobody "$SG_BIN" delete httproute r1 -n e2e >"$WORK/out" 2>&1
check "nobody: delete over the socket: exit 2" "$?" 2
nobody "$SG_BIN" delete --admin 127.0.0.1:15000 httproute r1 -n e2e >"$WORK/out" 2>&1
check "nobody: delete --admin: 403, exit 1" "$? $(cat "$WORK/out")" "1 $READ_ONLY"
# tcall METHOD PATH [CURL-ARGS...]: as nobody on the TCP port: "status body".
tcall() {
	local m=$1 p=$2
	shift 2
	nobody curl -s -w ' %{http_code}' --max-time 5 -X "$m" "$@" "http://127.0.0.1:15000$p"
}
check "nobody: POST /config 403" "$(tcall POST /config --data-binary @"$WORK/r2.yaml")" \
	"$READ_ONLY
 403"
check "nobody: DELETE /config 403" "$(tcall DELETE /config --data-binary @"$WORK/r1.yaml")" \
	"$READ_ONLY
 403"
check "nobody: POST /logging 403" "$(tcall POST '/logging?level=debug')" "$READ_ONLY
 403"
check "nobody: POST /quitquitquit 403" "$(tcall POST /quitquitquit)" "$READ_ONLY
 403"
check "nobody: the socket itself refuses the connection" \
	"$(nobody curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST http://localhost/quitquitquit)" \
	000
check "root over TCP is refused too (the port is read-only)" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST 'http://127.0.0.1:15000/logging?level=debug')" 403
sleep 0.2
running "$GW_PID" && pass "the gateway still runs" || fail "the gateway exited"
check "nothing changed: the routes" "$(routes)" '["r1"]'
check "nothing changed: the log level" "$(admin_write -X POST /logging)" "current log level is info"
check "nothing changed: r1 serves, r2 does not" \
	"$(status http://127.0.0.1:8080/one) $(status http://127.0.0.1:8080/two)" "200 404"

# Root over the socket: apply and delete.
"$SG_BIN" apply -f "$WORK/r2.yaml" >/dev/null && "$SG_BIN" delete httproute r1 -n e2e >/dev/null
check "root: apply and delete over the socket" "$(routes)" '["r2"]'

# Secrets root applied are not read back by anyone else: /resources and
# get on the TCP port print "<redacted>" for a Secret's values and for a
# policy's inline htpasswd and backend key, as config_dump does (they
# were printed as applied).
cat >"$WORK/secrets.yaml" <<'YAML'
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: e2e}
type: Opaque
data: {api-key: c2stbGl2ZS0xMjM=}
stringData: {password: hunter2}
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: auth, namespace: e2e}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r2}]
  traffic:
    basicAuthentication:
      users: ['alice:$apr1$salt$hashhashhashhashhash']
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: key, namespace: e2e}
spec:
  targetRefs: [{group: "", kind: Service, name: one}]
  backend:
    auth: {key: sk-inline-456}
YAML
"$SG_BIN" apply -f "$WORK/secrets.yaml" >"$WORK/out" 2>&1 || fail "apply secrets: $(cat "$WORK/out")"
nobody curl -s http://127.0.0.1:15000/resources >"$WORK/resources.json"
nobody "$SG_BIN" get agentgatewaypolicy -n e2e -o yaml >"$WORK/get.yaml" 2>&1
leaked=$(cat "$WORK/resources.json" "$WORK/get.yaml" |
	grep -o -e hunter2 -e c2stbGl2ZS0xMjM= -e 'apr1' -e sk-inline-456 | sort -u | tr '\n' ' ')
check "nobody: /resources and get print no secret" "$leaked" ""
check "nobody: a Secret's keys stay, their values redacted" \
	"$(jq -c '.items[] | select(.kind == "Secret") | [.data, .stringData]' "$WORK/resources.json")" \
	'[{"api-key":"<redacted>"},{"password":"<redacted>"}]'
check "nobody: get shows the policies, redacted" "$(grep -c '<redacted>' "$WORK/get.yaml")" 2
"$SG_BIN" delete -f "$WORK/secrets.yaml" >/dev/null
stop_gateway
[ -e "$SOCK" ] && fail "the socket file is left after stop" || pass "the socket file is removed at stop"

# --admin-tcp-writes: the TCP port takes writes.
start_engine copy -c "$WORK/gw.yaml" --admin-tcp-writes || finish
grep -q 'admin API on 127.0.0.1:15000 takes writes from anyone on this host who can connect (--admin-tcp-writes)' \
	"$WORK/gateway.log" && pass "--admin-tcp-writes is logged as a warning" || fail "no warning logged"
"$SG_BIN" apply --admin 127.0.0.1:15000 -f "$WORK/r2.yaml" >"$WORK/out" 2>&1
check "--admin-tcp-writes: apply --admin HOST:PORT" "$? $(cat "$WORK/out")" \
	"0 httproute.gateway.networking.k8s.io/r2 created"
check "--admin-tcp-writes: r2 serves" "$(status http://127.0.0.1:8080/two)" 200
# ... but not from a web page: any site a browser on the host shows could
# POST there (text needs no CORS preflight) and change the config or stop
# the gateway.
check "--admin-tcp-writes: a browser's POST /quitquitquit 403" \
	"$(curl -s -w ' %{http_code}' --max-time 5 -X POST -H 'Origin: https://evil.example' \
		-H 'Content-Type: text/plain' http://127.0.0.1:15000/quitquitquit)" \
	"the admin API takes no changes from a web browser (the request has an Origin or Sec-Fetch-Site header): use splicegate apply, delete or curl
 403"
sleep 0.2
running "$GW_PID" && pass "the gateway still runs" || fail "a web page stopped the gateway"

# A second gateway beside it, with a socket and ports of its own.
cat >"$WORK/b.yaml" <<YAML
config:
  adminAddr: 127.0.0.1:15100
  statsAddr: 127.0.0.1:15120
  readinessAddr: 127.0.0.1:15121
YAML
first=$GW_PID
"$SG_BIN" -c "$WORK/b.yaml" --admin-socket "$WORK/run/b.sock" --drain-delay 0 >"$WORK/b.log" 2>&1 &
second=$!
PIDS+=("$second")
GW_PIDS+=("$second")
wait_http http://127.0.0.1:15100/config_dump 10 || fail "second gateway did not start: $(cat "$WORK/b.log")"
{ gateway_yaml | sed "s/port: 8080/port: 8081/"; service_yaml one "$ONE"; echo ---; route r3 /three; } >"$WORK/b-gw.yaml"
"$SG_BIN" apply --admin-socket "$WORK/run/b.sock" -f "$WORK/b-gw.yaml" >/dev/null
check "--admin-socket: the second gateway got its apply" \
	"$(curl -s http://127.0.0.1:15100/config_dump | jq -c '[.binds[].listeners[].routes[].name]')" '["r3"]'
check "--admin-socket: the first did not" "$(routes)" '["r2"]'
stop_pid "$second"
stop_pid "$first"

# An admin socket in a directory another user may write is refused: they
# could put a socket of their own in its place and take what root's apply
# sends there (the gateway listened all the same).
mkdir "$WORK/open" && chmod 777 "$WORK/open"
timeout 10 "$SG_BIN" -c "$WORK/b.yaml" --admin-socket "$WORK/open/admin.sock" >"$WORK/open.log" 2>&1
check "an admin socket in a directory others may write: exit status" "$?" 2
grep -qF "admin socket $WORK/open/admin.sock: its directory is another user's or others may write it, who could put a socket of their own there (--admin-socket PATH chooses another)" \
	"$WORK/open.log" && pass "the refusal says why" || fail "refusal: $(cat "$WORK/open.log")"
finish
