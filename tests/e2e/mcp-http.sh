# MCP targets over streamable HTTP: @modelcontextprotocol/server-everything
# run in its streamableHttp mode as the target and the official SDK's client
# (tests/e2e/mcp-client.mjs) as the client. initialize, tools/list, echo and
# get-sum answered through the gateway (the target's SSE answers read);
# the target's session begun once per client session and ended with a
# DELETE when the client ends its own; config_dump's target. A federation
# of a stdio and an HTTP target with prefixes. A target that is down:
# failClosed fails initialize with connect's error, failOpen serves the
# other. A scriptable target (mcp_fake.py, plain JSON answers) shows the
# headers the gateway sends it after initialize, and each failure a client
# sees as a JSON-RPC error naming the target: a 500, a body that is not
# JSON, an answer over the bound, a session the target forgot (404: the
# target is gone for that session); an event stream the target keeps open
# answered as soon as the response is in it. The POSTs of a session go on
# one kept-alive connection to its target (server-everything: its
# answers' event streams read to their end; mcp_fake.py: JSON answers,
# and a failed read costs the connection). A target killed under a
# session: the next call fails at once. https targets: TLS verified
# against SSL_CERT_FILE's CA (a self-signed server and a plain-HTTP one
# fail with the TLS error, naming the target).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/mcplib.sh"
HP=3101   # server-everything, streamable HTTP
FP=3102   # mcp_fake.py
DOWN=3103 # nothing listens there

# start_everything: server-everything on $HP; its log is $WORK/every.log.
start_everything() {
	PORT=$HP node "$EVERY" streamableHttp >>"$WORK/every.log" 2>&1 &
	EVERY_PID=$!
	PIDS+=("$EVERY_PID")
	wait_port $HP 20 || fail "server-everything does not listen on :$HP"
}

# count_in FILE PATTERN WANT: the lines of FILE matching PATTERN, once
# there are WANT of them (within 5 s) and half a second more passed (a
# late one counts).
count_in() {
	for _ in $(seq 50); do
		[ "$(grep -c "$2" "$1" 2>/dev/null)" -ge "$3" ] && break
		sleep 0.1
	done
	sleep 0.5
	grep -c "$2" "$1" 2>/dev/null
}

start_everything
port_listening $DOWN && fail "something listens on :$DOWN"

# ---- one HTTP target behind the mcp: shorthand ------------------------------
cat >"$WORK/one.yaml" <<YAML
mcp:
  port: 3000
  targets:
  - name: everything
    mcp:
      host: http://127.0.0.1:$HP/mcp
YAML
mcp_start "$WORK/one.yaml" "an mcp (streamable HTTP) target" 2
sdk_one_target 'call:get-sum:{"a":2,"b":3}'
check "SDK client: tools/call get-sum" "$(echo "$out" | sed -n 5p)" \
	'{"call":"get-sum","text":"The sum of 2 and 3 is 5.","isError":false}'
check "the target saw one session begin" "$(count_in "$WORK/every.log" 'Session initialized' 1)" 1
check "the client's DELETE ended the target's session" \
	"$(count_in "$WORK/every.log" 'Received session termination request' 1)" 1

