# `splicegate check`: every example config is valid (exit 0); a config with
# one error prints exactly one line naming file:line:col, the key, what was
# expected and what was found, and exits 1; the gateway refuses to start on
# it with the same line and exit 1; a reference that does not resolve is a
# warning (exit 0); a field the gateway cannot honour is an error.
. "$(dirname "$0")/lib.sh"

# gateway-api-policies.yaml goes on top of gateway-api.yaml (its first lines).
ex=$REPO_DIR/config/examples
for f in "$ex"/*.yaml; do
	with=()
	[ "$f" = "$ex/gateway-api-policies.yaml" ] && with=(-c "$ex/gateway-api.yaml")
	if "$SG_BIN" check "${with[@]}" -c "$f" >/dev/null 2>"$WORK/err"; then
		pass "check $(basename "$f")"
	else
		fail "check $(basename "$f")"
		cat "$WORK/err"
	fi
done

cat >"$WORK/bad.yaml" <<'YAML'
binds:
- port: 8080
  listeners:
  - routes:
    - policies:
        retry:
          attempts: 2
          backoff: fast
      backends:
      - host: 127.0.0.1:8000
YAML
want="$WORK/bad.yaml:8:20: binds[0].listeners[0].routes[0].policies.retry.backoff: expected a duration such as \"500ms\" or \"1s\", got \"fast\""
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
rc=$?
[ "$rc" = 1 ] && pass "check exits 1" || fail "check exit $rc"
[ "$(wc -l <"$WORK/err")" = 2 ] && pass "exactly one error and the count" || fail "$(wc -l <"$WORK/err") lines"
[ "$(cat "$WORK/err")" = "$want"$'\n'"1 error: configuration invalid" ] &&
	pass "message names file:line:col, key, expected, found" || fail "got: $(cat "$WORK/err")"

"$SG_BIN" -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
rc=$?
[ "$rc" = 1 ] && pass "gateway refuses a bad config with exit 1" || fail "gateway exit $rc"
grep -qF "$want" "$WORK/err" && pass "gateway prints the same message" || fail "gateway said: $(cat "$WORK/err")"

cat >"$WORK/dangling.yaml" <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: orphan
  namespace: default
spec:
  parentRefs:
  - name: nowhere
  rules:
  - backendRefs: []
YAML
"$SG_BIN" check -c "$WORK/dangling.yaml" >/dev/null 2>"$WORK/err"
[ $? = 0 ] && grep -qF "dangling.yaml:8:11: warning: HTTPRoute default/orphan: spec.parentRefs[0]: not attached (NoMatchingParent): Gateway default/nowhere is not defined" "$WORK/err" &&
	pass "route to an unknown Gateway: accepted with a warning (Kubernetes order)" ||
	fail "dangling: $(cat "$WORK/err")"
cat >"$WORK/unsupported.yaml" <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  listeners: [{name: http, port: 8080, protocol: HTTP}]
  addresses: [{type: IPAddress, value: 10.0.0.1}]
YAML
"$SG_BIN" check -c "$WORK/unsupported.yaml" >/dev/null 2>"$WORK/err"
[ $? = 1 ] && grep -qF "unsupported.yaml:6:14: spec.addresses: expected nothing here" "$WORK/err" &&
	pass "Gateway spec.addresses is refused, naming the field" ||
	fail "addresses: $(cat "$WORK/err")"

"$SG_BIN" check -c "$WORK/does-not-exist.yaml" >/dev/null 2>"$WORK/err"
[ $? = 1 ] && grep -qF "does-not-exist.yaml: No such file or directory" "$WORK/err" &&
	pass "missing file" || fail "missing file: $(cat "$WORK/err")"
# The DaemonSet's ConfigMap carries a config the gateway accepts.
sed -n '/gateway.yaml: |/,/^---/p' "$REPO_DIR/config/deploy/daemonset.yaml" | sed '1d;$d' |
	sed 's/^    //' >"$WORK/cm.yaml"
"$SG_BIN" check -c "$WORK/cm.yaml" >/dev/null 2>&1 && pass "deploy ConfigMap config is valid" ||
	fail "deploy ConfigMap config rejected"
finish
