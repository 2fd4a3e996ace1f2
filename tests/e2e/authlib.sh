# Shared by the http-auth-* scenarios (sourced after lib.sh).

# busy_client_start URL: 20 requests of 100 ms each to URL (a route
# without authentication) in the background, while the scenario sends its
# bad requests; busy_client_check checks that each was answered 200.
busy_client_start() {
	(
		for i in $(seq 20); do
			curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 "$1?delay=100ms"
		done >"$WORK/busy.codes"
	) &
	BUSY=$!
}

busy_client_check() {
	wait "$BUSY"
	check "a client of another route was served throughout" \
		"$(sort -u "$WORK/busy.codes" | tr '\n' ' ')" "200 "
}

# inline_policies ROUTE: the route's inlinePolicies in config_dump, as a
# one-element JSON list.
inline_policies() {
	curl -s http://127.0.0.1:15000/config_dump |
		jq -c --arg r "$1" '[.binds[0].listeners[].routes[] | select(.name == $r) | .inlinePolicies]'
}

# jwt_keys: signing keys and their JWKS (K/jwks.json) made by openssl under
# K=$WORK/keys; then `mint ALG KID CLAIMS` prints a token.
jwt_keys() {
	K=$WORK/keys
	/usr/bin/python3 "$REPO_DIR/tests/e2e/jwt_mint.py" keys "$K" || fail "keys not made"
}
mint() { /usr/bin/python3 "$REPO_DIR/tests/e2e/jwt_mint.py" token "$K" "$@"; }

# check_refuses WHAT POLICY WANT: `check` of a route with POLICY fails
# naming WANT.
check_refuses() {
	printf 'binds:\n- port: 8080\n  listeners:\n  - routes:\n    - policies:\n        %s\n      backends: [{host: 127.0.0.1:1}]\n' \
		"$2" >"$WORK/bad.yaml"
	out=$("$SG_BIN" check -c "$WORK/bad.yaml" 2>&1)
	rc=$?
	check "check refuses $1" "$rc $out" "1 $WORK/bad.yaml:$3"$'\n1 error: configuration invalid'
}

# jwks_server NAME FILE [tls]: tests/e2e/jwks_server.py serving FILE (over
# HTTPS with $WORK/srv.pem and srv.key: tls), its requests logged in
# $WORK/NAME.log; sets JP to its port.
jwks_server() {
	local args=("$WORK/$1.port" "$2" "$WORK/$1.log")
	[ "${3:-}" = tls ] && args+=("$WORK/srv.pem" "$WORK/srv.key")
	: >"$WORK/$1.log"
	/usr/bin/python3 "$REPO_DIR/tests/e2e/jwks_server.py" "${args[@]}" 2>"$WORK/$1.err" &
	PIDS+=("$!")
	for _ in $(seq 100); do
		[ -s "$WORK/$1.port" ] && break
		sleep 0.05
	done
	JP=$(cat "$WORK/$1.port")
}

# agp_refuses WHAT SECTION FLOW-MAP WANT [DOC]: `check` of an
# AgentgatewayPolicy on HTTPRoute r with traffic.SECTION: FLOW-MAP (and
# the YAML document DOC after it) fails, its output naming WANT.
agp_refuses() {
	{
		printf 'apiVersion: agentgateway.dev/v1alpha1\nkind: AgentgatewayPolicy\nmetadata: {name: p, namespace: default}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]\n  traffic:\n    %s: %s\n' \
			"$2" "$3"
		[ -z "${5:-}" ] || printf -- '---\n%s\n' "$5"
	} >"$WORK/agp.yaml"
	out=$("$SG_BIN" check -c "$WORK/agp.yaml" 2>&1)
	check "check refuses $1" "$? $(grep -cF -- "$4" <<<"$out")" "1 1"
}

# k8s_routes_start PORT ROUTE...: the agentgateway-proxy Gateway, Service
# v1 on 127.0.0.1:PORT and an HTTPRoute e2e/ROUTE on path prefix /ROUTE to
# it for each ROUTE, served by a gateway (`finish` when it does not
# start); u is its base URL.
k8s_routes_start() {
	local port=$1 r
	shift
	{
		gateway_yaml
		service_yaml v1 "$port"
		for r in "$@"; do
			echo ---
			httproute_yaml "$r" "/$r" v1 "$port"
		done
	} >"$WORK/k8s.yaml"
	if ! start_engine auto -c "$WORK/k8s.yaml"; then
		fail "gateway did not start"
		finish
	fi
	u=http://127.0.0.1:8080
}

