# Shared by the mcp-* scenarios (sourced after lib.sh): the npm packages
# they run, the SDK client, and what a raw client sends.

npm_need @modelcontextprotocol/sdk @modelcontextprotocol/server-everything
EVERY=$SG_NPM/node_modules/@modelcontextprotocol/server-everything/dist/index.js
CLIENT=$E2E_DIR/mcp-client.mjs
export SG_NPM
J='content-type: application/json'
A='accept: application/json, text/event-stream'
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'

# progress_line N STEPS: line N of $out (a progress: step's), its count of
# progress notifications written "progress":STEPS when it is STEPS or one
# less: the SDK's client handles a notification a microtask after it reads
# it, but a response at once, so a last notification read with the
# response (one read, as a fast target and the gateway make it) finds its
# handler gone. The events' order is checked with curl, exactly.
progress_line() {
	echo "$out" | sed -n "$1p" | sed -E "s/\"progress\":($2|$(($2 - 1))),/\"progress\":$2,/"
}

# has N PATTERN NAME: line N of $out (the client's) matches PATTERN.
has() {
	if echo "$out" | sed -n "$1p" | grep -q "$2"; then
		pass "$3"
	else
		fail "$3: $(echo "$out" | sed -n "$1p")"
	fi
}

# mcp_start FILE WHAT [WORKERS]: FILE passes `check` (WHAT names it in
# the result), then a gateway runs it, listening on :3000, with WORKERS
# workers (1).
mcp_start() {
	"$SG_BIN" check -c "$1" >"$WORK/out" 2>&1
	check "$2 passes check" "$?" 0
	start_engine copy -p 3000 --workers "${3:-1}" -c "$1" || finish
}

# fake_stdio [ARG...]: a stdio target's flow map running mcp_stdio_fake.py
# with the ARGs, by Debian's python3 (-I -S: ~10 MiB and 0.05 s of CPU to
# start, where server-everything's node takes 70 MiB and a second).
fake_stdio() {
	local a
	a=$(printf ', "%s"' "$@")
	[ $# -gt 0 ] || a=
	echo "{cmd: /usr/bin/python3, args: [-I, -S, \"$E2E_DIR/mcp_stdio_fake.py\"$a]}"
}

# fake_yaml FILE [ARG...]: FILE has the mcp: shorthand on :3000 with one
# stdio target, fake: fake_stdio ARG...
fake_yaml() {
	local f=$1
	shift
	cat >"$f" <<YAML
mcp:
  port: 3000
  targets:
  - name: fake
    stdio: $(fake_stdio "$@")
YAML
}

# mcp_route FILE TARGET...: FILE has one route on :3000, to an mcp
# backend of the TARGETs (each a target as a flow map).
mcp_route() {
	local f=$1 ts
	shift
	ts=$(printf '%s, ' "$@")
	cat >"$f" <<YAML
binds:
- port: 3000
  listeners:
  - routes:
    - backends:
      - mcp:
          targets: [${ts%, }]
YAML
}

# failure_modes FILE GOOD BAD_CLOSED BAD_OPEN: FILE has two routes on
# :3000, /closed (failClosed) to targets GOOD and BAD_CLOSED, /open
# (failOpen) to GOOD and BAD_OPEN (each a target as a flow map).
failure_modes() {
	cat >"$1" <<YAML
binds:
- port: 3000
  listeners:
  - routes:
    - name: closed
      matches: [{path: {pathPrefix: /closed}}]
      backends:
      - mcp:
          targets: [$2, $3]
    - name: open
      matches: [{path: {pathPrefix: /open}}]
      backends:
      - mcp:
          failureMode: failOpen
          targets: [$2, $4]
YAML
}

# fail_open_served BAD: the SDK client at /open (failure_modes' route)
# lists the tools of target good alone, calls good's echo, and gets a
# JSON-RPC error for BAD's.
fail_open_served() {
	out=$(node "$CLIENT" http://127.0.0.1:3000/open tools 'call:good_echo:{"message":"o"}' \
		"call:$1_echo:{\"message\":\"o\"}" end 2>&1)
	has 2 '"tools":\["good_echo",' "failOpen: the good target's tools"
	check "failOpen: none of target $1's tools" "$(echo "$out" | sed -n 2p | grep -c "$1_")" 0
	check "failOpen: the good target answers" "$(echo "$out" | sed -n 3p)" \
		'{"call":"good_echo","text":"Echo: o","isError":false}'
	check "failOpen: target $1's name: an error" "$(echo "$out" | sed -n 4p)" \
		"{\"call\":\"$1_echo\",\"error\":-32002}"
}

# sdk_one_target STEP: the SDK client at :3000/mcp, with one
# server-everything target: initialize answered by the gateway with a
# session, tools/list unprefixed, echo, then STEP (its line, the 5th of
# $out, is the caller's to check), ping, DELETE.
sdk_one_target() {
	out=$(node "$CLIENT" http://127.0.0.1:3000/mcp session tools 'call:echo:{"message":"hi"}' \
		"$1" ping end 2>&1)
	check "SDK client: initialize answered by the gateway" "$(echo "$out" | sed -n 1p)" \
		'{"version":"splicegate"}'
	check "SDK client: a session id" "$(echo "$out" | sed -n 2p)" '{"session":true}'
	has 3 '"tools":\[.*"echo",.*"get-sum",' "SDK client: tools/list unprefixed with one target"
	check "SDK client: tools/call echo" "$(echo "$out" | sed -n 4p)" \
		'{"call":"echo","text":"Echo: hi","isError":false}'
	check "SDK client: ping, DELETE" "$(echo "$out" | sed -n 6,7p | tr -d '\n')" \
		'{"ping":true}{"end":true}'
}

# init_session URL: the session id of an initialize (its body in
# $WORK/body).
init_session() {
	curl -s -D "$WORK/head" -o "$WORK/body" -X POST -H "$J" -H "$A" -d "$INIT" "$1"
	tr -d '\r' <"$WORK/head" | sed -n 's/^mcp-session-id: //Ip'
}

# session URL: a session begun and initialized (notifications/initialized
# sent); its id.
session() {
	local s
	s=$(init_session "$1")
	curl -s -o /dev/null -X POST -H "$J" -H "$A" -H "mcp-session-id: $s" \
		-d '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$1"
	echo "$s"
}

# mcp_dump: config_dump's mcp backends, one JSON line each (keys sorted).
mcp_dump() {
	curl -s http://127.0.0.1:15000/config_dump | python3 -c '
import json, sys
d = json.load(sys.stdin)
for b in d["binds"]:
    for l in b["listeners"].values():
        for r in l["routes"].values():
            for be in r["backends"]:
                if "mcp" in be:
                    print(json.dumps(be["mcp"], sort_keys=True))
'
}
