# retry.precondition and retry.condition, agentgateway's CEL on a
# standalone route's retry: a 200 whose header says it failed is retried
# as a listed code is (attempts 2: three tries, the last response
# answered), one that does not say so is not; a POST, for which the
# precondition is false, gets one try whatever comes back, a listed code
# included; over HTTP/1 and h2c. The backend counts the tries it saw
# (sgbackend's /count). config_dump shows both expressions as written, and
# a condition that reads response.body is refused by check with its key
# and why (agentgateway reads the condition before the body).
. "$(dirname "$0")/lib.sh"

start_backend b
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: web
    routes:
    - name: r
      policies:
        retry:
          attempts: 2
          codes: [503]
          precondition: 'request.method == "GET"'
          condition: 'response.headers["x-failed"] == "yes"'
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

# call CURL-ARGS...: a request with a new uuid (it runs in a subshell:
# the clock's ns make it new); prints "status tries".
call() {
	local u code
	u="rc-$(date +%s%N)"
	code=$(curl -s -o /dev/null -w '%{http_code}' "$@" "http://127.0.0.1:8080/x?uuid=$u&$Q")
	echo "$code $(curl -s "http://127.0.0.1:$BACKEND_PORT/count?uuid=$u" | jq .attempts)"
}

for opt in --http1.1 --http2-prior-knowledge; do
	Q=
	check "$opt GET, the response says it failed: retried twice, the last answered" \
		"$(call $opt -H 'X-Echo-Set-Header: X-Failed: yes')" "200 3"
	check "$opt GET, the response says it did not fail: one try" \
		"$(call $opt -H 'X-Echo-Set-Header: X-Failed: no')" "200 1"
	check "$opt POST (precondition false), the response says it failed: one try" \
		"$(call $opt -X POST -d '' -H 'X-Echo-Set-Header: X-Failed: yes')" "200 1"
	Q=responseCode=503
	check "$opt GET, a listed code: retried twice" "$(call $opt)" "503 3"
	check "$opt POST, a listed code: one try" "$(call $opt -X POST -d '')" "503 1"
done

check "config_dump shows both as written" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -c '[.binds[0].listeners[].routes[].inlinePolicies[] | select(.retry) | .retry | .precondition, .condition]')" \
	'["request.method == \"GET\"","response.headers[\"x-failed\"] == \"yes\""]'

sed 's|condition: .response.headers.*|condition: '"'"'response.body == "x"'"'"'|' "$WORK/cfg.yaml" >"$WORK/bad.yaml"
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "a condition that reads a body is refused by check: exit 1" "$?" 1
check "the refusal names the key and says why" \
	"$(grep -c 'policies.retry.condition: a retry condition is evaluated over each try.s response head, before its body is read (agentgateway.s response.body is null there): response.body cannot be read' "$WORK/err")" 1
finish
