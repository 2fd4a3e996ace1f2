# What MCP targets send the client, through the gateway: a POST's event
# stream and the session's GET stream. With
# @modelcontextprotocol/server-everything over stdio as the target and
# the official SDK's client: a long-running tool's progress notifications
# on its call's stream, the sampling the target asks of the client relayed
# and answered, simulated logging on the call's stream and then on the GET
# stream. Raw: GET without Accept: text/event-stream 406, without a session
# 400, of an unknown one 404; a GET's stream opens 200 text/event-stream
# (chunked over HTTP/1.1, and over HTTP/2), carries a notification the
# target sends outside any streaming call, passes to a second GET, and ends
# when its session does; a POST (which accepts event streams, as it
# must) whose target logs during the call gets the log and then its
# result as events, and so its progress, over HTTP/1.1 and HTTP/2. The
# same server as a streamable HTTP target: its progress relayed, and its
# logging, sent on its own GET stream (which the gateway opens while the
# client has the session's open), reaches the client's GET stream. A
# scriptable stdio target (mcp_stdio_fake.py): roots/list asked of the SDK
# client; a target that floods is cut off with a JSON-RPC error while
# another session's goes on; a target whose client does not read its GET
# stream is cut off once the session's streams hold 8 MiB; a GET whose
# client left bytes unread is cut when another takes over.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/mcplib.sh"
U=http://127.0.0.1:3000/mcp
code_body() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; echo " $(cat "$WORK/body")"; }
SSE='accept: text/event-stream'


# events FILE: each event's data of an event stream, one line each:
# "progress N/TOTAL TOKEN", "log", or "result ID TEXT".
events() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    if not line.startswith("data: "):
        continue
    m = json.loads(line[6:])
    if m.get("method") == "notifications/progress":
        p = m["params"]
        print("progress %s/%s %s" % (p["progress"], p["total"], p["progressToken"]))
    elif m.get("method") == "notifications/message":
        print("log")
    elif "result" in m:
        print("result %s %s" % (m["id"], m["result"]["content"][0]["text"]))
    else:
        print(json.dumps(m))
' "$1"
}

# call_tool SESSION ID NAME ARGS [ACCEPT [CURL-OPTION...]]: tools/call
# posted (ACCEPT: both types, as a POST must); the answer's status and
# body.
call_tool() {
	local s=$1 id=$2 name=$3 args=$4 acc=${5:-$A}
	shift 5 2>/dev/null || shift $#
	code_body "$@" -X POST -H "$J" -H "$acc" -H "mcp-session-id: $s" \
		-d "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"tools/call\",\"params\":{\"name\":\"$name\",\"arguments\":$args}}" $U
}

# ---- server-everything and the SDK client --------------------------------
cat >"$WORK/every.yaml" <<YAML
mcp:
  port: 3000
  targets:
  - name: everything
    stdio: {cmd: node, args: ["$EVERY", "stdio"]}
YAML
mcp_start "$WORK/every.yaml" "one stdio target"
out=$(MCP_CAPS=sampling node "$CLIENT" $U \
	'progress:trigger-long-running-operation:{"duration":1,"steps":4}' \
	'call:trigger-sampling-request:{"prompt":"hi"}' \
	'call:toggle-simulated-logging:{}' 'logs:2:15' end 2>&1)
check "SDK client: four progress notifications, then the result" "$(progress_line 2 4)" \
	'{"call":"trigger-long-running-operation","progress":4,"text":"Long running operation completed. Duration: 1 seconds, Steps: 4."}'
has 3 'sampled by the e2e client' "SDK client: the target's sampling request answered by the client"
has 4 'Started simulated' "SDK client: simulated logging started"
check "SDK client: logging on the call's stream, then on the GET stream" \
	"$(echo "$out" | sed -n 5p)" '{"logs":2}'
check "SDK client: DELETE" "$(echo "$out" | sed -n 6p)" '{"end":true}'

# ---- raw GETs ---------------------------------------------------------------
S=$(session $U)
check "GET without Accept: text/event-stream: 406" "$(code_body -H "mcp-session-id: $S" $U)" \
	'406 {"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Accept must name text/event-stream"}}'
check "GET without a session: 400" "$(code_body -H "$SSE" $U)" \
	'400 {"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Mcp-Session-Id is required"}}'
check "GET of an unknown session: 404" "$(code_body -H "$SSE" -H 'mcp-session-id: 00ff' $U)" \
	'404 {"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"no such MCP session"}}'

# A GET stream; a POST whose tool logs at once: its answer is a stream,
# the log then the result; the logs that come after (every 5 s), outside
# any call, go on the GET stream; a second GET takes the stream over (the
# first ends); DELETE ends the second.
curl -s -N -D "$WORK/g1head" -o "$WORK/g1body" --max-time 30 -H "$SSE" -H "mcp-session-id: $S" $U &
G1=$!
sleep 0.5
call_tool "$S" 2 toggle-simulated-logging '{}' >/dev/null
check "a POST whose tool logs at once: a stream, its log then its result" \
	"$(events "$WORK/body" | tr '\n' '|' | cut -c1-29)" 'log|result 2 Started simulate'
