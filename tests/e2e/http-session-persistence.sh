# Session persistence (HTTPRoute rule sessionPersistence, both Gateway API shapes, and the standalone route policy), over HTTP/1.1 and HTTP/2 (h2c) clients: the first response sets a cookie (a generated unique name per rule, Path=/, HttpOnly, SameSite=Strict, no Max-Age for a Session lifetime; Max-Age=3600 for a Permanent one) or a response header, and every later request carrying it reaches the same one of three endpoints (each of the three in turn); requests without it are still balanced; a forged or foreign value, or an address, is balanced anew and given a new session; absoluteTimeout expires a session from its issue, idleTimeout from its last response (each response renews it); a session survives a reload that adds an endpoint, follows its endpoint to a backendRef of weight 0, and moves (with a new session) when its endpoint leaves the set or stops answering (a retry); config_dump shows the setting with the name in force; a client on TLS gets a Secure cookie; Service sessionAffinity ClientIP is refused by name.
. "$(dirname "$0")/lib.sh"

start_backend b1
P=$BACKEND_PORT
start_backend_at b2 127.0.0.2 "$P" || fail "b2 did not start"
start_backend_at b3 127.0.0.3 "$P" || fail "b3 did not start"
start_backend_at b4 127.0.0.4 "$P" || fail "b4 did not start"
start_backend_at solo 127.0.0.5 "$P" || fail "solo did not start"
start_backend_at r6 127.0.0.6 "$P" || fail "r6 did not start"
R6_PID=${PIDS[-1]}
start_backend_at r7 127.0.0.7 "$P" || fail "r7 did not start"

# service NAME ADDR...: a Service on port $P with one EndpointSlice of ADDRs.
service() {
	local name=$1 a
	shift
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: $name, namespace: e2e}
spec:
  ports: [{name: http, port: $P}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $name-1
  namespace: e2e
  labels: {kubernetes.io/service-name: $name}
addressType: IPv4
ports: [{name: http, port: $P}]
endpoints:
YAML
	for a in "$@"; do echo "- addresses: [$a]"; done
}

# split_route WEIGHT: /split to web (weight 1) and solo (WEIGHT).
split_route() {
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: split, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /split}}]
    sessionPersistence: {type: Cookie, cookie: {name: split}}
    backendRefs: [{name: web, port: $P, weight: 1}, {name: solo, port: $P, weight: $1}]
YAML
}

mkdir -p "$WORK/cfg"
{
	gateway_yaml
	service web 127.0.0.1 127.0.0.2 127.0.0.3
	service solo 127.0.0.5
	service pair 127.0.0.6 127.0.0.7
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: sticky, namespace: e2e}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /cookie}}]
    sessionPersistence: {type: Cookie}
    backendRefs: [{name: web, port: $P}]
  - matches: [{path: {type: PathPrefix, value: /other}}]
    sessionPersistence: {}
    backendRefs: [{name: web, port: $P}]
  - matches: [{path: {type: PathPrefix, value: /named}}]
    sessionPersistence:
      sessionName: sticky
      absoluteTimeout: 1h
      cookieConfig: {lifetimeType: Permanent}
    backendRefs: [{name: web, port: $P}]
  - matches: [{path: {type: PathPrefix, value: /header}}]
    sessionPersistence: {type: Header, header: {name: X-Session}}
    backendRefs: [{name: web, port: $P}]
  - matches: [{path: {type: PathPrefix, value: /abs}}]
    sessionPersistence: {cookie: {name: abs}, absoluteTimeout: 2s}
    backendRefs: [{name: web, port: $P}]
  - matches: [{path: {type: PathPrefix, value: /idle}}]
    sessionPersistence: {sessionName: idle, idleTimeout: 2s}
    backendRefs: [{name: web, port: $P}]
  - matches: [{path: {type: PathPrefix, value: /plain}}]
    backendRefs: [{name: web, port: $P}]
  - matches: [{path: {type: PathPrefix, value: /retry}}]
    sessionPersistence: {cookie: {name: retry}}
    retry: {attempts: 2}
    backendRefs: [{name: pair, port: $P}]
YAML
	split_route 1
} >"$WORK/cfg/gateway.yaml"

G=http://127.0.0.1:8080
if ! start_engine copy --workers 1 -c "$WORK/cfg"; then
	fail "gateway did not start"
	finish
fi

