# HTTP routing: Gateway API matching (path exact/prefix/regex, hostnames with wildcards, headers, method, query, weights) picks the right backend, no match gives 404 "route not found", a Service without endpoints 500 "no valid backends"; Host and header case are preserved, X-Forwarded-For appended, hop-by-hop headers removed.
. "$(dirname "$0")/lib.sh"

declare -A PORT
for b in pre exact longer regex host wild header method query plain unused; do
	start_backend "$b"
	PORT[$b]=$BACKEND_PORT
done

mkdir -p "$WORK/cfg"
{
	gateway_yaml
	for b in "${!PORT[@]}"; do
		service_yaml "$b" "${PORT[$b]}"
	done
	cat <<YAML
---
# A Service with a port but neither clusterIP nor EndpointSlices.
apiVersion: v1
kind: Service
metadata:
  name: empty
  namespace: e2e
spec:
  ports:
  - name: http
    port: 9
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: paths
  namespace: e2e
spec:
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - matches:
    - path: {type: PathPrefix, value: /pre}
    backendRefs:
    - {name: pre, port: ${PORT[pre]}}
  - matches:
    - path: {type: Exact, value: /pre/exact}
    backendRefs:
    - {name: exact, port: ${PORT[exact]}}
  - matches:
    - path: {type: PathPrefix, value: /pre/longer}
    backendRefs:
    - {name: longer, port: ${PORT[longer]}}
  - matches:
    - path: {type: RegularExpression, value: "/re/[0-9]+"}
    backendRefs:
    - {name: regex, port: ${PORT[regex]}}
  - matches:
    - path: {type: PathPrefix, value: /m}
      headers:
      - {type: Exact, name: x-env, value: canary}
    backendRefs:
    - {name: header, port: ${PORT[header]}}
  - matches:
    - path: {type: PathPrefix, value: /m}
      method: POST
    backendRefs:
    - {name: method, port: ${PORT[method]}}
  - matches:
    - path: {type: PathPrefix, value: /m}
      queryParams:
      - {type: Exact, name: q, value: "1"}
    backendRefs:
    - {name: query, port: ${PORT[query]}}
  - matches:
    - path: {type: PathPrefix, value: /m}
    backendRefs:
    - {name: plain, port: ${PORT[plain]}}
  - matches:
    - path: {type: PathPrefix, value: /weighted}
    backendRefs:
    - {name: plain, port: ${PORT[plain]}, weight: 1}
    - {name: unused, port: ${PORT[unused]}, weight: 0}
  - matches:
    - path: {type: PathPrefix, value: /empty}
    backendRefs:
    - {name: empty, port: 9}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: host
  namespace: e2e
spec:
  hostnames: [host.example]
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - matches:
    - path: {type: PathPrefix, value: /}
    backendRefs:
    - {name: host, port: ${PORT[host]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: wild
  namespace: e2e
spec:
  hostnames: ["*.wild.example"]
  parentRefs:
  - name: agentgateway-proxy
    namespace: agentgateway-system
  rules:
  - matches:
    - path: {type: PathPrefix, value: /}
    backendRefs:
    - {name: wild, port: ${PORT[wild]}}
YAML
} >"$WORK/cfg/gateway.yaml"

G=http://127.0.0.1:8080
# routed NAME WANT-POD CURL-ARGS...: the request reaches backend WANT-POD.
routed() {
	local name=$1 want=$2
	shift 2
	hcall "$@"
	if [ "$H_CODE" = 200 ] && [ "$(jq -r .pod <<<"$H_BODY" 2>/dev/null)" = "$want" ]; then
		pass "$name -> $want"
	else
		fail "$name: want 200 from $want, got $H_CODE '${H_BODY:0:120}'"
	fi
}

for engine in $(engines); do
	echo "-- engine $engine"
	if ! start_engine "$engine" -c "$WORK/cfg"; then
		fail "gateway ($engine) did not start"
		continue
	fi

	routed "PathPrefix /pre: /pre" pre "$G/pre"
	routed "PathPrefix /pre: /pre/ and /pre/x" pre "$G/pre/x"
	routed "Exact /pre/exact beats PathPrefix /pre" exact "$G/pre/exact"
	routed "Exact /pre/exact does not take /pre/exact/ (falls to the prefix)" pre "$G/pre/exact/"
	routed "longer PathPrefix /pre/longer wins" longer "$G/pre/longer/x"
	routed "query string does not disturb the path match" exact "$G/pre/exact?a=b"
	hcall "$G/prefix"
	expect "PathPrefix /pre does not match /prefix (path elements)" 404 "route not found"
	routed "RegularExpression /re/[0-9]+" regex "$G/re/123"
	hcall "$G/re/abc"
	expect "RegularExpression does not match /re/abc" 404 "route not found"

	routed "hostnames [host.example]" host -H 'Host: host.example' "$G/anything"
	routed "hostnames [host.example], Host with port" host -H 'Host: host.example:8080' "$G/anything"
	routed "hostnames [host.example], Host in other case" host -H 'Host: HOST.Example' "$G/anything"
	routed "hostnames [*.wild.example]: a.wild.example" wild -H 'Host: a.wild.example' "$G/x"
	routed "hostnames [*.wild.example]: a.b.wild.example" wild -H 'Host: a.b.wild.example' "$G/x"
	hcall -H 'Host: wild.example' "$G/x"
	expect "*.wild.example does not match wild.example" 404 "route not found"
	hcall -H 'Host: other.example' "$G/anything"
	expect "no route for other.example/anything" 404 "route not found"
	grep -qi '^content-type: text/plain' "$H_HEADERS" && pass "404 is text/plain" || fail "404 content-type: $(grep -i '^content-type' "$H_HEADERS")"
	expect_date "404 has the gateway's Date"

	routed "header x-env: canary" header -H 'x-env: canary' "$G/m"
	routed "header match value is exact (x-env: canary2 -> plain)" plain -H 'x-env: canary2' "$G/m"
	routed "method POST" method -X POST -d x=1 "$G/m"
	routed "query q=1" query "$G/m?q=1"
	routed "query q=2 -> plain" plain "$G/m?q=2"
	routed "no header/method/query -> plain" plain "$G/m"
	routed "method beats headers (POST + x-env: canary)" method -X POST -d x=1 -H 'x-env: canary' "$G/m"
	routed "headers beat query (x-env: canary + q=1)" header -H 'x-env: canary' "$G/m?q=1"

	bad=0
	for _ in $(seq 20); do
		hcall "$G/weighted"
		[ "$(jq -r .pod <<<"$H_BODY" 2>/dev/null)" = plain ] || bad=$((bad + 1))
	done
	check "weight 0 backend never chosen (20 requests)" "$bad" 0

	hcall "$G/empty"
	expect "Service without endpoints -> 500" 500 "no valid backends"

	# What the backend sees.
	hcall -H 'Host: host.example' "$G/h"
	check "Host preserved" "$(jq -r .host <<<"$H_BODY")" host.example
	hcall "$G/m"
	check "X-Forwarded-For set to the client address" \
		"$(jq -r '[.headers | to_entries[] | select(.key | ascii_downcase == "x-forwarded-for") | .value[]] | join(", ")' <<<"$H_BODY")" \
		"127.0.0.1"
	hcall -H 'X-Forwarded-For: 192.0.2.7' "$G/m"
	check "X-Forwarded-For appended" \
		"$(jq -r '[.headers | to_entries[] | select(.key | ascii_downcase == "x-forwarded-for") | .value[]] | join(", ")' <<<"$H_BODY")" \
		"192.0.2.7, 127.0.0.1"
	hcall -H 'Connection: close, X-Secret' -H 'X-Secret: 1' -H 'Keep-Alive: 5' -H 'X-Kept: 2' "$G/m"
	hdrs=$(jq -r '.headers | keys | map(ascii_downcase) | join(" ")' <<<"$H_BODY")
	case " $hdrs " in
	*" x-secret "* | *" keep-alive "*) fail "hop-by-hop headers reached the backend: $hdrs" ;;
	*) pass "Connection-listed X-Secret and Keep-Alive removed" ;;
	esac
	check "other headers kept" "$(echo_header x-kept)" 2
	hcall -H 'X-MiXeD-CaSe: v' -H 'x-lower: w' "$G/m"
	check "header name case preserved" "$(jq -r '.headers | keys | map(select(. == "X-MiXeD-CaSe" or . == "x-lower")) | join(" ")' <<<"$H_BODY")" "X-MiXeD-CaSe x-lower"
	grep -q '^x-backend: plain' "$H_HEADERS" && pass "backend response headers reach the client" || fail "x-backend response header missing"

	stop_gateway
done
finish
