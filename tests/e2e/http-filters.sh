# Route filters in the standalone dialect (issue 19), in every engine, for HTTP/1.1 and HTTP/2 (prior knowledge) clients: requestHeaderModifier (add appends to a received value, set overwrites, remove drops, host lifted to the Host), responseHeaderModifier (on a backend's response and on the gateway's own answers), urlRewrite (prefix and full path, hostname), requestRedirect (scheme, host, path prefix, port, status; no backend reached), directResponse (exact body and status, no backend reached), CORS (preflight answered by the gateway, allowed simple request gets the CORS response headers, unknown origin gets none), requestMirror (the mirror backend gets the copy with its body; a mirror that hangs or refuses changes neither status nor timing; copies counted in /metrics), backend-level requestHeaderModifier; config_dump prints them as agentgateway does.
. "$(dirname "$0")/lib.sh"

start_backend echo
ECHO=$BACKEND_PORT
start_backend shadow
SHADOW=$BACKEND_PORT
start_blackhole
REFUSED=$(free_port)

cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: headers
      matches: [{path: {pathPrefix: /headers}}]
      policies:
        requestHeaderModifier:
          add: {X-Header-Add: add-appends-values}
          set: {X-Header-Set: set-overwrites-values}
          remove: [X-Header-Remove]
        responseHeaderModifier:
          add: {X-Resp-Add: resp-added}
          set: {X-Header-Set: resp-set}
          remove: [Server]
      backends: [{host: 127.0.0.1:$ECHO}]
    - name: host
      matches: [{path: {pathPrefix: /host}}]
      policies:
        requestHeaderModifier: {set: {host: lifted.example}}
      backends: [{host: 127.0.0.1:$ECHO}]
    - name: rewrite-prefix
      matches: [{path: {pathPrefix: /prefix/one}}]
      policies:
        urlRewrite: {path: {prefix: /one}, authority: {host: rewritten.example}}
      backends: [{host: 127.0.0.1:$ECHO}]
    - name: rewrite-full
      matches: [{path: {pathPrefix: /full/one}}]
      policies:
        urlRewrite: {path: {full: /one}}
      backends: [{host: 127.0.0.1:$ECHO}]
    - name: redirect
      matches: [{path: {pathPrefix: /old}}]
      policies:
        requestRedirect:
          scheme: https
          authority: {host: example.org}
          path: {prefix: /new}
          status: 301
      backends: [{host: 127.0.0.1:$ECHO}]
    - name: redirect-port
      matches: [{path: {pathPrefix: /port}}]
      policies:
        requestRedirect: {authority: {port: 8083}}
    - name: direct
      matches: [{path: {pathPrefix: /direct}}]
      policies:
        directResponse: {body: "hello!", status: 418}
        responseHeaderModifier: {add: {X-Direct: "yes"}}
    - name: cors
      matches: [{path: {pathPrefix: /cors}}]
      policies:
        cors:
          allowOrigins: ["https://example.com"]
          allowMethods: [GET, POST]
          allowHeaders: [X-Custom]
          exposeHeaders: [x-exposed]
          allowCredentials: true
          maxAge: 100s
      backends: [{host: 127.0.0.1:$ECHO}]
    - name: mirror
      matches: [{path: {pathPrefix: /mirror}}]
      policies:
        requestMirror: {backend: {host: 127.0.0.1:$SHADOW}, percentage: 1.0}
      backends: [{host: 127.0.0.1:$ECHO}]
    - name: mirror-hangs
      matches: [{path: {pathPrefix: /hangs}}]
      policies:
        requestMirror: {backend: {host: 127.0.0.1:$BH}, percentage: 1}
      backends: [{host: 127.0.0.1:$ECHO}]
    - name: mirror-refused
      matches: [{path: {pathPrefix: /refused}}]
      policies:
        requestMirror: {backend: {host: 127.0.0.1:$REFUSED}, percentage: 1}
      backends: [{host: 127.0.0.1:$ECHO}]
    - name: backend-filters
      matches: [{path: {pathPrefix: /backend}}]
      policies:
        requestHeaderModifier: {add: {X-Route: r}}
      backends:
      - host: 127.0.0.1:$ECHO
        policies:
          requestHeaderModifier: {add: {X-Backend: b}, remove: [X-Route]}
YAML

