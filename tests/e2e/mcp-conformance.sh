# @modelcontextprotocol/conformance's server scenarios (its active suite)
# against @modelcontextprotocol/server-everything, run directly (the server
# in its streamable HTTP mode) and through the gateway (the same server as
# the streamable HTTP target of an mcp route with dnsRebindingProtection):
# no check that succeeds directly fails through the gateway. Both counts
# are printed (the suite is written for its own reference server, so
# server-everything alone fails many of its checks). A check the suite
# only notes (INFO: the gateway answers JSON where the server streams
# every answer, which MCP leaves to the server) is no failure.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/mcplib.sh"
npm_need @modelcontextprotocol/conformance
CONF=$SG_NPM/node_modules/@modelcontextprotocol/conformance/dist/index.js
HP=3101 # server-everything, streamable HTTP

# suite URL DIR: the suite run against URL, each scenario's checks.json
# under DIR, its output in DIR.log.
suite() {
	mkdir -p "$2"
	timeout 120 node "$CONF" server --url "$1" -o "$2" >"$2.log" 2>&1
	[ "$?" = 124 ] && fail "the conformance suite against $1 ran over 120 s"
}

PORT=$HP node "$EVERY" streamableHttp >"$WORK/every.log" 2>&1 &
PIDS+=("$!")
wait_port $HP 20 || fail "server-everything does not listen on :$HP"
suite "http://localhost:$HP/mcp" "$WORK/direct"

cat >"$WORK/gw.yaml" <<YAML
binds:
- port: 3000
  listeners:
  - routes:
    - backends:
      - mcp:
          dnsRebindingProtection: true
          targets:
          - name: everything
            mcp: {host: "http://127.0.0.1:$HP/mcp"}
YAML
mcp_start "$WORK/gw.yaml" "an mcp route to server-everything"
suite "http://localhost:3000/mcp" "$WORK/gateway"
stop_gateway

# Each check as "scenario/id STATUS", from a run's checks.json files.
python3 - "$WORK/direct" "$WORK/gateway" >"$WORK/compare" <<'PY'
import json, os, re, sys

def checks(d):
    got = {}
    for name in os.listdir(d):
        path = os.path.join(d, name, "checks.json")
        if not os.path.exists(path): # a scenario that never finished
            continue
        scenario = re.sub(r"-\d{4}-\d\d-\d\dT[-\dZ]+$", "", name)
        scenario = re.sub(r"^server-", "", scenario)
        with open(path) as f:
            for c in json.load(f):
                got["%s/%s" % (scenario, c["id"])] = c["status"]
    return got

def judged(got):
    return sum(1 for v in got.values() if v in ("SUCCESS", "FAILURE"))

direct, gateway = checks(sys.argv[1]), checks(sys.argv[2])
ok_d = {k for k, v in direct.items() if v == "SUCCESS"}
ok_g = {k for k, v in gateway.items() if v == "SUCCESS"}
print("counts direct %d of %d, gateway %d of %d" % (len(ok_d), judged(direct), len(ok_g),
                                                    judged(gateway)))
for k in sorted(ok_d - ok_g):
    print("%s %s %s" % ("lost" if gateway.get(k, "FAILURE") == "FAILURE" else "noted", k,
                        gateway.get(k, "MISSING")))
for k in sorted(ok_g - ok_d):
    print("gained %s" % k)
PY
counts=$(sed -n 's/^counts //p' "$WORK/compare")
echo "  conformance checks that succeed: $counts"
[ -n "$counts" ] && [ "${counts#direct 0 of}" = "$counts" ] &&
	pass "the suite ran both ways, and server-everything passes some checks directly" ||
	fail "the suite did not run (its output: $WORK/direct.log)"
lost=$(grep -c '^lost ' "$WORK/compare")
check "no check that succeeds directly fails through the gateway" "$lost" 0
grep '^lost ' "$WORK/compare" | sed 's/^/  /'
grep '^noted ' "$WORK/compare" | sed 's/^noted /  only noted through the gateway: /'
grep '^gained ' "$WORK/compare" | sed 's/^gained /  succeeds only through the gateway: /'
finish
