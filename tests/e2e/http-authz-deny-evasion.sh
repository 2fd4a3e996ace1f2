# Authorization deny rules a client must not get past (CEL as agentgateway
# reads it): a deny rule over json(request.body) still denies when the body
# is padded past the expression's memory bound (splicegate's own bound,
# which agentgateway has not: such a deny rule denies, whatever the body);
# a deny rule matching the body still denies when a NUL byte comes before
# what it looks for; a deny rule on a header's presence denies whatever the
# case the rule and the client write the name in, over HTTP/1 and HTTP/2.
# (Before this branch the five denials after the first passed as 200.)
. "$(dirname "$0")/lib.sh"

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080
J="content-type: application/json"

cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: body
      matches: [{path: {pathPrefix: /body}}]
      policies:
        authorization:
          rules:
          - deny: 'json(request.body).user == "mallory"'
          - deny: 'string(request.body).matches("DROP TABLE")'
      backends: [{host: 127.0.0.1:$V1}]
    - name: header
      matches: [{path: {pathPrefix: /header}}]
      policies:
        authorization:
          rules:
          - deny: '"X-Internal-Only" in request.headers'
      backends: [{host: 127.0.0.1:$V1}]
YAML
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

hcall -H "$J" -d '{"user":"alice"}' "$u/body"
expect "alice's body passes" 200 "*"
hcall -H "$J" -d '{"user":"mallory"}' "$u/body"
expect "mallory's body is denied" 403 "authorization failed"

# ~120 KiB of JSON: json() of it passes the 1 MiB the expression may use
python3 -c 'import sys; sys.stdout.write("{\"user\":\"mallory\",\"pad\":[" + ",".join(["0"] * 60000) + "]}")' >"$WORK/big"
hcall -H "$J" --data-binary @"$WORK/big" "$u/body"
expect "mallory's body padded past the expression's bound: still denied" 403 "authorization failed"
sed 's/mallory/alice/' "$WORK/big" >"$WORK/big-alice"
hcall -H "$J" --data-binary @"$WORK/big-alice" "$u/body"
expect "alice's padded past it: denied too (the rule could not be evaluated)" 403 \
	"authorization failed"

printf '{"user":"alice","q":"\\u0000"}\0DROP TABLE users' >"$WORK/nul"
hcall --data-binary @"$WORK/nul" "$u/body"
expect "a NUL byte before what the rule matches: denied" 403 "authorization failed"

hcall "$u/header/x"
expect "no header: passes" 200 "*"
hcall -H "x-internal-only: 1" "$u/header/x"
expect "the header in lowercase: denied" 403 "authorization failed"
hcall -H "X-INTERNAL-ONLY: 1" --http2-prior-knowledge "$u/header/x"
expect "the header over HTTP/2: denied" 403 "authorization failed"
finish
