# CEL's `extauthz`: a gRPC extAuthz service's dynamic_metadata, as
# agentgateway exposes it, read by a route's authorization rule and its
# request transformation, which run after the service's verdict (as in
# agentgateway's order): over HTTP/1 and h2c an allowed request whose
# metadata says alice reaches the backend with headers made from its
# string, list, number, nested and null values; one the service allows
# with no metadata has no `extauthz` and the rule refuses it (403
# "authorization failed"); a cached answer brings its metadata again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
u=http://127.0.0.1:8080
authz_services grpc

policies() { # EXTAUTHZ-EXTRA
	cat <<YAML
      policies:
        extAuthz: {host: 127.0.0.1:$GP$1}
        authorization:
          rules: ['extauthz.user == "alice"']
        transformations:
          request:
            set:
              x-md-user: extauthz.user
              x-md-groups: extauthz.groups.join(",")
              x-md-level: string(extauthz.level + 1)
              x-md-ratio: string(extauthz.ratio)
              x-md-ok: string(extauthz.nested.ok)
              x-md-none: string(extauthz.none == null)
              x-md-has: string(has(extauthz.missing))
      backends: [{host: 127.0.0.1:$V1}]
YAML
}
{
	cat <<YAML
binds:
- port: 8080
  listeners:
  - protocol: HTTP
    routes:
    - name: md
      matches: [{path: {pathPrefix: /g}}]
YAML
	policies ""
	cat <<YAML
    - name: cached
      matches: [{path: {pathPrefix: /c}}]
YAML
	policies ", cache: {key: [request.path], ttl: 1m}"
} >"$WORK/cfg.yaml"
if ! start_engine auto -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi

for opt in --http1.1 --http2-prior-knowledge; do
	hcall "$opt" "$u/g/allow/x"
	check "$opt: allowed with metadata: 200" "$H_CODE" 200
	check "$opt: headers from extauthz's values" \
		"$(echo_header x-md-user) $(echo_header x-md-groups) $(echo_header x-md-level) $(echo_header x-md-ratio) $(echo_header x-md-ok) $(echo_header x-md-none) $(echo_header x-md-has)" \
		"alice dev,ops 4 0.5 true true false"
	check "$opt: the service's own edit too" "$(echo_header x-authz-user)" alice
	hcall "$opt" "$u/g/pass/x"
	expect "$opt: allowed without metadata: extauthz is absent, the rule refuses" 403 \
		"authorization failed"
	for n in 1 2; do
		hcall "$opt" "$u/c/allow/y"
		check "$opt: cached route, call $n: the metadata again" \
			"$H_CODE $(echo_header x-md-user) $(echo_header x-md-groups)" "200 alice dev,ops"
	done
done
check "the cached route asked the service once" "$(grep -c '"/c/allow/y"' "$WORK/authz.log")" 1
stop_gateway
finish