# filters LABEL CURL-ARGS...: every filter once through a client.
filters() {
	local l=$1 u=http://127.0.0.1:8080
	shift

	hcall "$@" -H 'X-Header-Add: some-other-value' -H 'X-Header-Set: original' \
		-H 'X-Header-Remove: gone' -H 'X-Kept: k' "$u/headers/a"
	check "$l: add appends to the received value" "$(echo_values X-Header-Add)" \
		"some-other-value,add-appends-values"
	check "$l: set overwrites" "$(echo_values X-Header-Set)" "set-overwrites-values"
	check "$l: remove drops, others kept" "$(echo_values X-Header-Remove)/$(echo_values X-Kept)" "/k"
	check "$l: response add, set, remove" \
		"$(resp_header X-Resp-Add)/$(resp_header X-Header-Set)/$(resp_header Server)/$(resp_header x-backend)" \
		"resp-added/resp-set//echo"

	hcall "$@" -H 'X-Echo-Set-Header: X-Header-Set: from-backend' "$u/headers/b"
	check "$l: response set replaces the backend's value" "$(resp_header X-Header-Set)" "resp-set"

	hcall "$@" "$u/host/x"
	check "$l: requestHeaderModifier set host becomes the Host" "$(jq -r .host <<<"$H_BODY")" \
		"lifted.example"

	hcall "$@" "$u/prefix/one/two?q=1"
	check "$l: urlRewrite prefix, query kept, hostname" \
		"$(jq -r '.path + " " + .host' <<<"$H_BODY")" "/one/two?q=1 rewritten.example"
	hcall "$@" "$u/full/one/two"
	check "$l: urlRewrite full path" "$(jq -r .path <<<"$H_BODY")" "/one"

	hcall "$@" "$u/old/api/users?x=1"
	check "$l: redirect status and Location" "$H_CODE $(resp_header location)" \
		"301 https://example.org/new/api/users?x=1"
	hcall "$@" "$u/port/p"
	check "$l: port redirect keeps the scheme, default status 302" "$H_CODE $(resp_header location)" \
		"302 http://127.0.0.1:8083/port/p"
	if [ "${1:-}" != --http2-prior-knowledge ]; then
		# HTTP/1.0 without Host: the redirect has no host to name (400,
		# the request's fault; issue 63: it was 500).
		check "$l: HTTP/1.0 without Host meets a hostless redirect: 400" \
			"$(printf 'GET /port/p HTTP/1.0\r\n\r\n' | raw_http 8080 GET |
				jq -r '.responses[0] | "\(.status) \(.body)"')" "400 bad request"
	fi

	hcall "$@" "$u/direct"
	check "$l: directResponse status, body, response modifier" \
		"$H_CODE $H_BODY $(resp_header X-Direct) $(resp_header content-length)" "418 hello! yes 6"

	# Two HEADs on one connection: body bytes after the first would spoil
	# the second (HTTP/1), or be a DATA frame nghttp counts (h2; curl
	# 7.88 sends no second HEAD on a reused h2 connection).
	if [ "${1:-}" = --http2-prior-knowledge ]; then
		check "$l: directResponse to HEAD: the head alone" \
			"$(timeout 5 nghttp -n -s -H ':method: HEAD' "$u/direct" "$u/direct/2" |
				awk '$5 == 418 { print $5, $6 }' | tr '\n' ' ')" "418 0 418 0 "
	else
		check "$l: directResponse to HEAD: the head alone" \
			"$(curl -sI --max-time 5 "$@" "$u/direct" "$u/direct" | tr -d '\r' |
				grep -cE '^HTTP/[0-9.]+ 418|^content-length: 6$|hello')" 4
	fi

	hcall "$@" -X OPTIONS -H 'Origin: https://example.com' \
		-H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: x-custom' \
		"$u/cors"
	check "$l: CORS preflight answered by the gateway" \
		"$H_CODE|$(resp_header access-control-allow-origin)|$(resp_header access-control-allow-methods)|$(resp_header access-control-allow-headers)|$(resp_header access-control-max-age)|$(resp_header access-control-allow-credentials)|$(resp_header x-backend)" \
		"200|https://example.com|GET,POST|x-custom|100|true|"
	hcall "$@" -H 'Origin: https://example.com' "$u/cors"
	check "$l: CORS simple request forwarded with CORS headers" \
		"$H_CODE|$(resp_header x-backend)|$(resp_header access-control-allow-origin)|$(resp_header access-control-expose-headers)" \
		"200|echo|https://example.com|x-exposed"
	hcall "$@" -H 'Origin: https://evil.example' "$u/cors"
	check "$l: CORS unknown origin gets no CORS headers" \
		"$H_CODE|$(resp_header x-backend)|$(resp_header access-control-allow-origin)" "200|echo|"

	local uuid n
	uuid=$(new_uuid)
	hcall "$@" --data-binary 'mirrored body' "$u/mirror/upload?uuid=$uuid"
	check "$l: mirrored request answered by the main backend" \
		"$H_CODE $(resp_header x-backend) $(jq -r .bytes <<<"$H_BODY")" "200 echo 13"
	for _ in $(seq 50); do
		n=$(backend_count "$SHADOW" "$uuid")
		[ "$n" = 1 ] && break
		sleep 0.1
	done
	check "$l: the mirror backend got the copy, body and all" "$n" 1
	for p in hangs refused; do
		hcall "$@" "$u/$p/x"
		expect "$l: a mirror that $p changes nothing" 200 '*' 0 1
	done

	hcall "$@" -H 'X-Route: from-client' "$u/backend"
	check "$l: backend modifier applies after the route's" \
		"$(echo_values X-Backend)/$(echo_values X-Route)" "b/"
}

