# An emptied config file on reload: `check` warns that a config with no listeners would close every listener; a gateway watching the file closes its listeners and logs a loud warning, unless started with --refuse-empty-reload (as the DaemonSet manifest starts it), where the reload, and an apply or delete that would leave no listener, is refused with the reason and traffic goes on being served.
. "$(dirname "$0")/lib.sh"

start_backend er
mkdir "$WORK/cfg"
one_route_config er
cp "$WORK/config.yaml" "$WORK/cfg/gw.yaml"
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:8080$1"; }
# until_log TEXT: up to 5 s for TEXT in the gateway's log.
until_log() {
	for _ in $(seq 50); do
		grep -qF "$1" "$WORK/gateway.log" && return 0
		sleep 0.1
	done
	return 1
}

: >"$WORK/empty.yaml"
"$SG_BIN" check -c "$WORK/empty.yaml" >"$WORK/out" 2>"$WORK/err"
rc=$?
want="warning: this config has no listeners: a gateway reloading it closes every listener and serves no traffic (unless started with --refuse-empty-reload, which refuses such a reload)"
[ "$rc" = 0 ] && [ "$(cat "$WORK/err")" = "$want" ] && [ "$(cat "$WORK/out")" = "configuration ok" ] &&
	pass "check on an empty file: exit 0 with the warning" ||
	fail "check on an empty file: exit $rc, stderr: $(cat "$WORK/err")"

grep -q '"--refuse-empty-reload"' "$REPO_DIR/config/deploy/daemonset.yaml" &&
	pass "the DaemonSet starts splicegate with --refuse-empty-reload" ||
	fail "daemonset.yaml lacks --refuse-empty-reload"

# With the option: the emptied file is refused, traffic goes on.
start_gateway -c "$WORK/cfg" --refuse-empty-reload || exit 1
[ "$(code /get)" = 200 ] && pass "serving before" || fail "before: $(code /get)"
: >"$WORK/cfg/gw.yaml"
refused="the new config has no listeners: it would close every listener (ports 8080); refused (--refuse-empty-reload)"
until_log "$refused" && grep -qF "reload failed; the config in force is unchanged:" "$WORK/gateway.log" &&
	pass "--refuse-empty-reload: the reload of the emptied file is refused: $refused" ||
	fail "--refuse-empty-reload: no refusal in the log"
sleep 0.5
[ "$(code /get)" = 200 ] && port_listening 8080 && pass "and :8080 goes on serving" ||
	fail "after the refused reload: $(code /get)"
# The file back: the reload goes through.
echo "# back" >>"$WORK/config.yaml"
cp "$WORK/config.yaml" "$WORK/cfg/gw.yaml"
until_log "reloaded: 1 binds" && pass "the file restored reloads" || fail "no reload once restored"
stop_gateway

# A gateway may start with no listener (and be given Gateways by apply);
# deleting the last Gateway is then refused as the emptied file was.
cat >"$WORK/gw.yaml" <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: only, namespace: default}
spec:
  gatewayClassName: agentgateway
  listeners: [{name: http, port: 18081, protocol: HTTP}]
YAML
mkdir "$WORK/none"
start_gateway -c "$WORK/none" --refuse-empty-reload || exit 1
"$SG_BIN" apply -f "$WORK/gw.yaml" >"$WORK/out" 2>&1 && port_listening 18081 &&
	pass "started empty, a Gateway applied: $(cat "$WORK/out")" || fail "apply: $(cat "$WORK/out")"
"$SG_BIN" delete gateway only -n default >"$WORK/out" 2>&1
rc=$?
want="the new config has no listeners: it would close every listener (ports 18081); refused (--refuse-empty-reload)"
if [ "$rc" = 1 ] && [ "$(cat "$WORK/out")" = "$want" ] && port_listening 18081; then
	pass "deleting the last Gateway is refused: $want"
else
	fail "delete of the last Gateway: exit $rc: $(cat "$WORK/out")"
fi
stop_gateway

# Without the option: the listeners close, with a loud warning.
cp "$WORK/config.yaml" "$WORK/cfg/gw.yaml"
start_gateway -c "$WORK/cfg" || exit 1
[ "$(code /get)" = 200 ] && pass "serving before (no option)" || fail "before: $(code /get)"
: >"$WORK/cfg/gw.yaml"
warned="warn  reload: the new config has no listeners: every listener is closed (ports 8080) and no traffic is served; start splicegate with --refuse-empty-reload to refuse such a change"
until_log "$warned" && pass "without the option the reload goes through, logged: $warned" ||
	fail "no warning in the log"
for _ in $(seq 50); do
	port_listening 8080 || break
	sleep 0.1
done
! port_listening 8080 && [ "$(code /get)" = 000 ] && pass "and :8080 is closed" ||
	fail ":8080 still served: $(code /get)"
stop_gateway
finish