for _ in $(seq 80); do grep -q '^data: ' "$WORK/g1body" 2>/dev/null && break; sleep 0.1; done
curl -s -N --http2-prior-knowledge -D "$WORK/g2head" -o "$WORK/g2body" --max-time 20 \
	-H "$SSE" -H "mcp-session-id: $S" $U &
G2=$!
t0=$(date +%s%N)
wait $G1
check "the first GET ends when a second opens: curl's status" "$?" 0
sleep 0.3
check "DELETE the session: 200" "$(code_body -X DELETE -H "mcp-session-id: $S" $U)" '200 '
wait $G2
check "the second GET (HTTP/2) ends with its session: curl's status" "$?" 0
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 5000 ] && pass "the GETs ended at once (${ms} ms)" || fail "the GETs took ${ms} ms"
check "GET over HTTP/1.1: 200, an event stream, chunked" \
	"$(tr -d '\r' <"$WORK/g1head" | grep -iE '^(HTTP|content-type|transfer-encoding|cache-control)' | tr 'A-Z' 'a-z' | sort | tr '\n' '|')" \
	'cache-control: no-cache|content-type: text/event-stream|http/1.1 200 ok|transfer-encoding: chunked|'
check "the first GET carried the log sent outside a streaming call" "$(events "$WORK/g1body")" 'log'
check "GET over HTTP/2: 200, an event stream" \
	"$(tr -d '\r' <"$WORK/g2head" | grep -iE '^(HTTP|content-type)' | tr 'A-Z' 'a-z' | sort | tr '\n' '|')" \
	'content-type: text/event-stream|http/2 200 |'

# A POST that takes event streams, with a progress token: its progress
# and then its result as events, over HTTP/1.1 and HTTP/2.
S=$(session $U)
for v in http1.1 http2-prior-knowledge; do
	call_tool "$S" 3 trigger-long-running-operation '{"duration":0.4,"steps":2},"_meta":{"progressToken":"tok"}' \
		"$A" -D "$WORK/phead" "--$v" >/dev/null
	check "a POST's event stream ($v): 200 text/event-stream" \
		"$(tr -d '\r' <"$WORK/phead" | grep -ic '^content-type: text/event-stream')" 1
	check "a POST's event stream ($v): its progress, then its result" \
		"$(events "$WORK/body" | tr '\n' '|')" \
		'progress 1/2 tok|progress 2/2 tok|result 3 Long running operation completed. Duration: 0.4 seconds, Steps: 2.|'
done
stop_gateway

# ---- server-everything over streamable HTTP -----------------------------------
HP=3101
PORT=$HP node "$EVERY" streamableHttp >"$WORK/every.log" 2>&1 &
PIDS+=("$!")
wait_port $HP 20 || fail "server-everything does not listen on :$HP"
cat >"$WORK/http.yaml" <<YAML
mcp:
  port: 3000
  targets:
  - name: everything
    mcp: {host: "http://127.0.0.1:$HP/mcp"}
YAML
mcp_start "$WORK/http.yaml" "one streamable HTTP target"
out=$(node "$CLIENT" $U 'progress:trigger-long-running-operation:{"duration":1,"steps":4}' \
	'call:toggle-simulated-logging:{}' 'logs:2:15' end 2>&1)
check "HTTP target: four progress notifications, then the result" "$(progress_line 2 4)" \
	'{"call":"trigger-long-running-operation","progress":4,"text":"Long running operation completed. Duration: 1 seconds, Steps: 4."}'
check "HTTP target: its logging, from its GET stream to the client's" \
	"$(echo "$out" | sed -n 4p)" '{"logs":2}'
stop_gateway

# ---- a scriptable stdio target ------------------------------------------------
cat >"$WORK/fake.yaml" <<YAML
mcp:
  port: 3000
  targets:
  - name: fake
    stdio: {cmd: python3, args: ["$E2E_DIR/mcp_stdio_fake.py"]}
YAML
mcp_start "$WORK/fake.yaml" "a scriptable stdio target"
out=$(MCP_CAPS=roots node "$CLIENT" $U 'call:ask:{}' 'call:hello:{}' end 2>&1)
check "roots/list asked of the SDK client on the call's stream, its answer back" \
	"$(echo "$out" | sed -n 2p)" '{"call":"ask","text":"file:///e2e","isError":false}'
check "the target answers on" "$(echo "$out" | sed -n 3p)" \
	'{"call":"hello","text":"hello","isError":false}'