# gateway_phase_checks: the requests of a listener whose gateway phase
# wants API key k-1 (Bearer) and header x-pre: yes, with routes /open (no
# policies) and /api (its own authorization wants x-route: yes) on $u:
# each refusal comes before routing, and the route's policy after it.
gateway_phase_checks() {
	hcall "$u/nothere"
	check "gateway phase: no key, even where no route matches: 401" "$H_CODE" 401
	hcall -H "Authorization: Bearer k-1" "$u/nothere"
	check "gateway phase: its authorization refuses before routing: 403" "$H_CODE $H_BODY" \
		"403 authorization failed"
	hcall -H "Authorization: Bearer k-1" -H "x-pre: yes" "$u/nothere"
	check "both pass: then the route is chosen (none: 404)" "$H_CODE $H_BODY" \
		"404 route not found"
	hcall -H "Authorization: Bearer k-1" -H "x-pre: yes" "$u/open/x"
	check "both pass on a route without policies: 200, the key stripped" \
		"$H_CODE [$(echo_header authorization)]" "200 []"
	hcall -H "Authorization: Bearer k-1" -H "x-pre: yes" "$u/api/x"
	check "the route's own authorization still applies: 403" "$H_CODE" 403
	hcall -H "Authorization: Bearer k-1" -H "x-pre: yes" -H "x-route: yes" "$u/api/x"
	check "and passes when it holds: 200" "$H_CODE" 200
	hcall -H "Authorization: Bearer k-2" -H "x-pre: yes" -H "x-route: yes" "$u/api/x"
	check "an unknown key: 401 before the route's policy" "$H_CODE" 401
}

# OIDC (npm's oidc-provider, tests/e2e/oidc_provider.mjs, client agw-web
# with secret $SECRET and redirect URI $CB; the cookie jar $WORK/jar).
# oidc_setup: the provider's package needed, backend v1 started (V1), the
# gateway at u=http://127.0.0.1:8080 with CB its redirect URI, SECRET the
# client's, and a fresh OIDC_COOKIE_SECRET in the environment.
oidc_setup() {
	npm_need oidc-provider
	export SG_NPM OIDC_COOKIE_SECRET
	start_backend v1
	V1=$BACKEND_PORT
	u=http://127.0.0.1:8080
	CB=$u/oauth/callback
	SECRET='s3cr3t+/x'
	OIDC_COOKIE_SECRET=$(openssl rand -hex 32)
}

# idp PORT [TTL]: the provider, started and waited for (TTL: its ID
# tokens' lifetime in seconds).
idp() {
	OIDC_ID_TOKEN_TTL=${2:-3600} node "$REPO_DIR/tests/e2e/oidc_provider.mjs" "$1" agw-web \
		"$SECRET" "$CB" >"$WORK/idp-$1.out" 2>"$WORK/idp-$1.log" &
	PIDS+=("$!")
	for _ in $(seq 200); do
		grep -q '^ready' "$WORK/idp-$1.out" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "the provider on :$1 did not start: $(tail -3 "$WORK/idp-$1.log")"
	finish
}

# login URL: the whole flow from URL, as a browser follows it; sets LOGIN
# (the gateway's first Location), TXN (the transaction cookie's
# name=value), TXN_LINE (its Set-Cookie), CALLBACK (the provider's
# redirect to the gateway) and leaves the session in the jar, the
# callback's answer in H_CODE and H_HEADERS.
login() {
	local J=$WORK/jar loc
	rm -f "$J"
	hcall -c "$J" -b "$J" "$1"
	LOGIN=$(resp_header location)
	TXN_LINE=$(grep -i '^set-cookie:' "$H_HEADERS" | sed 's/^[^:]*: //' | tr -d '\r')
	TXN=${TXN_LINE%%;*}
	loc=$LOGIN
	for _ in $(seq 10); do
		case $loc in "$CB"*) break ;; esac
		loc=$(curl -s -o /dev/null -c "$J" -b "$J" -w '%{redirect_url}' --max-time 10 "$loc")
	done
	CALLBACK=$loc
	hcall -c "$J" -b "$J" "$CALLBACK"
}

# authz_server http|grpc NAME [ARGS...]: tests/e2e/ext_authz_server.py
# speaking that protocol (ARGS passed on), its checks logged in
# $WORK/NAME.log (empty at first); sets AP to its port.
authz_server() {
	local proto=$1 name=$2
	shift 2
	: >"$WORK/$name.log"
	/usr/bin/python3 "$E2E_DIR/ext_authz_server.py" --"$proto" "$WORK/$name.port" \
		--log "$WORK/$name.log" "$@" >"$WORK/$name.out" 2>&1 &
	PIDS+=("$!")
	for _ in $(seq 200); do
		[ -s "$WORK/$name.port" ] && break
		sleep 0.05
	done
	AP=$(cat "$WORK/$name.port" 2>/dev/null)
	if [ -z "$AP" ]; then
		fail "the $proto authorization service did not start: $(cat "$WORK/$name.out")"
		finish
	fi
}

# authz_services PROTOCOL...: authz_server for each of grpc and http, the
# gRPC one logging its questions to $WORK/authz.log, the HTTP one to
# $WORK/http-authz.log; GP and HP their ports.
authz_services() {
	local p
	for p in "$@"; do
		case $p in
		grpc)
			authz_server grpc authz
			GP=$AP
			;;
		http)
			authz_server http http-authz
			HP=$AP
			;;
		esac
	done
}