# get PATH CURL-ARGS...: one request; POD is the backend that answered,
# SC the Set-Cookie it came with ("" none), PAIR its "name=value".
get() {
	local p=$1
	shift
	hcall "$@" "$G$p"
	POD=$(resp_header x-backend)
	SC=$(resp_header set-cookie)
	PAIR=${SC%%;*}
}

# sticky NAME PATH N PAIR WANT CURL-ARGS...: N requests carrying cookie PAIR
# all reach WANT and none is given a new session.
sticky() {
	local name=$1 path=$2 n=$3 pair=$4 want=$5 i bad=""
	shift 5
	for i in $(seq "$n"); do
		get "$path" -H "cookie: $pair" "$@"
		[ "$H_CODE" = 200 ] && [ "$POD" = "$want" ] && [ -z "$SC" ] ||
			bad="$bad [$i: $H_CODE $POD '$SC']"
	done
	check "$name" "${bad:-none}" none
}

# sessions PATH CURL-ARGS...: requests without a session until each of the
# three web pods answered one; POD_PAIRS[pod] is the session it gave.
declare -A POD_PAIRS
sessions() {
	local path=$1
	shift
	POD_PAIRS=()
	for _ in $(seq 200); do
		get "$path" "$@"
		[ "$H_CODE" = 200 ] && [ -n "$PAIR" ] && POD_PAIRS[$POD]=$PAIR
		[ "${#POD_PAIRS[@]}" -ge 3 ] && return 0
	done
	return 1
}

# issued PAIR: the time a session value says it was issued.
issued() {
	local v=${1#*=}
	v=${v#*.}
	echo "${v%%.*}"
}

for proto in h1 h2; do
	args=()
	[ $proto = h2 ] && args=(--http2-prior-knowledge)

	# ---- a cookie per rule, sticky to each endpoint --------------------
	get /cookie "${args[@]}"
	check "$proto: first response 200" "$H_CODE" 200
	case "$SC" in
	sg-session-????????=*"; Path=/; HttpOnly; SameSite=Strict") pass "$proto: session cookie: $SC" ;;
	*) fail "$proto: session cookie: '$SC'" ;;
	esac
	[ "$proto" = h2 ] && [ "$(grep -c '^HTTP/2' "$H_HEADERS")" = 1 ] || [ "$proto" = h1 ] ||
		fail "h2: the client did not speak HTTP/2"
	if sessions /cookie "${args[@]}"; then
		for pod in b1 b2 b3; do
			sticky "$proto: the session of $pod stays on it" /cookie 8 "${POD_PAIRS[$pod]}" \
				"$pod" "${args[@]}"
		done
	else
		fail "$proto: 200 requests without a session did not reach all three pods"
	fi
	# Other cookies beside it, and (HTTP/2) the cookie crumbs apart.
	get /cookie "${args[@]}" -H "cookie: a=1; ${POD_PAIRS[b2]}; z=2"
	check "$proto: among other cookies" "$POD/$SC" "b2/"
	get /cookie "${args[@]}" -H "cookie: a=1" -H "cookie: ${POD_PAIRS[b3]}"
	check "$proto: in a second cookie field" "$POD/$SC" "b3/"

	# ---- another rule keeps sessions of its own ------------------------
	get /other "${args[@]}" -H "cookie: ${POD_PAIRS[b1]}"
	other=${PAIR%%=*}
	if [ -n "$other" ] && [ "$other" != "${POD_PAIRS[b1]%%=*}" ]; then
		pass "$proto: rule /other names its own cookie ($other)"
	else
		fail "$proto: rule /other's cookie: '$SC'"
	fi

	# ---- a forged value is balanced and given a session of its own -----
	name=${POD_PAIRS[b1]%%=*}
	for forged in 0123456789abcdef.1.1 "127.0.0.2:$P" "${POD_PAIRS[b1]#*=}x" garbage; do
		get /cookie "${args[@]}" -H "cookie: $name=$forged"
		if [ "$H_CODE" = 200 ] && [ "${PAIR%%=*}" = "$name" ] && [ "$PAIR" != "$name=$forged" ]; then
			pass "$proto: forged '$forged' gets a new session ($POD)"
		else
			fail "$proto: forged '$forged': $H_CODE $POD '$SC'"
		fi
	done

	# ---- balanced without a session ------------------------------------
	declare -A seen=()
	for _ in $(seq 30); do
		get /plain "${args[@]}"
		seen[$POD]=1
		[ -z "$SC" ] || fail "$proto: a route without sessions set '$SC'"
	done
	[ "${#seen[@]}" -ge 2 ] && pass "$proto: no session, balanced (${!seen[*]})" ||
		fail "$proto: 30 requests without a session all went to ${!seen[*]}"
	unset seen

	# ---- a Permanent cookie with its name --------------------------------
	get /named "${args[@]}"
	case "$SC" in
	"sticky="*"; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict") pass "$proto: permanent: $SC" ;;
	*) fail "$proto: permanent cookie: '$SC'" ;;
	esac
	sticky "$proto: the permanent cookie holds" /named 5 "$PAIR" "$POD" "${args[@]}"

	# ---- a header ------------------------------------------------------
	get /header "${args[@]}"
	hv=$(resp_header x-session)
	pod=$POD
	if [ -n "$hv" ] && [ -z "$SC" ]; then
		pass "$proto: header session x-session: $hv"
	else
		fail "$proto: header session: '$hv', cookie '$SC'"
	fi
	bad=""
	for _ in $(seq 8); do
		get /header "${args[@]}" -H "x-session: $hv"
		[ "$POD" = "$pod" ] && [ -z "$(resp_header x-session)" ] || bad="$bad $POD"
	done
	check "$proto: the header session holds" "${bad:-none}" none
	get /header "${args[@]}" -H "cookie: x-session=$hv"
	[ -n "$(resp_header x-session)" ] && pass "$proto: a header session is not read from a cookie" ||
		fail "$proto: a header session was read from a cookie"
