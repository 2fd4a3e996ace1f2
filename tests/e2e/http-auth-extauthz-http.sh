# extAuthz's HTTP protocol as agentgateway's traffic examples use it
# (oauth2-proxy, token-exchange, tailscale-auth), against the real HTTP
# service of http-auth-extauthz (tests/e2e/ext_authz_server.py), over
# HTTP/1 and h2c: addRequestHeaders' pseudo-headers set the check's method
# (:method) and Host (:authority); http.metadata, CEL over the service's
# allowing answer (its headers and JSON body), is `extauthz` for the
# route's transformation (a token exchanged for the backend) and for a
# cache ttl that reads it (asked once); a service on a unix socket (host
# unix:PATH) is asked with the Host the route sets, or the socket's name.
# The route's authorization and CSRF run after the service, as
# agentgateway's do: a rule reads the header the service added, and a
# request CSRF would refuse gets the service's denial. The worker keeps
# its connection to the service: six checks go over one, one the service
# closed while idle is not used again, and a reload closes the idle ones.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080
authz_services grpc http
HLOG=$WORK/http-authz.log
SOCK=$WORK/authz.sock
authz_server http unix-authz --unix "$SOCK"
ULOG=$WORK/unix-authz.log

cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: tok
      matches: [{path: {pathPrefix: /tok}}]
      policies:
        extAuthz:
          host: 127.0.0.1:$HP
          protocol:
            http:
              path: '"/token"'
              addRequestHeaders:
                content-type: '"application/x-www-form-urlencoded"'
                ':method': '"POST"'
                ':authority': '"idp.example"'
                x-fails: 'request.headers["nope"]'
              body: 'form.encode({"grant_type": "client_credentials", "audience": "target-client"})'
              metadata:
                user: 'response.headers["x-auth-request-user"]'
                token: json(response.body).access_token
                sub: unvalidatedJwtPayload(json(response.body).access_token).sub
                code: response.code
                broken: json(response.body).missing.field
        transformations:
          request:
            set:
              authorization: '"Bearer " + extauthz.token'
              x-md: 'extauthz.user + "," + extauthz.sub + "," + string(extauthz.code) + "," + string(has(extauthz.broken))'
      backends: [{host: 127.0.0.1:$V1}]
    - name: cached
      matches: [{path: {pathPrefix: /cached}}]
      policies:
        extAuthz:
          host: 127.0.0.1:$HP
          cache: {key: ['"client-credentials"'], ttl: extauthz.exp - 5}
          protocol:
            http:
              path: '"/token"'
              metadata:
                user: 'response.headers["x-auth-request-user"]'
                exp: unvalidatedJwtPayload(json(response.body).access_token).exp
        transformations:
          request:
            set: {x-md-user: extauthz.user}
      backends: [{host: 127.0.0.1:$V1}]
    - name: ts
      matches: [{path: {pathPrefix: /ts}}]
      policies:
        extAuthz:
          host: unix:$SOCK
          protocol:
            http:
              path: |
                "/localapi/v0/whois?addr=" + source.address
              addRequestHeaders:
                ':authority': '"local-tailscaled.sock"'
              metadata:
                node: json(response.body).Node.Name
                email: json(response.body).UserProfile.LoginName
        transformations:
          request:
            set: {x-node: extauthz.node, x-email: extauthz.email}
      backends: [{host: 127.0.0.1:$V1}]
    - name: uh
      matches: [{path: {pathPrefix: /uh}}]
      policies:
        extAuthz: {host: 'unix:$SOCK', protocol: {http: {}}}
      backends: [{host: 127.0.0.1:$V1}]
    - name: order
      matches: [{path: {pathPrefix: /order}}]
      policies:
        extAuthz: {host: 127.0.0.1:$GP}
        authorization: {rules: ['request.headers["x-authz-user"] == "alice"']}
        csrf: {additionalOrigins: ["https://partner.example"]}
      backends: [{host: 127.0.0.1:$V1}]
    - name: h
      matches: [{path: {pathPrefix: /h}}]
      policies:
        extAuthz: {host: 127.0.0.1:$HP, protocol: {http: {}}}
      backends: [{host: 127.0.0.1:$V1}]
YAML

# One worker: its pool holds the connections to the service.
if ! start_engine auto -c "$WORK/cfg.yaml" --workers 1; then
	fail "gateway did not start"
	finish
fi

last() { # LOG: the last check the service logged
	tail -n 1 "$1"
}

