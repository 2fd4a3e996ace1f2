# agentgateway's mcp-openapi example (agentgateway-examples/mcp-openapi/config.yaml: its keys and values, :3000, the API on localhost:8080, run from where its file: finds the document) in front of a small pet store API (petstore.py, serving the e2e's own OpenAPI document petstore-openapi.json under /api/v3), driven by the official SDK client: tools/list shows each operation as a tool named by its operationId, with agentgateway's input schema (exact for getPetById); calls reach the API with the method, path (templated, percent-encoded), query, schema headers and JSON body the arguments say, and their answers come back as agentgateway returns them (structured content and its text; a 4xx as a result; an array under "data"; text as {code, message}); a 5xx is agentgateway's error, HTTP 500 with JSON-RPC -32603 (a 2 MiB body quoted up to its first 4096 bytes, at once); an API that is down, or answers over 2 MiB, or whose answer makes a result over 4 MiB, fails the call with -32002 naming the target; the target's backendAuth goes on its requests; the client's request headers are passed on (but the framing's and the session's), over the arguments' headers of the same name and under the target's policy; a federation with a stdio target prefixes the tools; a stateless backend serves a call with no session; config_dump shows the target without its document; a document splicegate cannot serve is refused at check, naming the key and where.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/mcplib.sh"

wait_ports_free 8080 || fail "something listens on :8080"
/usr/bin/python3 "$E2E_DIR/petstore.py" 8080 "$WORK/api.log" 2>"$WORK/api.err" &
API_PID=$!
PIDS+=("$API_PID")
wait_port 8080 10 || fail "the pet store does not listen on :8080"

mkdir -p "$WORK/examples/mcp-openapi"
cp "$E2E_DIR/agentgateway-examples/mcp-openapi/config.yaml" "$WORK/examples/mcp-openapi/"
cp "$E2E_DIR/petstore-openapi.json" "$WORK/examples/mcp-openapi/openapi.json"
cd "$WORK" || finish
mcp_start examples/mcp-openapi/config.yaml "the example"
U=http://127.0.0.1:3000/mcp

# last_request: the API's last request, as petstore.py logged it.
last_request() {
	tail -1 "$WORK/api.log"
}

# ---- the SDK client -----------------------------------------------------------
out=$(node "$CLIENT" $U tools \
	'call:getPetById:{"path":{"petId":1}}' \
	'call:findPetsByStatus:{"query":{"status":"sold"}}' \
	'call:addPet:{"body":{"name":"rex","photoUrls":["a b"],"status":"pending"}}' \
	'call:getPetById:{"path":{"petId":9}}' \
	'call:logoutUser:{}' \
	'call:getPetById:{"path":{"petId":666}}' \
	end 2>&1)
check "tools/list: the operations, named by operationId" "$(echo "$out" | sed -n 2p)" \
	'{"tools":["addPet","deletePet","findPetsByStatus","getInventory","getPetById","logoutUser"]}'
check "getPetById: the pet, as its JSON text" "$(echo "$out" | sed -n 3p)" \
	'{"call":"getPetById","text":"{\"id\":1,\"name\":\"doggie\",\"status\":\"available\"}","isError":false}'
check "findPetsByStatus: an array under data" "$(echo "$out" | sed -n 4p)" \
	'{"call":"findPetsByStatus","text":"{\"data\":[{\"id\":2,\"name\":\"kitty\",\"status\":\"sold\"}]}","isError":false}'
check "addPet: the API's answer to the JSON body" "$(echo "$out" | sed -n 5p)" \
	'{"call":"addPet","text":"{\"name\":\"rex\",\"photoUrls\":[\"a b\"],\"status\":\"pending\",\"id\":10}","isError":false}'
check "a 404 is the call's result, as agentgateway returns it" "$(echo "$out" | sed -n 6p)" \
	'{"call":"getPetById","text":"{\"message\":\"Pet not found\"}","isError":false}'
check "a text answer: {code, message}" "$(echo "$out" | sed -n 7p)" \
	'{"call":"logoutUser","text":"{\"code\":200,\"message\":\"logged out\"}","isError":false}'
