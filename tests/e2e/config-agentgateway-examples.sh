# agentgateway's example configs (issue 68), as splicegate's own equivalents in tests/e2e/agentgateway-examples/ (same keys, written here; each names the example it stands for): `splicegate check` accepts exactly the ones whose keys splicegate implements (traffic-http in both the binds: and the gateways:/routes: form, local rate limiting, fault injection, traffic-oidc, backend credentials, the JWT the gateway signs (jwtSign), the egress proxy (tls-egress-proxy.sh runs it), mcp-basic, mcp-multiplex, mcp-authentication, traffic-a2a (http-a2a.sh runs it), the token exchanges (http-backend-token-exchange.sh runs them)) and refuses the others with exactly these messages, each naming the key and why (LLM (llm-standalone-epp's services: are read, its inferenceRouting refused), AWS (an mcp backend is read: docs/mcp.md)). scripts/agentgateway-examples.sh runs the originals from a fetched checkout, for the record.
. "$(dirname "$0")/lib.sh"

cd "$E2E_DIR/agentgateway-examples" || finish

# want FILE: check's exact output for FILE (exit 0 for "configuration ok").
declare -A WANT
WANT[traffic-http.yaml]="configuration ok"
WANT[traffic-http-gateways.yaml]="configuration ok"
WANT[ratelimiting-local.yaml]="configuration ok"
WANT[mcp-basic.yaml]="configuration ok"
WANT[mcp-multiplex.yaml]="configuration ok"
WANT[mcp-authentication.yaml]="configuration ok"
WANT[fault-injection.yaml]="configuration ok"
WANT[traffic-oidc.yaml]="configuration ok"
WANT[egress-proxy.yaml]="configuration ok"
WANT[a2a.yaml]="configuration ok"
WANT[token-exchange-rfc8693.yaml]="configuration ok"
WANT[token-exchange-jwt-bearer.yaml]="configuration ok"
WANT[backend-auth.yaml]="configuration ok"
WANT[traffic-jwt-sign.yaml]="configuration ok"
WANT[mcp-llm-cloud.yaml]='mcp-llm-cloud.yaml:11:13: binds[0].listeners[0].routes[1].backends[0].ai: not supported (LLM backends and policies are not supported)
mcp-llm-cloud.yaml:13:14: binds[0].listeners[0].routes[2].backends[0].aws: not supported (AWS backends are a cloud-provider key, not supported)
2 errors: configuration invalid'
WANT[llm-mode.yaml]="llm-mode.yaml:7:3: llm: agentgateway's LLM mode is not supported by splicegate (an HTTP and TCP gateway): write the routes as binds: (agentgateway's routing-based configuration)
1 error: configuration invalid"
WANT[services.yaml]='services.yaml:28:13: binds[0].listeners[0].routes[0].backends[0].policies.inferenceRouting: not supported (LLM inference routing is not supported)
1 error: configuration invalid'

for f in *.yaml; do
	if [ -z "${WANT[$f]+set}" ]; then
		fail "$f: a fixture with no expected outcome here"
		continue
	fi
	out=$("$SG_BIN" check -c "$f" 2>&1)
	rc=$?
	want_rc=1
	[ "${WANT[$f]}" = "configuration ok" ] && want_rc=0
	check "$f: exit $want_rc" "$rc" "$want_rc"
	check "$f: ${WANT[$f]%%$'\n'*}" "$out" "${WANT[$f]}"
done
for f in "${!WANT[@]}"; do
	[ -f "$f" ] || fail "$f: expected here, missing from agentgateway-examples/"
done
finish