# target_conns: the connections to server-everything (:$HP) the kernel
# knows of, open or closed within a minute (TIME-WAIT), by their client
# port: each appears once whichever end closed it.
target_conns() {
	ss -Htan | awk -v p=":$HP" '
		$4 ~ p"$" && $5 !~ /\*/ { n = split($5, a, ":"); seen[a[n]] = 1 }
		$5 ~ p"$" { n = split($4, a, ":"); seen[a[n]] = 1 }
		END { for (k in seen) print k }' | sort -n
}
# curl's session: initialize, the notification, 10 tools/call echo
target_conns >"$WORK/conns0"
S=$(init_session http://127.0.0.1:3000/mcp)
curl -s -o /dev/null -X POST -H "$J" -H "$A" -H "mcp-session-id: $S" \
	-d '{"jsonrpc":"2.0","method":"notifications/initialized"}' http://127.0.0.1:3000/mcp
ok=0
for i in $(seq 1 10); do
	curl -s -X POST -H "$J" -H "$A" -H "mcp-session-id: $S" \
		-d "{\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"m$i\"}}}" \
		http://127.0.0.1:3000/mcp | grep -q "Echo: m$i" && ok=$((ok + 1))
done
check "10 calls of a session answered through the HTTP target" "$ok" 10
target_conns >"$WORK/conns1"
check "its 12 POSTs went on one connection to the target" \
	"$(comm -13 "$WORK/conns0" "$WORK/conns1" | wc -l)" 1
curl -s -o /dev/null -X DELETE -H "mcp-session-id: $S" http://127.0.0.1:3000/mcp
check "config_dump: the mcp target" "$(mcp_dump)" \
	"{\"statefulMode\": \"stateful\", \"targets\": [{\"mcp\": {\"host\": \"127.0.0.1\", \"path\": \"/mcp\", \"port\": $HP}, \"name\": \"everything\"}]}"
stop_gateway

# ---- federation: a stdio and an HTTP target, prefixed ------------------------
mcp_route "$WORK/fed.yaml" '{name: local, stdio: {cmd: node, args: ["'"$EVERY"'", "stdio"]}}' \
	"{name: remote, mcp: {host: 127.0.0.1, port: $HP, path: /mcp}}"
mcp_start "$WORK/fed.yaml" "a stdio and an HTTP target"
out=$(node "$CLIENT" http://127.0.0.1:3000/mcp tools 'call:remote_get-sum:{"a":20,"b":22}' \
	'call:local_echo:{"message":"l"}' 'call:remote_echo:{"message":"r"}' end 2>&1)
has 2 '"local_echo",.*"local_get-sum",.*"remote_echo",.*"remote_get-sum"' \
	"tools/list: both targets' tools, prefixed"
check "remote_get-sum goes to the HTTP target" "$(echo "$out" | sed -n 3p)" \
	'{"call":"remote_get-sum","text":"The sum of 20 and 22 is 42.","isError":false}'
check "local_echo goes to the stdio target" "$(echo "$out" | sed -n 4p)" \
	'{"call":"local_echo","text":"Echo: l","isError":false}'
check "remote_echo goes to the HTTP target" "$(echo "$out" | sed -n 5p)" \
	'{"call":"remote_echo","text":"Echo: r","isError":false}'
check "the federation's end ended the HTTP target's session" \
	"$(count_in "$WORK/every.log" 'Received session termination request' 3)" 3
stop_gateway

# ---- a target that is down ---------------------------------------------------
U=http://127.0.0.1:3000
# call SESSION PATH TOOL: the body of tools/call TOOL.
call() {
	curl -s -X POST -H "$J" -H "$A" -H "mcp-session-id: $1" \
		-d "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"$3\",\"arguments\":{\"message\":\"x\"}}}" \
		"$U$2"
}
failure_modes "$WORK/down.yaml" "{name: good, mcp: {host: \"http://127.0.0.1:$HP/mcp\"}}" \
	"{name: down, mcp: {host: \"http://127.0.0.1:$DOWN/mcp\"}}" \
	"{name: down, mcp: {host: \"http://127.0.0.1:$DOWN/mcp\"}}"
mcp_start "$WORK/down.yaml" "targets that are down"
S=$(init_session $U/closed)
check "failClosed: initialize fails with connect's error, no session" "$S $(cat "$WORK/body")" \
	" {\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32002,\"message\":\"target down: connect 127.0.0.1:$DOWN: Connection refused\"}}"
fail_open_served down
S=$(init_session $U/open)
check "failOpen: the down target's error names it" "$(call "$S" /open down_echo)" \
	"{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32002,\"message\":\"target down: connect 127.0.0.1:$DOWN: Connection refused\"}}"

# The target killed under a session: the next call is an error at once.
check "before the kill: the target answers" "$(call "$S" /open good_echo)" \
	'{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"Echo: x"}]}}'
kill -KILL "$EVERY_PID"
wait "$EVERY_PID" 2>/dev/null
t0=$(date +%s%N)
r=$(call "$S" /open good_echo)
ms=$((($(date +%s%N) - t0) / 1000000))
check "a killed target: its call fails with connect's error" "$r" \
	"{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32002,\"message\":\"target good: connect 127.0.0.1:$HP: Connection refused\"}}"
[ "$ms" -lt 1000 ] && pass "the error came within a second (${ms} ms)" || fail "took ${ms} ms"
stop_gateway

# ---- a scriptable target: JSON answers, headers, failures --------------------
python3 "$E2E_DIR/mcp_fake.py" $FP "$WORK/fake.log" >"$WORK/fake.out" 2>&1 &
PIDS+=("$!")
wait_port $FP 10 || fail "mcp_fake.py does not listen on :$FP"
cat >"$WORK/fake.yaml" <<YAML
mcp:
  port: 3000
  targets:
  - {name: fake, mcp: {host: "http://127.0.0.1:$FP/anywhere"}}
YAML
mcp_start "$WORK/fake.yaml" "the scriptable target"
S=$(init_session $U/mcp)
grep -q '"protocolVersion":"2025-06-18"' "$WORK/body" &&
	pass "initialize through a JSON-answering target" || fail "initialize: $(cat "$WORK/body")"
check "notifications/initialized: 202" "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
	-H "$J" -H "$A" -H "mcp-session-id: $S" \
	-d '{"jsonrpc":"2.0","method":"notifications/initialized"}' $U/mcp)" 202
check "the target gets its session id and the agreed version" "$(call "$S" /mcp whoami)" \
	'{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"session=fake-1 version=2025-06-18"}]}}'
check "a 500: its JSON-RPC error's message" "$(call "$S" /mcp fail)" \
	'{"jsonrpc":"2.0","id":5,"error":{"code":-32002,"message":"target fake: it answered 500: boom"}}'
check "an answer that is not JSON" "$(call "$S" /mcp garbage)" \
	'{"jsonrpc":"2.0","id":5,"error":{"code":-32002,"message":"target fake: its answer held no response to the request"}}'