check "a 500: the SDK client sees HTTP 500" "$(echo "$out" | sed -n 8p)" \
	'{"call":"getPetById","error":500}'
check "the session ends" "$(echo "$out" | sed -n 9p)" '{"end":true}'
check "the API got each call's method and request target" \
	"$(python3 -c 'import json,sys; [print(d["method"], d["target"]) for d in map(json.loads, open(sys.argv[1]))]' "$WORK/api.log")" \
	"GET /api/v3/pet/1
GET /api/v3/pet/findByStatus?status=sold
POST /api/v3/pet
GET /api/v3/pet/9
GET /api/v3/user/logout
GET /api/v3/pet/666"
check "addPet's body: the arguments' body as JSON" \
	"$(sed -n 3p "$WORK/api.log")" \
	'{"method": "POST", "target": "/api/v3/pet", "headers": {"content-type": "application/json"}, "body": "{\"name\":\"rex\",\"photoUrls\":[\"a b\"],\"status\":\"pending\"}"}'

# ---- what a raw client sees ------------------------------------------------------
curl -s -D "$WORK/h" -o "$WORK/b" -H "$J" -H "$A" $U -d "$INIT"
S=$(tr -d '\r' <"$WORK/h" | sed -n 's/^mcp-session-id: //Ip')
H=(-H "$J" -H "$A" -H "mcp-session-id: $S" -H "mcp-protocol-version: 2025-06-18")
check "initialize: the tools capability" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["capabilities"])' "$WORK/b")" \
	"{'tools': {}}"
curl -s "${H[@]}" $U -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' >"$WORK/b"
check "getPetById's tool as agentgateway builds it (path-level parameter, summary as title)" \
	"$(python3 -c 'import json,sys; print(json.dumps([t for t in json.load(open(sys.argv[1]))["result"]["tools"] if t["name"] == "getPetById"][0], separators=(",", ":")))' "$WORK/b")" \
	'{"name":"getPetById","title":"A pet by id.","description":"Returns one pet.","inputSchema":{"required":["path"],"properties":{"path":{"required":["petId"],"properties":{"petId":{"type":"integer","format":"int64","description":"The pet'"'"'s id"}},"type":"object"}},"type":"object"}}'
check "addPet's body schema: the Pet reference followed, xml dropped" \
	"$(python3 -c 'import json,sys; print(json.dumps([t for t in json.load(open(sys.argv[1]))["result"]["tools"] if t["name"] == "addPet"][0]["inputSchema"], separators=(",", ":")))' "$WORK/b")" \
	'{"required":["body"],"properties":{"body":{"type":"object","properties":{"id":{"example":10,"type":"integer","format":"int64"},"name":{"example":"doggie","type":"string"},"category":{"type":"object","properties":{"id":{"example":1,"type":"integer","format":"int64"},"name":{"example":"Dogs","type":"string"}}},"photoUrls":{"type":"array","items":{"type":"string"}},"status":{"description":"The pet'"'"'s status","type":"string","enum":["available","pending","sold"]}},"required":["name","photoUrls"]}},"type":"object"}'
code=$(curl -s -o "$WORK/b" -w '%{http_code}' "${H[@]}" $U -d \
	'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"deletePet","arguments":{"path":{"petId":"2/../1 x"},"header":{"api_key":"k1","X-Evil":"no"},"query":{"a&b":["x y",true,null]}}}}')
check "deletePet: 200" "$code" 200
check "... the path percent-encoded, the query as agentgateway writes it, the schema's header alone" \
	"$(last_request)" \
	'{"method": "DELETE", "target": "/api/v3/pet/2%2F..%2F1%20x?a%26b=x%20y&a%26b=true&a%26b", "headers": {"api_key": "k1"}, "body": ""}'
curl -s -o "$WORK/b" "${H[@]}" -H 'authorization: Bearer user-1' -H 'x-trace: t1' -H 'api_key: from-client' $U -d \
	'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"deletePet","arguments":{"path":{"petId":1},"header":{"api_key":"from-arguments"}}}}'