F1=$(session $U)
F2=$(session $U)
r=$(call_tool "$F1" 4 flood '{}')
check "a flooding target: cut off, its call's stream ends with a JSON-RPC error" \
	"${r%% *} $(grep '^data: ' "$WORK/body" | tail -1 | cut -c7-)" \
	'200 {"jsonrpc":"2.0","id":4,"error":{"code":-32002,"message":"target fake: it sent more than 1000 messages for the client in a second"}}'
check "another session's target answers on" "$(call_tool "$F2" 5 hello '{}')" \
	'200 {"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"hello"}]}}'

# lazy_get.py SESSION OPENED [READ RESULT]: a GET stream whose client reads
# nothing past its head (a socket with a 4 KiB buffer); OPENED holds the
# head once it came. Then it waits (60 s at most) for the file READ, reads
# on until the stream ends (10 s without a byte: it stops), and writes to
# RESULT "last chunk" when the stream ended with its last chunk, else "cut".
cat >"$WORK/lazy_get.py" <<'PY'
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", 3000))
s.sendall(("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nAccept: text/event-stream\r\n"
           "Mcp-Session-Id: %s\r\n\r\n" % sys.argv[1]).encode())
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1)
open(sys.argv[2], "w").write(head.decode())
if len(sys.argv) < 5:
    time.sleep(60)
    sys.exit(0)
for _ in range(600):
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.1)
s.settimeout(10)
got = bytearray()  # bytes += would copy what came so far at each read
try:
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        got += b
        if got.endswith(b"\r\n0\r\n\r\n"):
            break
except OSError as e:
    got += b"[" + type(e).__name__.encode() + b"]"
open(sys.argv[4], "w").write("last chunk" if got.endswith(b"\r\n0\r\n\r\n") else "cut")
PY
B=$(session $U)
python3 "$WORK/lazy_get.py" "$B" "$WORK/opened" &
R=$!
PIDS+=("$R")
for _ in $(seq 100); do [ -s "$WORK/opened" ] && break; sleep 0.1; done
check "the GET that reads nothing: 200" "$(head -1 "$WORK/opened" | tr -d '\r')" 'HTTP/1.1 200 OK'
check "25 MiB for the GET stream after the answer" \
	"$(call_tool "$B" 6 later '{"n":400,"size":65536}' | cut -c1-30)" '200 {"jsonrpc":"2.0","id":6,"r'
sleep 1
check "a target whose client reads nothing: cut off at 8 MiB" \
	"$(call_tool "$B" 60 hello '{}')" \
	'200 {"jsonrpc":"2.0","id":60,"error":{"code":-32002,"message":"target fake: it sent more than the client reads: 8 MiB wait for it"}}'
check "another session's target answers on" "$(call_tool "$F2" 7 hello '{}' | cut -c1-30)" \
	'200 {"jsonrpc":"2.0","id":7,"r'
kill "$R" 2>/dev/null

# A GET whose client left 4 MiB unread, taken over by a second GET: the
# first is cut (no last chunk), so that it does not go on holding them
# outside the session's 8 MiB; the second carries what comes next. Before,
# the first ended gracefully behind its unread bytes: each takeover of a
# client that reads nothing held 8 MiB more.
T=$(session $U)
python3 "$WORK/lazy_get.py" "$T" "$WORK/t-opened" "$WORK/t-read" "$WORK/t-result" &
TR=$!
PIDS+=("$TR")
for _ in $(seq 100); do [ -s "$WORK/t-opened" ] && break; sleep 0.1; done
check "the GET that reads nothing: 200" "$(head -1 "$WORK/t-opened" | tr -d '\r')" 'HTTP/1.1 200 OK'
check "4 MiB for a client that reads nothing: taken" \
	"$(call_tool "$T" 8 later '{"n":64,"size":65536}' | cut -c1-30)" '200 {"jsonrpc":"2.0","id":8,"r'
sleep 1 # sent after the answer: all read from the target by then
curl -s -N -o "$WORK/t2body" --max-time 60 -H "$SSE" -H "mcp-session-id: $T" $U &
T2=$!
PIDS+=("$T2")
sleep 0.5
touch "$WORK/t-read"
wait "$TR"
check "the first GET, 4 MiB unread, is cut when a second takes over" "$(cat "$WORK/t-result")" cut
check "4 MiB more: the second GET carries them" \
	"$(call_tool "$T" 9 later '{"n":64,"size":65536}' | cut -c1-30)" '200 {"jsonrpc":"2.0","id":9,"r'
# The stream stays open: wait for its 64 events (30 s at most), then end it.
events=0
for _ in $(seq 300); do
	events=$(grep -c '^data: ' "$WORK/t2body" 2>/dev/null) || true
	[ "${events:-0}" -ge 64 ] && break
	sleep 0.1
done
kill "$T2" 2>/dev/null
wait "$T2" 2>/dev/null
check "the second GET got the 64 events" "${events:-0}" 64
stop_gateway
finish
