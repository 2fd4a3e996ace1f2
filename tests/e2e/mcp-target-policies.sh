# An MCP target's `policies` (agentgateway's SimpleLocalBackendPolicies on
# an `mcp` or `sse` target): backendTLS and backendAuth on every request the
# gateway makes to it. A streamable-HTTP target (mcp_fake.py over TLS, a
# certificate of the scenario's own CA for mcp.test) written http:// with
# backendTLS {root, hostname}: spoken to over TLS, verified against that
# root and name, with backendAuth's key and credentials (a header with its
# prefix, a cookie, a query parameter) on each POST, as its `creds` tool
# shows. An `sse` target (server-everything's sse mode behind
# tls_front.py, a TLS terminator) written https:// with backendTLS's root:
# the SDK client's echo through it, its stream's GET and the POSTs to its
# endpoint carrying the key as a query parameter. A backendTLS whose
# hostname the certificate does not name fails the target with the TLS
# error. config_dump shows the policies (secrets redacted); check refuses
# a stdio target's policies, backendAuth passthrough and the policies the
# gateway does not take, by name.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/mcplib.sh"
TP=3104 # mcp_fake.py over TLS
SP=3105 # server-everything, sse
FP=3106 # tls_front.py to $SP
U=http://127.0.0.1:3000

ca_and_cert mcp "DNS:mcp.test,IP:127.0.0.1"
python3 "$E2E_DIR/mcp_fake.py" $TP "$WORK/fake.log" "$WORK/srv.pem" "$WORK/srv.key" \
	>"$WORK/fake.out" 2>&1 &
PIDS+=("$!")
PORT=$SP node "$EVERY" sse >"$WORK/sse.log" 2>&1 &
PIDS+=("$!")
python3 "$E2E_DIR/tls_front.py" $FP $SP "$WORK/srv.pem" "$WORK/srv.key" "$WORK/front.log" \
	>"$WORK/front.out" 2>&1 &
PIDS+=("$!")
wait_port $TP 10 && wait_port $SP 20 && wait_port $FP 10 || fail "the targets do not listen"

cat >"$WORK/policies.yaml" <<YAML
binds:
- port: 3000
  listeners:
  - routes:
    - name: both
      matches: [{path: {pathPrefix: /mcp}}]
      backends:
      - mcp:
          targets:
          - name: fake
            mcp: {host: "http://127.0.0.1:$TP/mcp"}
            policies:
              backendTLS: {root: $WORK/ca.pem, hostname: mcp.test}
              backendAuth:
                key: {value: sekret, location: {header: {name: authorization, prefix: "Token "}}}
                credentials:
                - {location: {cookie: {name: tenant}}, key: t-42}
                - {location: {queryParameter: {name: sig}}, key: "a b&c"}
          - name: every
            sse: {host: "https://127.0.0.1:$FP/sse"}
            policies:
              backendTLS: {root: $WORK/ca.pem}
              backendAuth: {key: {value: k2, location: {queryParameter: {name: api_key}}}}
    - name: wrong
      matches: [{path: {pathPrefix: /wrong}}]
      backends:
      - mcp:
          targets:
          - name: fake
            mcp: {host: "https://127.0.0.1:$TP/mcp"}
            policies: {backendTLS: {root: $WORK/ca.pem, hostname: other.test}}
YAML
mcp_start "$WORK/policies.yaml" "targets with backendTLS and backendAuth"

out=$(node "$CLIENT" $U/mcp tools 'call:fake_creds:{}' 'call:every_echo:{"message":"t"}' end 2>&1)
has 1 '"version":"splicegate"' "SDK client: initialize through both targets"
has 2 '"every_echo",.*"fake_creds",' "SDK client: both targets' tools"
check "the http:// target over TLS (backendTLS), its credentials on the POST" \
	"$(echo "$out" | sed -n 3p)" \
	'{"call":"fake_creds","text":"authorization=Token sekret cookie=tenant=t-42 path=/mcp?sig=a+b%26c","isError":false}'
check "the sse target over TLS through its root: echo" "$(echo "$out" | sed -n 4p)" \
	'{"call":"every_echo","text":"Echo: t","isError":false}'
check "... its stream's GET with the key in its query" \
	"$(grep -c '^GET /sse?api_key=k2 HTTP/1.1$' "$WORK/front.log")" 1
check "... each POST to its endpoint too" \
	"$(grep '^POST ' "$WORK/front.log" | grep -vc '^POST /message?sessionId=[^&]*&api_key=k2 HTTP/1.1$')" 0
grep -q '^POST /message' "$WORK/front.log" && pass "... (the POSTs went through the front)" ||
	fail "front log: $(head -5 "$WORK/front.log")"

r=$(curl -s -X POST -H "$J" -H "$A" -d "$INIT" $U/wrong)
case $r in
*'"code":-32002,"message":"target fake: tls: '*'certificate verify failed'*) pass "a hostname the certificate does not name: the target fails ($r)" ;;
*) fail "wrong hostname: $r" ;;
esac

check "config_dump: each target's policies, the secrets redacted" \
	"$(mcp_dump | sed -n 1p | python3 -c '
import json, sys
for t in json.load(sys.stdin)["targets"]:
    p = t["policies"]
    tls = p["backendTLS"]
    print(t["name"], tls.get("hostname"), tls["root"].startswith("-----BEGIN"), json.dumps(p["backendAuth"], sort_keys=True))
')" \
	'fake mcp.test True {"credentials": [{"key": "<redacted>", "location": {"cookie": {"name": "tenant"}}}, {"key": "<redacted>", "location": {"queryParameter": {"name": "sig"}}}], "key": {"location": {"header": {"name": "authorization", "prefix": "Token "}}, "value": "<redacted>"}}
every None True {"key": {"location": {"queryParameter": {"name": "api_key"}}, "value": "<redacted>"}}'
stop_gateway

# ---- refused by name ----------------------------------------------------------
refused() { # NAME TARGET-FLOW-MAP EXPECTED-TEXT
	mcp_route "$WORK/bad.yaml" "$2"
	"$SG_BIN" check -c "$WORK/bad.yaml" >"$WORK/out" 2>&1
	grep -qF "$3" "$WORK/out" && pass "check refuses $1" || fail "$1: $(cat "$WORK/out")"
}
refused "a stdio target's policies" \
	'{name: s, stdio: {cmd: cat}, policies: {backendAuth: {key: k}}}' \
	'policies: not supported on a stdio target (it has no backend connection)'
refused "backendAuth passthrough on a target" \
	"{name: h, mcp: {host: \"http://127.0.0.1:$TP/mcp\"}, policies: {backendAuth: {passthrough: {}}}}" \
	'backendAuth.passthrough: not supported on an MCP target'
refused "requestHeaderModifier on a target" \
	"{name: h, mcp: {host: \"http://127.0.0.1:$TP/mcp\"}, policies: {requestHeaderModifier: {add: {a: b}}}}" \
	'requestHeaderModifier: not supported on an MCP target (its policies take backendTLS and backendAuth)'
finish