check "the client's headers passed on, as agentgateway does, over the arguments' of the same name" \
	"$(last_request)" \
	'{"method": "DELETE", "target": "/api/v3/pet/1", "headers": {"api_key": "from-client", "authorization": "Bearer user-1", "x-trace": "t1"}, "body": ""}'
code=$(curl -s -o "$WORK/b" -w '%{http_code}' "${H[@]}" $U -d \
	'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"getPetById","arguments":{"path":{"petId":666}}}}')
check "a 5xx: HTTP 500" "$code" 500
check "... with agentgateway's error" "$(cat "$WORK/b")" \
	'{"jsonrpc":"2.0","id":4,"error":{"code":-32603,"message":"failed to send message: openapi upstream error: Upstream API call for tool '"'"'getPetById'"'"' failed with status 500 Internal Server Error: db down"}}'
# 2 MiB of control bytes quoted whole made a 12.5 MB message, over the
# 4 MiB a JSON-RPC message may be: dropped, the client waited 60 s.
got=$(curl -s -o "$WORK/b" -w '%{http_code} %{time_total}' --max-time 90 "${H[@]}" $U -d \
	'{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"getPetById","arguments":{"path":{"petId":888}}}}')
check "a 5xx with a 2 MiB body: HTTP 500" "${got%% *}" 500
if time_in "${got#* }" 0 10; then
	pass "... answered in ${got#* } s, not after the call's 60 s"
else
	fail "... answered in ${got#* } s (want < 10 s)"
fi
check "... its error quotes the body's first 4096 bytes, marked cut" \
	"$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(e["id"], e["error"]["code"], e["error"]["message"].replace("\x01" * 4096, "<4096 x 01>"))' "$WORK/b")" \
	"10 -32603 failed to send message: openapi upstream error: Upstream API call for tool 'getPetById' failed with status 500 Internal Server Error: <4096 x 01>... (2097152 bytes in all)"
curl -s --max-time 90 "${H[@]}" $U -d '{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"getPetById","arguments":{"path":{"petId":889}}}}' >"$WORK/b"
check "a 200 with the same body: its result would be over 4 MiB, -32002 naming the target" "$(cat "$WORK/b")" \
	'{"jsonrpc":"2.0","id":11,"error":{"code":-32002,"message":"target openapi: its answer makes a result over 4 MiB"}}'
curl -s "${H[@]}" $U -d '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"getPetById","arguments":{"path":{"petId":777}}}}' >"$WORK/b"
check "an answer over 2 MiB: -32002 naming the target" "$(cat "$WORK/b")" \
	'{"jsonrpc":"2.0","id":8,"error":{"code":-32002,"message":"target openapi: answer over 2097152 bytes"}}'
curl -s "${H[@]}" $U -d '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"nope","arguments":{}}}' >"$WORK/b"
check "an unknown tool: agentgateway's error" "$(cat "$WORK/b")" \
	'{"jsonrpc":"2.0","id":5,"error":{"code":-32603,"message":"failed to send message: openapi upstream error: tool nope not found"}}'
check "config_dump: the target, without its document" \
	"$(curl -s http://127.0.0.1:15000/config_dump | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps([b for l in d["binds"][0]["listeners"].values() for r in l["routes"].values() for b in r["backends"]][0], separators=(",", ":")))')" \
	'{"weight":1,"mcp":{"targets":[{"name":"openapi","openapi":{"host":"localhost","port":8080}}],"statefulMode":"stateful"}}'

# ---- the API down: the call fails, naming the target ------------------------------
kill "$API_PID"
wait "$API_PID" 2>/dev/null
curl -s "${H[@]}" $U -d '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"getInventory","arguments":{}}}' >"$WORK/b"
check "the API down: -32002 naming the target and why" "$(cat "$WORK/b")" \
	'{"jsonrpc":"2.0","id":6,"error":{"code":-32002,"message":"target openapi: connect localhost:8080: Connection refused"}}'
stop_gateway
/usr/bin/python3 "$E2E_DIR/petstore.py" 8080 "$WORK/api.log" 2>>"$WORK/api.err" &
PIDS+=("$!")
wait_port 8080 10 || fail "the pet store does not listen on :8080 again"