done

# ---- absoluteTimeout: from the issue ------------------------------------------
get /abs
pair=$PAIR
pod=$POD
get /abs -H "cookie: $pair"
check "absolute: live at once" "$POD/$SC" "$pod/"
sleep 2.3
get /abs -H "cookie: $pair"
if [ -n "$PAIR" ] && [ "$(issued "$PAIR")" != "$(issued "$pair")" ]; then
	pass "absolute: after 2s a new session ($SC)"
else
	fail "absolute: after 2s: '$SC' (was $pair)"
fi

# ---- idleTimeout: from the last response, each renewing it ----------------
get /idle
pair=$PAIR
pod=$POD
first=$(issued "$pair")
bad=""
for _ in 1 2 3 4; do
	sleep 0.7
	get /idle -H "cookie: $pair"
	[ "$POD" = "$pod" ] && [ -n "$PAIR" ] && [ "$(issued "$PAIR")" = "$first" ] ||
		bad="$bad [$POD '$SC']"
	pair=${PAIR:-$pair}
done
check "idle: renewed by each response, 2.8s on one session" "${bad:-none}" none
sleep 2.3
get /idle -H "cookie: $pair"
if [ -n "$PAIR" ] && [ "$(issued "$PAIR")" != "$first" ]; then
	pass "idle: 2.3s without a response, a new session"
else
	fail "idle: after 2.3s idle: '$SC'"
fi