for opt in --http1.1 --http2-prior-knowledge; do
	hcall $opt "$u/tok/x"
	check "$opt token exchange: allowed, the backend gets the exchanged token" \
		"$H_CODE $(echo_header authorization | cut -c1-10)" "200 Bearer eyJ"
	check "$opt metadata from the answer's header, JSON body, JWT and code; one that fails is absent" \
		"$(echo_header x-md)" "alice,alice,200,false"
	check "$opt the check: :method POST, :authority, the form body, a failed header left out" \
		"$(last "$HLOG" | jq -c '[.method, .path, .headers.host, .headers["content-type"], .body, .headers["x-fails"]]')" \
		'["POST","/token","idp.example","application/x-www-form-urlencoded","audience=target-client&grant_type=client_credentials",null]'

	hcall $opt "$u/ts/x"
	check "$opt unix socket: allowed, the whois answer read into extauthz" \
		"$H_CODE $(echo_header x-node) $(echo_header x-email)" "200 node1 alice@example.com"
	check "$opt unix socket: asked at the path with :authority's Host" \
		"$(last "$ULOG" | jq -c '[.method, .path, .headers.host]')" \
		'["GET","/localapi/v0/whois?addr=127.0.0.1","local-tailscaled.sock"]'
done
hcall "$u/uh/allow"
check "unix socket without :authority: the socket's name is the Host" \
	"$H_CODE $(last "$ULOG" | jq -r .headers.host)" "200 authz.sock"

# The cache's ttl reads the metadata the answer made (the token's exp).
n=$(wc -l <"$HLOG")
for i in 1 2; do
	hcall "$u/cached/x"
	check "cached: call $i allowed with the metadata" "$H_CODE $(echo_header x-md-user)" "200 alice"
done
check "cached: the service was asked once (ttl extauthz.exp - 5)" "$(($(wc -l <"$HLOG") - n))" 1

# agentgateway's order: extAuthz, then authorization, then CSRF.
hcall -H "x-authz-user: mallory" "$u/order/allow"
check "the rule reads the header the service set: 200" "$H_CODE $(echo_header x-authz-user)" \
	"200 alice"
hcall "$u/order/x/pass"
expect "the service allowed without the header: the rule refuses" 403 "authorization failed"
hcall -X POST -H "Origin: https://evil.example" "$u/order/deny"
check "a request CSRF would refuse, denied by the service: the service's denial" \
	"$H_CODE $H_BODY" "418 denied by policy"
hcall -X POST -H "Origin: https://evil.example" "$u/order/allow"
expect "allowed by the service and the rule, then refused by CSRF" 403 "CSRF validation failed"

# Connections: the worker keeps its connection to the service.
n=$(wc -l <"$HLOG")
for opt in --http1.1 --http2-prior-knowledge --http1.1 --http2-prior-knowledge --http1.1 --http2-prior-knowledge; do
	hcall $opt "$u/h/allow"
	[ "$H_CODE" = 200 ] || fail "h/allow: $H_CODE"
done
check "six checks over one connection" \
	"$(tail -n +$((n + 1)) "$HLOG" | jq -s -c '[length, ([.[].conn] | unique | length)]')" "[6,1]"
c=$(last "$HLOG" | jq .conn)
hcall "$u/h/bye"
sleep 0.5
hcall "$u/h/allow"
check "the service closed the idle connection: the next check opens another" \
	"$H_CODE $(last "$HLOG" | jq ".conn > $c")" "200 true"
c=$(last "$HLOG" | jq .conn)
hcall "$u/h/allow"
check "and keeps it" "$H_CODE $(last "$HLOG" | jq ".conn == $c")" "200 true"
service_yaml reload-marker 1 >"$WORK/marker.yaml"
"$SG_BIN" apply -f "$WORK/marker.yaml" >"$WORK/apply.out" 2>&1
check "apply -f of a Service: a reload" "$?" 0
sleep 0.3
hcall "$u/h/allow"
check "after a reload the idle connection is closed: a new one" \
	"$H_CODE $(last "$HLOG" | jq ".conn > $c")" "200 true"

got=$(inline_policies tok)
check "config_dump: metadata and the pseudo-headers as written" \
	"$(jq -c '.[0][] | select(.extAuthz) | .extAuthz.protocol.http | [.addRequestHeaders[":method"], .addRequestHeaders[":authority"], .metadata.token]' <<<"$got")" \
	'["\"POST\"","\"idp.example\"","json(response.body).access_token"]'
stop_gateway
finish