# ---- federated with a stdio target: prefixed ---------------------------------------
mcp_route "$WORK/fed.yaml" "{name: fake, stdio: $(fake_stdio)}" \
	"{name: api, openapi: {host: \"http://127.0.0.1:8080\", schema: {file: $WORK/examples/mcp-openapi/openapi.json}}, policies: {backendAuth: {key: {value: k9, location: {header: {name: authorization, prefix: \"Bearer \"}}}}}}"
mcp_start "$WORK/fed.yaml" "a federation of a stdio and an openapi target"
out=$(node "$CLIENT" $U tools 'call:api_getInventory:{}' end 2>&1)
has 2 '"api_addPet","api_deletePet","api_findPetsByStatus","api_getInventory","api_getPetById","api_logoutUser","fake_' \
	"tools/list: the openapi target's tools prefixed beside the stdio target's"
check "api_getInventory reaches the API" "$(echo "$out" | sed -n 3p)" \
	'{"call":"api_getInventory","text":"{\"available\":1,\"sold\":1}","isError":false}'
check "... with the target's backendAuth" "$(last_request)" \
	'{"method": "GET", "target": "/api/v3/store/inventory", "headers": {"authorization": "Bearer k9"}, "body": ""}'
curl -s -D "$WORK/h" -o /dev/null -H "$J" -H "$A" $U -d "$INIT"
S2=$(tr -d '\r' <"$WORK/h" | sed -n 's/^mcp-session-id: //Ip')
curl -s -o /dev/null -H "$J" -H "$A" -H "mcp-session-id: $S2" -H 'authorization: Bearer user-2' $U -d \
	'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"api_getInventory","arguments":{}}}'
check "... over the client's own Authorization" "$(last_request)" \
	'{"method": "GET", "target": "/api/v3/store/inventory", "headers": {"authorization": "Bearer k9"}, "body": ""}'
stop_gateway

# ---- stateless: each POST on its own, no session ------------------------------------
cat >"$WORK/stateless.yaml" <<YAML
mcp:
  port: 3000
  statefulMode: stateless
  targets:
  - name: api
    openapi: {host: "localhost:8080", schema: {file: $WORK/examples/mcp-openapi/openapi.json}}
YAML
mcp_start "$WORK/stateless.yaml" "a stateless backend's openapi target"
curl -s -H "$J" -H "$A" $U -d '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"getPetById","arguments":{"path":{"petId":"2"}}}}' >"$WORK/b"
check "stateless: a call with no session reaches the API" "$(cat "$WORK/b")" \
	'{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"{\"id\":2,\"name\":\"kitty\",\"status\":\"sold\"}"}],"structuredContent":{"id":2,"name":"kitty","status":"sold"},"isError":false}}'
stop_gateway

# ---- refused at check, by name --------------------------------------------------------
printf '{"openapi":"3.0.0","info":{"title":"t","version":"1"},\n"paths":{"/p":{"get":{"operationId":"g",\n"parameters":[{"name":"s","in":"cookie","schema":{}}],"responses":{}}}}}\n' >"$WORK/bad.json"
mcp_route "$WORK/bad.yaml" "{name: api, openapi: {host: \"localhost:8080\", schema: {file: $WORK/bad.json}}}"
out=$("$SG_BIN" check -c "$WORK/bad.yaml" 2>&1)
check "a cookie parameter: refused at check, at its place in the document" "$out" \
	"$WORK/bad.json:3:32: openapi schema: paths.\"/p\".get: parameter \"s\": cookie parameters are not supported (agentgateway refuses them on an operation and drops them on a path)
1 error: configuration invalid"
mcp_route "$WORK/url.yaml" "{name: api, openapi: {host: \"localhost:8080\", schema: {url: \"http://127.0.0.1:8080/openapi.json\"}}}"
out=$("$SG_BIN" check -c "$WORK/url.yaml" 2>&1 | head -1)
check "a schema from a URL: refused by name" "${out#*: }" \
	'binds[0].listeners[0].routes[0].backends[0].mcp.targets[0].openapi.schema.url: fetching the schema from a URL is not supported: give it as a file or inline'
finish