# ---- config_dump ----------------------------------------------------------------
dump=$(curl -s http://127.0.0.1:15000/config_dump)
got=$(jq -c '[.. | objects | select(.inlinePolicies?) | select(.matches[0].path.pathPrefix == "/named") | .inlinePolicies[]] | unique' <<<"$dump")
json_equal "config_dump: /named" "$got" \
	'[{"sessionPersistence":{"type":"Cookie","absoluteTimeout":"1h0m0s","cookie":{"name":"sticky","path":"/","lifetimeType":"Permanent"}}}]'
got=$(jq -c '[.. | objects | select(.inlinePolicies?) | select(.matches[0].path.pathPrefix == "/header") | .inlinePolicies[]] | unique' <<<"$dump")
json_equal "config_dump: /header" "$got" '[{"sessionPersistence":{"type":"Header","header":{"name":"x-session"}}}]'
got=$(jq -r '[.. | objects | select(.inlinePolicies?) | select(.matches[0].path.pathPrefix == "/cookie") | .inlinePolicies[].sessionPersistence.cookie.name] | unique | .[]' <<<"$dump")
check "config_dump: /cookie's generated name" "$got" "${POD_PAIRS[b1]%%=*}"

# ---- reloads ---------------------------------------------------------------------
# An endpoint joins: every session stays.
service web 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 | "$SG_BIN" apply -f- >/dev/null ||
	fail "apply: b4 joins"
for pod in b1 b2 b3; do
	sticky "b4 joined: $pod's session stays" /cookie 4 "${POD_PAIRS[$pod]}" "$pod"
done
# Its endpoint leaves: balanced among the rest, with a new session there.
service web 127.0.0.1 127.0.0.3 127.0.0.4 | "$SG_BIN" apply -f- >/dev/null || fail "apply: b2 leaves"
get /cookie -H "cookie: ${POD_PAIRS[b2]}"
if [ "$H_CODE" = 200 ] && [ "$POD" != b2 ] && [ -n "$PAIR" ] && [ "$PAIR" != "${POD_PAIRS[b2]}" ]; then
	pass "b2 left: its session moved to $POD"
	sticky "b2 left: the new session holds" /cookie 4 "$PAIR" "$POD"
else
	fail "b2 left: $H_CODE $POD '$SC'"
fi
sticky "b2 left: b1's session stays" /cookie 4 "${POD_PAIRS[b1]}" b1

# A session on a backendRef whose weight becomes 0 stays there.
for _ in $(seq 100); do
	get /split
	[ "$POD" = solo ] && break
done
solo=$PAIR
check "split: a session on solo" "$POD" solo
split_route 0 | "$SG_BIN" apply -f- >/dev/null || fail "apply: solo's weight 0"
sticky "split: solo at weight 0 keeps its session" /split 5 "$solo" solo
declare -A seen=()
for _ in $(seq 20); do
	get /split
	seen[$POD]=1
done
[ -z "${seen[solo]:-}" ] && pass "split: no new session on solo" || fail "split: solo got a new request"

# Its endpoint stops answering: the retry goes to the other, with a new session.
for _ in $(seq 100); do
	get /retry
	[ "$POD" = r6 ] && break
done
r6=$PAIR
kill "$R6_PID"
wait "$R6_PID" 2>/dev/null
get /retry -H "cookie: $r6"
if [ "$H_CODE" = 200 ] && [ "$POD" = r7 ] && [ -n "$PAIR" ] && [ "$PAIR" != "$r6" ]; then
	pass "r6 down: retried on r7 with a new session"
else
	fail "r6 down: $H_CODE $POD '$SC'"
fi

# ---- Service sessionAffinity ---------------------------------------------------
out=$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: aff, namespace: e2e}\nspec:\n  sessionAffinity: ClientIP\n  clusterIP: 127.0.0.1\n  ports: [{port: %s}]\n' "$P" |
	"$SG_BIN" apply -f- 2>&1)
case "$out" in
*"spec.sessionAffinity: ClientIP is not supported"*) pass "sessionAffinity ClientIP refused" ;;
*) fail "sessionAffinity ClientIP: '$out'" ;;
esac
stop_gateway

# ---- the standalone dialect -------------------------------------------------------
cat >"$WORK/standalone.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - routes:
    - name: s
      policies:
        sessionPersistence: {type: Header, header: {name: x-pin}, idleTimeout: 1m}
      backends:
      - host: 127.0.0.1:$P
      - host: 127.0.0.3:$P
- port: 8443
  listeners:
  - protocol: HTTPS
    tls: {cert: $WORK/srv.pem, key: $WORK/srv.key}
    routes:
    - policies: {sessionPersistence: {cookie: {name: tls}}}
      backends: [{host: 127.0.0.1:$P}]
YAML
ca_and_cert session
if start_engine copy -p 8080 -p 8443 -c "$WORK/standalone.yaml"; then
	hcall --cacert "$WORK/ca.pem" https://127.0.0.1:8443/
	check "https: the cookie is Secure" "$(resp_header set-cookie | sed 's/=[^;]*;/=V;/')" \
		"tls=V; Path=/; HttpOnly; SameSite=Strict; Secure"
	declare -A seen=()
	for _ in $(seq 60); do
		get /
		seen[$POD]=$(resp_header x-pin)
		[ "${#seen[@]}" -ge 2 ] && break
	done
	for pod in b1 b3; do
		bad=""
		for _ in $(seq 5); do
			get / -H "x-pin: ${seen[$pod]:-none}"
			[ "$POD" = "$pod" ] && [ -n "$(resp_header x-pin)" ] || bad="$bad $POD"
		done
		check "standalone: $pod's header session holds (renewed: idleTimeout)" "${bad:-none}" none
	done
	got=$(curl -s http://127.0.0.1:15000/config_dump |
		jq -c '[.. | objects | select(.inlinePolicies? and .name == "s") | .inlinePolicies[]]')
	json_equal "standalone: config_dump" "$got" \
		'[{"sessionPersistence":{"type":"Header","idleTimeout":"1m0s","header":{"name":"x-pin"}}}]'
else
	fail "standalone gateway did not start"
fi
finish
