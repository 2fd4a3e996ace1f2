# HTTP/2 routing: the listener is chosen by :authority (exact hostname, then wildcard, then the catch-all), the route by hostname, path and headers as for HTTP/1.1; no match is 404 "route not found", a route without endpoints 500 "no valid backends", both over h2.
. "$(dirname "$0")/lib.sh"

for b in api wild exact prefix header any; do
	start_backend "$b"
	eval "P_$b=$BACKEND_PORT"
done

# One bind, three listeners told apart by hostname (the standalone dialect).
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: api
    hostname: api.example
    protocol: HTTP
    routes:
    - name: api
      backends: [{host: 127.0.0.1:$P_api}]
  - name: wild
    hostname: "*.wild.example"
    protocol: HTTP
    routes:
    - name: wild
      backends: [{host: 127.0.0.1:$P_wild}]
  - name: any
    protocol: HTTP
    routes:
    - name: exact
      matches: [{path: {exact: /p/exact}}]
      backends: [{host: 127.0.0.1:$P_exact}]
    - name: prefix
      matches: [{path: {pathPrefix: /p}}]
      backends: [{host: 127.0.0.1:$P_prefix}]
    - name: header
      matches: [{path: {pathPrefix: /h}, headers: [{name: x-env, value: {exact: canary}}]}]
      backends: [{host: 127.0.0.1:$P_header}]
    - name: hosted
      hostnames: [only.example]
      backends: [{host: 127.0.0.1:$P_any}]
    - name: empty
      matches: [{path: {pathPrefix: /empty}}]
      backends: [{host: 127.0.0.1:$P_any, weight: 0}]
YAML

G=http://127.0.0.1:8080
h2() {
	hcall --http2-prior-knowledge "$@"
}
pod() {
	jq -r .pod <<<"$H_BODY" 2>/dev/null
}
for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg.yaml"; then
		fail "gateway ($engine) did not start"
		continue
	fi
	h2 -H 'Host: api.example' "$G/p/exact"
	check ":authority api.example -> listener api" "$H_CODE $(pod)" "200 api"
	h2 -H 'Host: API.Example:8080' "$G/x"
	check ":authority case and port ignored" "$H_CODE $(pod)" "200 api"
	h2 -H 'Host: a.wild.example' "$G/p/exact"
	check ":authority a.wild.example -> wildcard listener" "$H_CODE $(pod)" "200 wild"
	h2 "$G/p/exact"
	check "catch-all listener, exact path" "$H_CODE $(pod)" "200 exact"
	h2 "$G/p/exact/more"
	check "catch-all listener, path prefix" "$H_CODE $(pod)" "200 prefix"
	h2 -H 'x-env: canary' "$G/h"
	check "header match" "$H_CODE $(pod)" "200 header"
	h2 -H 'Host: only.example' "$G/other"
	check "route hostnames match :authority" "$H_CODE $(pod)" "200 any"
	h2 "$G/h"
	expect "no matching route -> 404" 404 "route not found"
	check "404 is text/plain over h2" "$(grep -i '^content-type' "$H_HEADERS" | tr -d '\r')" \
		"content-type: text/plain"
	expect_date "404 over h2 has the gateway's Date"
	h2 "$G/empty"
	expect "a route without a usable backend -> 500" 500 "no valid backends"
	stop_gateway
done
finish
