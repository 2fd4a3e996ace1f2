# Fault injection as agentgateway's examples/fault-injection documents
# it: its config as written (the backend's port aside), then its three
# curl commands: /random delays about 10 % of requests by 2 s, /header
# delays a request with x-chaos: 1 by 500 ms (and not one without),
# /abort answers about 10 % with 503 "injected fault". Then what the
# README says around them: a plain duration ("2s"), a condition on a
# header (deterministic), a delay counted against requestTimeout (504 at
# the deadline, not after the sleep), a directResponse answered after its
# route's delay, HTTP/2, config_dump in agentgateway's shape, and a bad
# expression refused at its column.
. "$(dirname "$0")/lib.sh"

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:3000

cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 3000
  listeners:
  - protocol: HTTP
    routes:
    - name: delay-probability
      matches:
      - path:
          pathPrefix: /random
      policies:
        delay:
          duration: "random() < 0.1 ? 2000 : 0"
      backends:
      - host: 127.0.0.1:$V1
    - name: delay-header
      matches:
      - path:
          pathPrefix: /header
      policies:
        delay:
          duration: 'request.headers["x-chaos"] == "1" ? 500 : 0'
      backends:
      - host: 127.0.0.1:$V1
    - name: abort-probability
      matches:
      - path:
          pathPrefix: /abort
      policies:
        directResponse:
          conditional:
          - condition: random() < 0.1
            status: 503
            body: "injected fault"
      backends:
      - host: 127.0.0.1:$V1
    - name: fixed
      matches: [{path: {pathPrefix: /fixed}}]
      policies:
        delay: {duration: 1s}
      backends: [{host: 127.0.0.1:$V1}]
    - name: deadline
      matches: [{path: {pathPrefix: /deadline}}]
      policies:
        timeout: {requestTimeout: 1s}
        delay: {duration: 'duration("3s")'}
      backends: [{host: 127.0.0.1:$V1}]
    - name: gate
      matches: [{path: {pathPrefix: /gate}}]
      policies:
        directResponse:
          conditional:
          - condition: request.headers["x-fail"] == "1"
            status: 503
            body: "injected fault"
          - condition: request.headers["x-fail"] == "2"
            status: 429
            body: "slow down"
      backends: [{host: 127.0.0.1:$V1}]
    - name: slow-answer
      matches: [{path: {pathPrefix: /slow-answer}}]
      policies:
        delay: {duration: 1s}
        directResponse: {status: 200, body: "late"}
YAML
if ! start_engine auto -p 3000 -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

# The README's commands.
hcall -H 'x-chaos: 1' "$u/header"
expect "README: /header with x-chaos: 1 is delayed 500 ms" 200 "*" 0.45 10
hcall "$u/header"
expect "/header without x-chaos: no delay" 200 "*" 0 0.45

# /random: 80 requests at once (bounded: each under 10 s); about 10 % take
# 2 s. None delayed has odds 0.9^80 (2e-4), all delayed far less.
seq 80 | xargs -P 40 -I{} curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
	--max-time 10 "$u/random/{}" >"$WORK/random" 2>/dev/null
check "README: /random: 80 answers, all 200" "$(grep -c '^200 ' "$WORK/random")" 80
slow=$(awk '$2 >= 1.9' "$WORK/random" | wc -l)
if [ "$slow" -ge 1 ] && [ "$slow" -le 40 ]; then
	pass "README: /random: $slow of 80 delayed by 2 s (about 10 %)"
else
	fail "README: /random: $slow of 80 delayed by 2 s, want 1..40"
fi

# /abort: 200 requests, one at a time (bounded: each under 10 s).
for i in $(seq 200); do
	curl -s -w ' %{http_code}\n' --max-time 10 "$u/abort/$i"
done >"$WORK/abort"
aborted=$(grep -c '^injected fault 503$' "$WORK/abort")
served=$(grep -c ' 200$' "$WORK/abort")
check "README: /abort: every answer is 503 \"injected fault\" or the backend's 200" \
	"$((aborted + served))" 200
if [ "$aborted" -ge 3 ] && [ "$aborted" -le 60 ]; then
	pass "README: /abort: $aborted of 200 aborted (about 10 %)"
else
	fail "README: /abort: $aborted of 200 aborted, want 3..60"
fi

hcall "$u/fixed"
expect "delay: 1s, a plain duration, delays every request" 200 "*" 0.95 10
hcall --http2-prior-knowledge -H 'x-chaos: 1' "$u/header"
expect "HTTP/2: /header with x-chaos: 1 is delayed 500 ms" 200 "*" 0.45 10
hcall "$u/deadline"
expect "a 3 s delay past requestTimeout 1s: 504 at the deadline" 504 "request timeout" 0.95 2.9
hcall -H 'x-fail: 1' "$u/gate"
expect "conditional: the first entry whose condition holds answers" 503 "injected fault"
hcall -H 'x-fail: 2' "$u/gate"
expect "conditional: the second entry" 429 "slow down"
hcall "$u/gate"
expect "conditional: no entry holds: forwarded" 200 "*"
hcall --http2-prior-knowledge -H 'x-fail: 1' "$u/gate"
expect "HTTP/2: conditional answer" 503 "injected fault"
hcall "$u/slow-answer"
expect "a directResponse waits for its route's delay" 200 "late" 0.95 10

got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.binds[0].listeners[].routes[] | select(.name == "delay-header" or .name == "abort-probability" or .name == "fixed") | .inlinePolicies]')
json_equal "config_dump: delay and conditional directResponse as agentgateway prints them" "$got" \
	'[[{"delay": {"duration": "request.headers[\"x-chaos\"] == \"1\" ? 500 : 0"}}], [{"directResponse": {"conditional": [{"condition": "random() < 0.1", "body": "aW5qZWN0ZWQgZmF1bHQ=", "status": 503}]}}], [{"delay": {"duration": "duration(\"1s\")"}}]]'

sed 's/duration: 1s}/duration: "1 +"}/' "$WORK/cfg.yaml" >"$WORK/bad.yaml"
"$SG_BIN" check -c "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"
check "check refuses a delay that does not compile: exit 1" "$?" 1
check "the refusal names the key and the expression's column" \
	"$(grep -o 'policies.delay.duration: column [0-9]*' "$WORK/err" | sort -u)" \
	"policies.delay.duration: column 4"
finish