check "an answer over the bound" "$(call "$S" /mcp huge)" \
	'{"jsonrpc":"2.0","id":5,"error":{"code":-32002,"message":"target fake: answer over 5242880 bytes"}}'
t0=$(date +%s%N)
r=$(call "$S" /mcp linger)
ms=$((($(date +%s%N) - t0) / 1000000))
check "an event stream the target keeps open: its response" "$r" \
	'{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"lingered"}]}}'
[ "$ms" -lt 5000 ] && pass "answered once the response came (${ms} ms), not when the stream ended" ||
	fail "took ${ms} ms"
check "the session still serves after the failures" "$(call "$S" /mcp whoami)" \
	'{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"session=fake-1 version=2025-06-18"}]}}'
check "a 404 to the target's session: the target is gone" "$(call "$S" /mcp forget)" \
	'{"jsonrpc":"2.0","id":5,"error":{"code":-32002,"message":"target fake: its session ended (404)"}}'
check "and stays gone for that session" "$(call "$S" /mcp whoami)" \
	'{"jsonrpc":"2.0","id":5,"error":{"code":-32002,"message":"target fake: its session ended (404)"}}'
S2=$(init_session $U/mcp)
check "a new session begins a new target session" "$(call "$S2" /mcp whoami)" \
	'{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"session=fake-2 version=2025-06-18"}]}}'
check "DELETE: 200" "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "mcp-session-id: $S2" $U/mcp)" 200
check "the target's session ended with a DELETE" "$(count_in "$WORK/fake.log" '^DELETE fake-2' 1)" 1
check "DELETE of the session whose target is gone: 200" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "mcp-session-id: $S" $U/mcp)" 200
check "a gone target's session gets no DELETE" "$(count_in "$WORK/fake.log" '^DELETE fake-1' 0)" 0
check "the target saw the notification after initialize, before the next request" \
	"$(sed -n 1,3p "$WORK/fake.log" | awk '{print $1, $2, $3}' | tr '\n' ';')" \
	'POST - initialize;POST fake-1 notifications/initialized;POST fake-1 tools/call;'
check "those three on one connection" "$(sed -n 1,3p "$WORK/fake.log" | awk '{print $4}' | sort -u | wc -l)" 1
# A whole answer, a 500's too, leaves its connection for the next POST; a
# read that failed (the answer over the bound) costs it and those kept
# beside it, and so does a stream the target keeps open (linger: c2).
check "the connections of session 1's POSTs: a new one after each failed read" \
	"$(grep '^POST fake-1 ' "$WORK/fake.log" | awk '{print $4}' | tr '\n' ' ')" \
	'c1 c1 c1 c1 c1 c2 c3 c3 '
stop_gateway

# ---- https targets: TLS with the system's CAs (SSL_CERT_FILE) ----------------
ca_and_cert mcp
# the same name, signed by no CA the gateway trusts
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mcp \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/self.key" -out "$WORK/self.pem" 2>/dev/null
TP=3104 # mcp_fake.py over TLS, its certificate the CA's
XP=3105 # mcp_fake.py over TLS, self-signed
python3 "$E2E_DIR/mcp_fake.py" $TP "$WORK/tls.log" "$WORK/srv.pem" "$WORK/srv.key" \
	>"$WORK/tls.out" 2>&1 &
PIDS+=("$!")
python3 "$E2E_DIR/mcp_fake.py" $XP "$WORK/self.log" "$WORK/self.pem" "$WORK/self.key" \
	>"$WORK/self.out" 2>&1 &
PIDS+=("$!")
wait_port $TP 10 && wait_port $XP 10 || fail "the TLS mcp_fake.py do not listen"
failure_modes "$WORK/tls.yaml" "{name: good, mcp: {host: \"https://127.0.0.1:$TP/mcp\"}}" \
	"{name: self, mcp: {host: \"https://127.0.0.1:$XP/mcp\"}}" \
	"{name: plain, mcp: {host: \"https://127.0.0.1:$FP/mcp\"}}"
export SSL_CERT_FILE=$WORK/ca.pem
mcp_start "$WORK/tls.yaml" "https targets"
unset SSL_CERT_FILE
S=$(init_session $U/closed)
r=$(cat "$WORK/body")
case $r in
*'"message":"target self: tls: '*'certificate verify failed'*) pass "an https target whose certificate no trusted CA signed: initialize fails ($r)" ;;
*) fail "self-signed target: $r" ;;
esac
check "the failed initialize's session on the good target ended with a DELETE" \
	"$(count_in "$WORK/tls.log" '^DELETE fake-1' 1)" 1
S=$(init_session $U/open)
check "an https target: the session goes to it over TLS" "$(call "$S" /open good_whoami)" \
	'{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"session=fake-2 version=2025-06-18"}]}}'
r=$(call "$S" /open plain_whoami)
case $r in
*'"code":-32002,"message":"target plain: tls: '*) pass "https to a server that speaks no TLS: an error naming the target ($r)" ;;
*) fail "plain target over https: $r" ;;
esac
check "the TLS target's session ended with a DELETE" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "mcp-session-id: $S" $U/open) $(count_in "$WORK/tls.log" '^DELETE fake-2' 1)" '200 1'
stop_gateway
finish