for engine in $(engines); do
	start_engine "$engine" -c "$WORK/config.yaml" || {
		fail "$engine: gateway did not start"
		continue
	}
	filters "$engine http/1.1"
	filters "$engine h2c" --http2-prior-knowledge
	stop_gateway
done

start_gateway -c "$WORK/config.yaml"
hcall http://127.0.0.1:8080/mirror/x
hcall http://127.0.0.1:8080/refused/x
for _ in $(seq 50); do
	metrics=$(curl -s http://127.0.0.1:15020/metrics)
	grep -q 'splicegate_mirror_requests_total{result="failed"} 1' <<<"$metrics" && break
	sleep 0.1
done
check "mirror copies counted by result" \
	"$(grep '^splicegate_mirror_requests_total' <<<"$metrics" | tr '\n' ' ')" \
	'splicegate_mirror_requests_total{result="sent"} 1 splicegate_mirror_requests_total{result="failed"} 1 splicegate_mirror_requests_total{result="dropped"} 0 splicegate_mirror_requests_total{result="looped"} 0 splicegate_mirror_requests_total{result="limited"} 0 '
got=$(curl -s http://127.0.0.1:15000/config_dump |
	jq -c '[.binds[].listeners[].routes[] | {(.name): .inlinePolicies}] | add')
json_equal "config_dump inlinePolicies as agentgateway prints them" "$got" '{
  "headers": [
    {"requestHeaderModifier": {"add": {"X-Header-Add": "add-appends-values"},
      "set": {"X-Header-Set": "set-overwrites-values"}, "remove": ["X-Header-Remove"]}},
    {"responseHeaderModifier": {"add": {"X-Resp-Add": "resp-added"},
      "set": {"X-Header-Set": "resp-set"}, "remove": ["Server"]}}],
  "host": [{"requestHeaderModifier": {"set": {"host": "lifted.example"}}}],
  "rewrite-prefix": [{"urlRewrite": {"authority": {"host": "rewritten.example"}, "path": {"prefix": "/one"}}}],
  "rewrite-full": [{"urlRewrite": {"path": {"full": "/one"}}}],
  "redirect": [{"requestRedirect": {"scheme": "https", "authority": {"host": "example.org"},
    "path": {"prefix": "/new"}, "status": 301}}],
  "redirect-port": [{"requestRedirect": {"authority": {"port": 8083}}}],
  "direct": [{"responseHeaderModifier": {"add": {"X-Direct": "yes"}}},
    {"directResponse": {"body": "aGVsbG8h", "status": 418}}],
  "cors": [{"cors": {"allowCredentials": true, "allowHeaders": ["x-custom"],
    "allowMethods": ["GET", "POST"], "allowOrigins": ["https://example.com"],
    "exposeHeaders": ["x-exposed"], "maxAge": "100"}}],
  "mirror": [{"requestMirror": [{"backend": {"inlineBackend": "127.0.0.1:'"$SHADOW"'"}, "percentage": 1.0}]}],
  "mirror-hangs": [{"requestMirror": [{"backend": {"inlineBackend": "127.0.0.1:'"$BH"'"}, "percentage": 1.0}]}],
  "mirror-refused": [{"requestMirror": [{"backend": {"inlineBackend": "127.0.0.1:'"$REFUSED"'"}, "percentage": 1.0}]}],
  "backend-filters": [{"requestHeaderModifier": {"add": {"X-Route": "r"}}}]
}'
stop_gateway
finish
