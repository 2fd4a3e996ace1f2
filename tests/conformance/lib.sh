# One conformance test (run.sh's worker): `bash lib.sh ShortName` starts the
# base backends and a gateway on the base resources, sources
# cases/ShortName.sh and prints one PASS/FAIL line per case. The helpers
# below are what a case file calls; each check prints why it failed.
set -u
TEST=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/sg-conf.XXXXXX)
# An admin socket of its own: two runs at once (each in a network
# namespace of its own) never meet at /run/splicegate/admin.sock.
export SPLICEGATE_ADMIN_SOCKET=$WORK/admin.sock
PIDS=()
INFRA=gateway-conformance-infra
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# ---- backends --------------------------------------------------------------

# backend NAME [ARGS...]: an echo backend (tests/backend/sgbackend.py) named
# NAME; its port is ${PORT[NAME]} once ready_port has read it.
backend() {
	local name=$1
	shift
	/usr/bin/python3 "$REPO/tests/backend/sgbackend.py" --port 0 --name "$name" \
		--ready-file "$WORK/$name.port" "$@" 2>"$WORK/$name.log" &
	PIDS+=("$!")
}
# grpc_backend NAME [FILE-STEM [ARGS...]]: a gRPC echo
# (tests/backend/h2backend.py) named NAME, h2c unless ARGS say --tls; its
# port file is $WORK/FILE-STEM.port (default NAME).
grpc_backend() {
	local stem=${2:-$1}
	/usr/bin/python3 "$REPO/tests/backend/h2backend.py" --port 0 --name "$1" \
		--ready-file "$WORK/$stem.port" "${@:3}" >"$WORK/$stem.log" 2>&1 &
	PIDS+=("$!")
}
ready_port() { # NAME: its port once it listens
	for _ in $(seq 200); do
		[ -s "$WORK/$1.port" ] && cat "$WORK/$1.port" && return 0
		sleep 0.05
	done
	return 1
}
# tcp_backend: the suite's tcp-backend, the TCP echo (tests/backend/
# tcpecho.py: welcome line, PING, IS_TLS, TEST) as pod tcp-backend of the
# infra namespace, started by the cases that use it: its plain port
# ${PORT[tcp-backend]} (upstream 3000) and its TLS port
# ${PORT[tcp-backend-tls]} (upstream 8443, the TLS echo's certificate:
# abc.example.com, signed by the CA of tls-checks-ca-certificate).
tcp_backend() {
	/usr/bin/python3 "$REPO/tests/backend/tcpecho.py" --port 0 --tls-port 0 \
		--tls "$WORK/tls.crt" "$WORK/tls.key" --name tcp-backend --namespace "$INFRA" \
		--ready-file "$WORK/tcp-backend.port" --tls-ready-file "$WORK/tcp-backend-tls.port" \
		2>"$WORK/tcp-backend.log" &
	PIDS+=("$!")
	PORT[tcp-backend]=$(ready_port tcp-backend) && PORT[tcp-backend-tls]=$(ready_port tcp-backend-tls) || {
		echo "FAIL $TEST: backend tcp-backend did not start"
		exit 1
	}
}

# The CA of the TLS backends (the suite's tls-checks-ca-certificate) and
# their certificate: abc.example.com, other.example.com and the SPIFFE ID
# the SAN test names; a second CA that signed nothing here; the frontend
# certificate of the HTTPS listeners (tls-validity-checks-certificate).
certs() {
	local sub='subjectAltName=DNS:abc.example.com,DNS:other.example.com,URI:spiffe://abc.example.com/test-identity'
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ca \
		-keyout "$WORK/ca.key" -out "$WORK/ca.crt" >/dev/null 2>&1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=other-ca -keyout "$WORK/ca2.key" -out "$WORK/ca2.crt" >/dev/null 2>&1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=abc.example.com \
		-keyout "$WORK/tls.key" -out "$WORK/tls.csr" >/dev/null 2>&1
	openssl x509 -req -in "$WORK/tls.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
		-CAcreateserial -days 2 -extfile <(echo "$sub") -out "$WORK/tls.crt" >/dev/null 2>&1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=https-listener.org -addext \
		'subjectAltName=DNS:https-listener.org,DNS:example.org,DNS:unknown-example.org,DNS:second-example.org,DNS:*.wildcard.org' \
		-keyout "$WORK/front.key" -out "$WORK/front.crt" >/dev/null 2>&1
}
indent() { sed "s/^/$1/" "$2"; }

# ---- the gateway -----------------------------------------------------------

# apply: the case's manifest (standard input) applied as kubectl would; its
# output in $WORK/apply.out, exit status returned.
apply() {
	"$SG_BIN" apply -f- >"$WORK/apply.out" 2>&1
}

# one_rule_route NAME BACKENDREF: an HTTPRoute on same-namespace with one
# rule (no match) whose one backendRef is the flow mapping BACKENDREF.
one_rule_route() {
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs: [{name: same-namespace}]\n  rules: [{backendRefs: [%s]}]\n' \
		"$1" "$INFRA" "$2"
}
# invalid_ref ROUTE REASON: the route's ResolvedRefs is False REASON, and
# its requests get 500.
invalid_ref() {
	applied && parent HTTPRoute "$INFRA/$1" $INFRA/same-namespace ResolvedRefs False "$2"
}
# no_accepted_parent KIND NS/ROUTE: no parent of its status is Accepted True.
no_accepted_parent() {
	local n
	n=$(res "$1" "$2" | jq '[.status.parents[]?.conditions[] | select(.type == "Accepted" and .status == "True")] | length')
	[ "$n" = 0 ] || { echo "$n parents Accepted True"; return 1; }
}
# zero_routes NS/GW: no listener has a route attached.
zero_routes() {
	local n
	n=$(res gateway "$1" | jq '[.status.listeners[].attachedRoutes] | add')
	[ "$n" = 0 ] || { echo "$n routes attached"; return 1; }
}
# unattached KIND NS/ROUTE NS/GW REASON: the three subtests of the
# invalid-parentRef tests, by index 0, 1, 2.
unattached() {
	case $5 in
	0) applied && parent "$1" "$2" "$3" Accepted False "$4" ;;
	1) applied && no_accepted_parent "$1" "$2" ;;
	2) applied && zero_routes "$3" ;;
	esac
}
# hostname_matching KIND BACKEND-STEM: the manifest of
# {http,grpc}route-listener-hostname-matching.yaml: Gateway
# <kind>-listener-hostname-matching, its four HTTP listeners on 9001
# (upstream 80) with hostnames bar.com, foo.bar.com, *.bar.com and
# *.foo.com, and routes backend-v1 (listener-1), backend-v2 (listener-2)
# and backend-v3 (listener-3 and -4) of kind KIND (HTTPRoute, GRPCRoute)
# to BACKEND-STEM-v1, -v2 and -v3.
hostname_matching() {
	local g=${1,,}-listener-hostname-matching l i s
	gw_head "$g"
	for l in "1 bar.com" "2 foo.bar.com" "3 '*.bar.com'" "4 '*.foo.com'"; do
		echo "  - {name: listener-${l%% *}, port: 9001, protocol: HTTP, hostname: ${l#* }, allowedRoutes: {namespaces: {from: Same}}}"
	done
	for i in 1 2 3; do
		printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: %s\nmetadata: {name: backend-v%s, namespace: %s}\nspec:\n  parentRefs:\n' \
			"$1" $i "$INFRA"
		s=listener-$i
		[ $i = 3 ] && s="listener-3 listener-4"
		for l in $s; do echo "  - {name: $g, namespace: $INFRA, sectionName: $l}"; done
		echo "  rules: [{backendRefs: [{name: $2-v$i, port: 8080}]}]"
	done
}
# tls_route NAME GATEWAY[:SECTION] HOSTNAMES: a TLSRoute to tls-backend.
tls_route() {
	local sec=
	[[ $2 == *:* ]] && sec=", sectionName: ${2#*:}"
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: TLSRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs: [{name: %s%s}]\n  hostnames: %s\n  rules: [{backendRefs: [{name: tls-backend, port: 443}]}]\n' \
		"$1" "$INFRA" "${2%%:*}" "$sec" "$3"
}
# gw_head NAME: a Gateway of the infra namespace up to its listeners.
gw_head() {
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: %s, namespace: %s}\nspec:\n  gatewayClassName: splicegate\n  listeners:\n' \
		"$1" "$INFRA"
}
# xns_route NAME NS BACKEND: an HTTPRoute on same-namespace whose one rule
# sends to BACKEND:8080 in namespace NS.
xns_route() {
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $1, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules: [{backendRefs: [{name: $3, namespace: $2, port: 8080}]}]
YAML
}
# tls_svc NAME [PORT-NAME [PORT [APP-PROTOCOL]]]: a Service on the TLS echo.
tls_svc() {
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: $1, namespace: $INFRA}
spec:
  clusterIP: 127.0.0.1
  ports: [{name: ${2:-btls}, port: ${3:-443}, targetPort: ${PORT[tls-backend]}${4:+, appProtocol: $4}}]
YAML
}
# tcp_backend_svc: Service tcp-backend as upstream's base has it, on
# tcp_backend's ports: echo-tcp-plain 3000, echo-tcp-tls 8443.
tcp_backend_svc() {
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: tcp-backend, namespace: $INFRA}
spec:
  clusterIP: 127.0.0.1
  ports:
  - {name: echo-tcp-plain, port: 3000, targetPort: ${PORT[tcp-backend]}}
  - {name: echo-tcp-tls, port: 8443, targetPort: ${PORT[tcp-backend-tls]}}
YAML
}
# terminate_secret: the Secret the suite makes for the TLSRoute Terminate
# listeners, tls-terminate-checks-certificate (tls.example.com, signed by
# the CA of tls-checks-ca-certificate); its files $WORK/term.{crt,key}.
terminate_secret() {
	if [ ! -s "$WORK/term.crt" ]; then
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=tls.example.com \
			-keyout "$WORK/term.key" -out "$WORK/term.csr" >/dev/null 2>&1
		openssl x509 -req -in "$WORK/term.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
			-CAcreateserial -days 2 -extfile <(echo 'subjectAltName=DNS:tls.example.com') \
			-out "$WORK/term.crt" >/dev/null 2>&1
	fi
	cat <<YAML
---
apiVersion: v1
kind: Secret
metadata: {name: tls-terminate-checks-certificate, namespace: $INFRA}
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 "$WORK/term.crt")
  tls.key: $(base64 -w0 "$WORK/term.key")
YAML
}
# Gateway spec.tls (gateway-*client*certificate*.go, gateway-tls-backend-*):
# client_certs prints the suite's programmatic resources for them
# (suite.go): ConfigMaps tls-validity-checks-ca-certificate and
# tls-validity-checks-per-port-ca-certificate, a client certificate each
# of those CAs signed as Secrets tls-validity-checks-client-certificate
# and tls-validity-checks-per-port-client-certificate ($WORK/vc-client.*,
# $WORK/pp-client.*), tls-checks-client-certificate, signed by the CA of
# tls-checks-ca-certificate ($WORK/tc-client.*), and ConfigMap
# web-backend-cm of the web-backend namespace.
client_certs() {
	local c
	for c in vc pp web; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "/CN=$c-ca" -keyout "$WORK/$c-ca.key" -out "$WORK/$c-ca.crt" >/dev/null 2>&1
	done
	client_cert vc vc-ca
	client_cert pp pp-ca
	client_cert tc ca
	ca_configmap tls-validity-checks-ca-certificate $INFRA vc-ca
	ca_configmap tls-validity-checks-per-port-ca-certificate $INFRA pp-ca
	ca_configmap web-backend-cm gateway-conformance-web-backend web-ca
	pem_secret tls-validity-checks-client-certificate $INFRA vc-client
	pem_secret tls-validity-checks-per-port-client-certificate $INFRA pp-client
	pem_secret tls-checks-client-certificate $INFRA tc-client
}
# client_cert STEM CA: $WORK/STEM-client.{crt,key}, a client certificate
# CA ($WORK/CA.{crt,key}) signed.
client_cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1-client" \
		-keyout "$WORK/$1-client.key" -out "$WORK/$1-client.csr" >/dev/null 2>&1
	openssl x509 -req -in "$WORK/$1-client.csr" -CA "$WORK/$2.crt" -CAkey "$WORK/$2.key" \
		-CAcreateserial -days 2 -extfile <(echo 'extendedKeyUsage=clientAuth') \
		-out "$WORK/$1-client.crt" >/dev/null 2>&1
}
# ca_configmap NAME NS STEM: a ConfigMap with $WORK/STEM.crt as ca.crt.
ca_configmap() {
	cat <<YAML
---
apiVersion: v1
kind: ConfigMap
metadata: {name: $1, namespace: $2}
data:
  ca.crt: |
$(indent '    ' "$WORK/$3.crt")
YAML
}
# pem_secret NAME NS STEM: a kubernetes.io/tls Secret of $WORK/STEM.{crt,key}.
pem_secret() {
	cat <<YAML
---
apiVersion: v1
kind: Secret
metadata: {name: $1, namespace: $2}
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 "$WORK/$3.crt")
  tls.key: $(base64 -w0 "$WORK/$3.key")
YAML
}
# btls NAME SERVICE[:SECTION] HOSTNAME [VALIDATION-LINES]: a BackendTLSPolicy
# with the CA ConfigMap, unless VALIDATION-LINES say otherwise.
btls() {
	local svc=${2%%:*} sec= ca='    caCertificateRefs: [{group: "", kind: ConfigMap, name: tls-checks-ca-certificate}]'
	[[ $2 == *:* ]] && sec=", sectionName: ${2#*:}"
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: $1, namespace: $INFRA}
spec:
  targetRefs: [{group: "", kind: Service, name: $svc$sec}]
  validation:
    hostname: "$3"
${4:-$ca}
YAML
}
# route_rule PATH SERVICE [PORT]: one rule of an HTTPRoute, Exact PATH.
route_rule() {
	printf '  - matches: [{path: {type: Exact, value: %s}}]\n    backendRefs: [{group: "", kind: Service, name: %s, port: %s}]\n' \
		"$1" "$2" "${3:-443}"
}
# route NAME GATEWAY HOSTNAME: an HTTPRoute head (rules follow).
route() {
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs: [{name: %s}]\n  hostnames: [%s]\n  rules:\n' \
		"$1" "$INFRA" "$2" "$3"
}

# filter_route NAME [GATEWAY]: an HTTPRoute head on same-namespace (or
# GATEWAY), rules to follow (filter_rule).
filter_route() {
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs: [{name: %s}]\n  rules:\n' \
		"$1" "$INFRA" "${2:-same-namespace}"
}
# filter_rule PATH FILTER-TYPE FILTER-BODY [BACKEND]: a rule matching
# PathPrefix PATH with one filter (its field named after its type, as
# requestRedirect for RequestRedirect) and, given, a backendRef BACKEND:8080.
filter_rule() {
	local field=${2,}
	case $2 in
	URLRewrite) field=urlRewrite ;;
	CORS) field=cors ;;
	esac
	printf '  - matches: [{path: {type: PathPrefix, value: %s}}]\n    filters: [{type: %s, %s: %s}]\n' \
		"$1" "$2" "$field" "$3"
	[ -n "${4:-}" ] && printf '    backendRefs: [{name: %s, port: 8080}]\n' "$4"
	return 0
}
# route_ok NS/ROUTE [NS/GW]: the route accepted by same-namespace (or GW)
# with its refs resolved (GatewayAndHTTPRoutesMustBeAccepted,
# HTTPRouteMustHaveResolvedRefsConditionsTrue).
route_ok() {
	local g=${2:-$INFRA/same-namespace}
	applied && parent HTTPRoute "$1" "$g" Accepted True Accepted &&
		parent HTTPRoute "$1" "$g" ResolvedRefs True ResolvedRefs
}
# routed NS/ROUTE CHECK-WORDS...: route_ok, then check.
routed() { route_ok "$1" && check "${@:2}"; }

# routes_check NS/ROUTE[,NS/ROUTE...][@NS/GW] WORD...: each route accepted
# by same-namespace (or GW) with its refs resolved, then check WORD...
routes_check() {
	local r gw=
	[[ $1 == *@* ]] && gw=${1#*@}
	for r in $(tr , ' ' <<<"${1%@*}"); do route_ok "$r" $gw || return 1; done
	check "${@:2}"
}
# mcase I ROUTES PATH WANT [WORD...]: the suite's ExpectedResponse number
# I through ROUTES (as routes_check takes them): a request for PATH (more
# of check's words: h=, method=, host=, port=) answered by the backend WANT
# (infra-backend-v1...) or with the status WANT (a number), the case named
# as GetTestCaseName names it (PREFIX/ before it when MCASE_PREFIX is set:
# a subtest's).
mcase() {
	local i=$1 r=$2 path=$3 want=$4 with='' host=''
	shift 4
	printf '%s\n' "$@" | grep -q '^h=' && with=' with headers'
	host=$(printf '%s\n' "$@" | sed -n 's/^host=//p')
	if [[ $want == [0-9]* ]]; then
		tcase "${MCASE_PREFIX:+$MCASE_PREFIX/}$i request to '$host$path'$with should receive one of [$want]" \
			routes_check "$r" path="$path" code="$want" "$@"
	else
		tcase "${MCASE_PREFIX:+$MCASE_PREFIX/}$i request to '$host$path'$with should go to $want" \
			routes_check "$r" path="$path" backend="$want" "$@"
	fi
}

# grant NAME NS FROM-GROUP FROM-KIND FROM-NS TO-GROUP TO-KIND [TO-NAME]
grant() {
	cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: $1, namespace: $2}
spec:
  from: [{group: "$3", kind: $4, namespace: $5}]
  to: [{group: "$6", kind: $7${8:+, name: $8}}]
YAML
}

# ListenerSet manifests (listenerset-*.yaml).
# ls_head NAME NS GATEWAY: a ListenerSet of namespace NS on the infra
# Gateway GATEWAY, up to its listeners.
ls_head() {
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRef: {kind: Gateway, group: gateway.networking.k8s.io, name: %s, namespace: %s}\n  listeners:\n' \
		"$1" "$2" "$3" "$INFRA"
}
# http_listener NAME PORT HOSTNAME FROM: an HTTP listener line whose
# allowedRoutes.namespaces.from is FROM.
http_listener() {
	printf '  - {name: %s, port: %s, protocol: HTTP, hostname: "%s", allowedRoutes: {namespaces: {from: %s}}}\n' \
		"$1" "$2" "$3" "$4"
}
# allow_listeners FROM: a Gateway's spec.allowedListeners (after gw_head's
# listeners).
allow_listeners() { printf '  allowedListeners: {namespaces: {from: %s}}\n' "$1"; }
# front_secret NAME NS: a kubernetes.io/tls Secret of the frontend
# certificate (tls-validity-checks-certificate's).
front_secret() {
	cat <<YAML
---
apiVersion: v1
kind: Secret
metadata: {name: $1, namespace: $2}
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 "$WORK/front.crt")
  tls.key: $(base64 -w0 "$WORK/front.key")
YAML
}
# secret_ref_gateway GW [GRANT [TO-NAME]]: Gateway GW, one HTTPS listener
# `https` (9443: 443 upstream) whose certificateRef is Secret certificate
# of the web backend's namespace, that Secret, and given, ReferenceGrant
# GRANT there from this namespace's Gateways to its Secrets (TO-NAME: that
# one alone) (gateway-secret-*.go).
secret_ref_gateway() {
	local w=gateway-conformance-web-backend
	gw_head "$1"
	printf '  - name: https\n    port: 9443\n    protocol: HTTPS\n    allowedRoutes: {namespaces: {from: All}}\n'
	printf '    tls: {certificateRefs: [{group: "", kind: Secret, name: certificate, namespace: %s}]}\n' "$w"
	front_secret certificate "$w"
	[ -z "${2:-}" ] || grant "$2" "$w" gateway.networking.k8s.io Gateway "$INFRA" "" Secret "${3:-}"
}
# secret_resolved NS/GW: its one listener https resolved and programmed,
# no route attached.
secret_resolved() {
	applied && listeners_count "$1" 1 &&
		listener "$1" https Programmed True Programmed HTTPRoute &&
		listener "$1" https ResolvedRefs True '*' && attached "$1" https 0
}
# lsref NAME [NS [SECTION]]: a parentRef to a ListenerSet (NS default infra).
lsref() {
	printf '{kind: ListenerSet, group: gateway.networking.k8s.io, name: %s, namespace: %s%s}' \
		"$1" "${2:-$INFRA}" "${3:+, sectionName: $3}"
}
# gwref NAME [SECTION]: a parentRef to an infra Gateway.
gwref() { printf '{name: %s, namespace: %s%s}' "$1" "$INFRA" "${2:+, sectionName: $2}"; }
# prefix_route NAME NS PARENTS PATH BACKEND: an HTTPRoute of namespace NS,
# its parentRefs PARENTS (a flow list), one PathPrefix PATH rule to the
# infra namespace's BACKEND:8080.
prefix_route() {
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: %s, namespace: %s}\nspec:\n  parentRefs: %s\n  rules:\n  - matches: [{path: {type: PathPrefix, value: %s}}]\n    backendRefs: [{name: %s, namespace: %s, port: 8080}]\n' \
		"$1" "$2" "$3" "$4" "$5" "$INFRA"
}
# namespace NAME [LABELS]: a Namespace (LABELS a flow map).
namespace() {
	printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: %s%s}\n' "$1" "${2:+, labels: $2}"
}

# ---- one round trip, as the suite's CompareRoundTrip reads it ----

# check WORD...: one request through the gateway, checked as the suite's
# MakeRequestAndExpectEventuallyConsistentResponse / CompareRoundTrip do.
# The request: port=P (default 8080), host=H (the Host header; default the
# URL's), sni=NAME (over TLS to the HTTPS listeners, SNI and Host NAME, the
# frontend certificate trusted), h2=1 (HTTP/2 by ALPN over TLS), h2c=1
# (HTTP/2 with prior knowledge, cleartext), path=P
# (default /), method=M, h='Name: value' (a request header;
# repeated), set='Name: value' (a response header the echo sets,
# X-Echo-Set-Header; repeated). The answer: code=C[,C...] (default 200);
# for a 200 or 204: backend=B (the pod's name starts with B: sgbackend's
# "pod", h2backend's "backend"), rpath=P (the
# path, with its query, the backend got; default the one sent), rhost=H,
# req='Name: v1,v2' (the backend got header Name, its values joined with
# ","), noreq=Name, res='Name: v' (the response's header Name), nores=Name,
# resany='Name: v1|v2' (one of them, spaces ignored: ValidHeaderValues
# with IgnoreWhitespace), rpath=- (no echo: a CORS preflight's answer);
# for a redirect: to.scheme (default http), to.host (default: not
# checked), to.port (default: the scheme's, or none), to.path (default
# the path sent) of its Location.
check() {
	local w k v port=8080 host='' path=/ code=200 args=() exp=() st j got want
	local loc='' scheme='' lhost='' lport='' lpath='' url=''
	for w in "$@"; do
		k=${w%%=*} v=${w#*=}
		case $k in
		port) port=$v ;;
		host) host=$v ;;
		path) path=$v ;;
		method) [ "$v" = HEAD ] && args+=(-I) || args+=(-X "$v") ;;
		h) args+=(-H "$v") ;;
		set) args+=(-H "X-Echo-Set-Header: $v") ;;
		code) code=$v ;;
		h2) args+=(--http2) ;;
		h2c) args+=(--http2-prior-knowledge) ;;
		sni) url=https://$v args+=(--cacert "$WORK/front.crt" --resolve "$v:$port:127.0.0.1") host=$v ;;
		*) exp+=("$w") ;;
		esac
	done
	if [ -n "$url" ]; then
		url=$url:$port$path
	else
		url=http://127.0.0.1:$port$path
		[ -n "$host" ] && args+=(-H "Host: $host")
	fi
	st=$(curl -s --max-time 10 "${args[@]}" -D "$WORK/head" -o "$WORK/body" -w '%{http_code}' "$url")
	[[ ",$code," == *",$st,"* ]] || { echo "$host$path: status $st, want $code"; return 1; }
	j=$(cat "$WORK/body")
	if [ "$st" = 200 ] || [ "$st" = 204 ]; then
		printf '%s\n' "${exp[@]}" | grep -q '^rpath=' || exp=("rpath=$path" "${exp[@]}")
	elif [[ $st == 30[1-8] ]]; then
		loc=$(awk 'tolower($1) == "location:" { print $2 }' "$WORK/head" | tr -d '\r')
		[[ $loc =~ ^([a-zA-Z]+)://([^/:?]+)(:([0-9]+))?([^?]*) ]] ||
			{ echo "$host$path: Location '$loc' is not an absolute URL"; return 1; }
		scheme=${BASH_REMATCH[1],,} lhost=${BASH_REMATCH[2]} lport=${BASH_REMATCH[4]}
		lpath=${BASH_REMATCH[5]}
		printf '%s\n' "${exp[@]}" | grep -q '^to\.scheme=' || exp+=("to.scheme=${url%%:*}")
		printf '%s\n' "${exp[@]}" | grep -q '^to\.path=' || exp+=("to.path=${path%%\?*}")
		# No port asked for: the scheme's, said or left out.
		printf '%s\n' "${exp[@]}" | grep -q '^to\.port=' || case $scheme:$lport in
		http: | http:80 | https: | https:443) ;;
		*) echo "$host$path: Location $loc, want the port of $scheme"; return 1 ;;
		esac
	fi
	for w in "${exp[@]}"; do
		k=${w%%=*} v=${w#*=} want=${v#*: }
		case $k in
		backend) got=$(jq -r '.pod // .backend' <<<"$j") && [[ $got == "$v"* ]] ;;
		rpath) [ "$v" = - ] || { got=$(jq -r .path <<<"$j") && [ "$got" = "$v" ]; } ;;
		rhost) got=$(jq -r .host <<<"$j") && [ "$got" = "$v" ] ;;
		req | noreq)
			[ "$k" = noreq ] && want="(none)"
			got=$(jq -r --arg n "${v%%:*}" '[.headers | to_entries[] |
				select(.key | ascii_downcase == ($n | ascii_downcase)) | .value[]] |
				if length == 0 then "(none)" else join(",") end' <<<"$j") && [ "$got" = "$want" ] ;;
		res | nores | resany)
			[ "$k" = nores ] && want="(none)"
			got=$(awk -v n="${v%%:*}" 'BEGIN { n = tolower(n) } { sub(/\r$/, "") }
				index(tolower($0), n ":") == 1 {
					x = substr($0, length(n) + 2); sub(/^[ \t]+/, "", x)
					out = out (c++ ? "," : "") x
				} END { print c ? out : "(none)" }' "$WORK/head") &&
				if [ "$k" = resany ]; then
					[[ "|${want// /}|" == *"|${got// /}|"* ]]
				else
					[ "$got" = "$want" ]
				fi ;;
		to.scheme) got=$scheme && [ "$got" = "$v" ] ;;
		to.host) got=$lhost && [ "$got" = "$v" ] ;;
		to.port) got=$lport && [ "$got" = "$v" ] ;;
		to.path) got=$lpath && [ "$got" = "$v" ] ;;
		*) echo "check: unknown word $w" && false ;;
		esac || { echo "$host$path: $k ${v%%:*}: got '$got', want '${want:-$v}'"; return 1; }
	done
}

# ---- timeouts (httproute-timeout-*.go) ----

# timeout_test FIELD ROUTE PREFIX: the HTTPRoute ROUTE whose rule /PREFIX
# has timeouts.FIELD 500ms and rule /disable-PREFIX "0s", and the suite's
# three cases: /PREFIX answered, /PREFIX?delay=1s (the echo holds it 1s)
# 504, /disable-PREFIX?delay=1s answered.
timeout_test() {
	local R=$INFRA/$2 N="should receive one of []"
	cat <<YAML | apply
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $2, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /$3}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
    timeouts: {$1: 500ms}
  - matches: [{path: {type: PathPrefix, value: /disable-$3}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
    timeouts: {$1: "0s"}
YAML
	APPLY_RC=$?
	tcase "0 request to '/$3' $N" routed $R path=/$3 backend=infra-backend-v1
	tcase "1 request to '/$3?delay=1s' $N" routed $R path="/$3?delay=1s" code=504
	tcase "2 request to '/disable-$3?delay=1s' $N" routed $R path="/disable-$3?delay=1s" \
		backend=infra-backend-v1
}

# ---- retries (httproute-retry*.go) ----

# retried ROUTE N NAME PATH QUERY CODES: case N of the suite's
# assertConsistentRetryBehaviour: one request to PATH?QUERY&uuid=(new) (QUERY
# in url.Values.Encode's order) through same-namespace, answered one of
# CODES (infra-backend-v3 when 200: the echo's /retry/ simulation,
# sgbackend.py --retry-simulation, gives up failing after succeedAfter).
retried() {
	local u
	u=$(cat /proc/sys/kernel/random/uuid)
	if [ "$6" = 200 ]; then
		tcase "$2 request to '$4' $3" routed "$INFRA/$1" path="$4?$5&uuid=$u" backend=infra-backend-v3
	else
		tcase "$2 request to '$4' $3" routed "$INFRA/$1" path="$4?$5&uuid=$u" code="$6"
	fi
}

# ---- request mirrors (the suite's ExpectMirroredRequest) ----

# mirrored PATH BACKEND...: each BACKEND (an echo of this run) got a copy
# of the request for PATH within 10 s (the suite reads the echo's log for
# it; sgbackend's /requests lists the last request lines it read).
mirrored() {
	local b
	for b in "${@:2}"; do
		for _ in $(seq 100); do
			curl -s "http://127.0.0.1:${PORT[$b]}/requests" |
				jq -e --arg p "$1" '[.last[] | select(split(" ")[1] == $p)] | length > 0' \
					>/dev/null && continue 2
			sleep 0.1
		done
		echo "$b got no copy of $1"
		return 1
	done
}

# heads BACKEND: the request heads the echo has read so far, once the
# count holds still for half a second (copies arrive after the answers).
heads() {
	local n m
	n=$(curl -s "http://127.0.0.1:${PORT[$1]}/requests" | jq .heads)
	for _ in $(seq 40); do
		sleep 0.5
		m=$(curl -s "http://127.0.0.1:${PORT[$1]}/requests" | jq .heads)
		[ "$m" = "$n" ] && break
		n=$m
	done
	echo "$n"
}

# mirror_share BACKEND PERCENT URL [CURL-ARGS...]: the suite's
# testMirroredRequestsDistribution: of 500 requests to URL (10 at a time,
# each answered by infra-backend-v1), BACKEND (an echo nothing else sends
# to) gets copies of 500*p within 3 binomial standard deviations; 5 tries.
mirror_share() {
	local b=$1 pct=$2 url=$3 h0 h1 why
	for _ in $(seq 5); do
		h0=$(heads "$b")
		why=$(curl_sends x-backend "${@:4}" "$url" | grep -v -x infra-backend-v1 | sort | uniq -c | head -3)
		[ -z "$why" ] || { echo "answers not from infra-backend-v1: $why"; return 1; }
		h1=$(heads "$b")
		why=$(awk -v n=$((h1 - h0)) -v p="$pct" 'BEGIN {
			p /= 100; m = 3 * sqrt(500 * p * (1 - p))
			if (n < 500 * p - m || n > 500 * p + m) {
				printf "%d copies of 500, want %.1f to %.1f", n, 500 * p - m, 500 * p + m; exit 1 }
		}') && return 0
		sleep 2
	done
	echo "$b: $why"
	return 1
}

# ---- weights (the suite's weight.TestWeightedDistribution) ----

# weights WANT SENDER ARGS...: 500 requests made by `SENDER ARGS...` (10
# at a time), which prints for each the backend that answered, or a line
# "!why" for one that failed; none may fail, each backend of WANT
# ("B1=SHARE1 B2=SHARE2...", shares as fractions) takes its share within
# 0.05 and no other backend answers (one of share 0 none); tried up to 10
# times (weight.MaxTestRetries).
weights() {
	local want=$1 why
	shift
	for _ in $(seq 10); do
		why=$("$@" | awk -v want="$want" -v total=500 '
			BEGIN {
				n = split(want, w, " ")
				for (i = 1; i <= n; i++) { split(w[i], kv, "="); share[kv[1]] = kv[2] + 0 }
			}
			/^!/ { if (!nfail++) first = substr($0, 2); next }
			{ seen[$0]++ }
			END {
				if (nfail) { printf "%d requests failed, the first: %s\n", nfail, first; exit 1 }
				for (b in seen)
					if (!(b in share) || share[b] == 0) { printf "%s answered %d of %d; ", b, seen[b], total; bad = 1 }
				for (b in share) {
					d = seen[b] / total - share[b]
					if (d > 0.05 || d < -0.05) { printf "%s took %.3f, want %s; ", b, seen[b] / total, share[b]; bad = 1 }
				}
				exit bad
			}') && return 0
	done
	echo "$why"
	return 1
}

# curl_sends HEADER CURL-ARGS... URL: a SENDER of `weights`: 10 curls at
# once of 50 requests each (a connection each), printing each response's
# header HEADER (the echo's name: x-backend, gRPC's x-backend-name), or
# "!STATUS" for a response other than 200. With SENDS_APART=1 each
# request is a curl of its own (curl 7.88 sends no second POST on a
# reused HTTP/2 connection).
curl_sends() {
	local hdr=$1 url=${*: -1} req=("${@:2:$(($# - 2))}") one=() pids=() i rounds=1
	if [ -n "${SENDS_APART:-}" ]; then
		one=(-o /dev/null "$url")
		rounds=50
	else
		for i in $(seq 50); do one+=(-o /dev/null "$url"); done
	fi
	for i in $(seq 10); do
		for _ in $(seq $rounds); do
			curl -s --max-time 120 "${req[@]}" -w "%{http_code} %header{$hdr}\n" "${one[@]}"
		done >"$WORK/sends.$i" &
		pids+=("$!")
	done
	wait "${pids[@]}"
	cat "$WORK"/sends.[0-9]* | awk '$1 == 200 && NF == 2 { print $2; next } { print "!" $0 }'
	rm -f "$WORK"/sends.[0-9]*
}

# tcp_sends PORT: a SENDER of `weights` over TCP: tcp_client.py's 500
# EchoSendOnce exchanges (welcome line, TEST), 10 at once, each the pod
# that answered.
tcp_sends() {
	timeout 120 /usr/bin/python3 "$HERE/tcp_client.py" --port "$1" --send-once 500
}

# ---- session persistence (the suite's CookieSessionPersistence tests) --------

# replicas SVC N [grpc]: upstream runs two pods and more behind each
# Service, so that a session has somewhere else to go: N-1 more echo pods
# of infra Service SVC (named SVC-2 ... SVC-N; gRPC echoes with "grpc"),
# started now, their ports in ${PORT[SVC-i]}.
replicas() {
	local i
	for i in $(seq 2 "$2"); do
		if [ "${3:-}" = grpc ]; then grpc_backend "$1-$i"; else backend "$1-$i"; fi
	done
	for i in $(seq 2 "$2"); do
		PORT[$1-$i]=$(ready_port "$1-$i") || {
			echo "FAIL $TEST: backend $1-$i did not start"
			exit 1
		}
	done
}
# slices SVC N: the EndpointSlices that make SVC's N pods its endpoints
# (one slice each: the pods share 127.0.0.1 on ports of their own).
slices() {
	local i pod
	for i in $(seq "$2"); do
		pod=$1
		[ "$i" = 1 ] || pod=$1-$i
		cat <<YAML
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $1-$i
  namespace: $INFRA
  labels: {kubernetes.io/service-name: $1}
addressType: IPv4
ports: [{name: first-port, port: ${PORT[$pod]}}]
endpoints: [{addresses: [127.0.0.1]}]
YAML
	done
}
# sp_get PATH [CURL-ARGS...]: a GET to same-namespace (:8080); SP_CODE its
# status, SP_POD the echo's pod, SP_COOKIE its first Set-Cookie (what the
# suite's ExtractResponseCookie reads), "" when none.
sp_get() {
	local path=$1
	shift
	SP_CODE=$(curl -s --max-time 10 -D "$WORK/sp.h" -o "$WORK/body" -w '%{http_code}' "$@" \
		"http://127.0.0.1:8080$path")
	SP_POD=$(jq -r .pod "$WORK/body" 2>/dev/null)
	SP_COOKIE=$(tr -d '\r' <"$WORK/sp.h" | awk 'tolower($0) ~ /^set-cookie:/ {
		sub(/^[^:]*: */, ""); print; exit }')
}
# sp_grpc [-H 'k: v'...]: an echo call to same-namespace on a fresh
# connection; SP_CODE its grpc-status, SP_POD the backend that answered,
# SP_COOKIE the first set-cookie of its response metadata.
sp_grpc() {
	local r
	r=$(timeout 20 /usr/bin/python3 "$REPO/tests/e2e/grpc_client.py" --port 8080 \
		--path /gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo "$@" hi)
	SP_CODE=$(jq -r .grpc_status <<<"$r" 2>/dev/null)
	SP_POD=$(jq -r '(.headers // []) | map(select(.[0] == "x-backend-name"))[0][1] // ""' <<<"$r" 2>/dev/null)
	SP_COOKIE=$(jq -r '(.headers // []) | map(select(.[0] == "set-cookie"))[0][1] // ""' <<<"$r" 2>/dev/null)
}
# cookie_attr COOKIE ATTR: COOKIE (a Set-Cookie value) has attribute ATTR
# (any case), as the suite's CookieInfo.HasAttribute.
cookie_attr() {
	tr ';' '\n' <<<"${1#*;}" | sed 's/^ *//; s/=.*//' | grep -qix "$2"
}
# established OK POD COOKIE: the first response was OK and carried a
# session cookie (name=value, both not empty).
established() {
	[ "$1" = ok ] || { echo "first response: $1"; return 1; }
	local pair=${3%%;*}
	[ -n "${pair%%=*}" ] && [ -n "${pair#*=}" ] && [[ $pair == *=* ]] ||
		{ echo "no session cookie in response: '$3'"; return 1; }
}
# no_attr COOKIE ATTR: the cookie must not have ATTR (without a cookie the
# suite never gets here: its AwaitConvergence fails the test first).
no_attr() {
	[ -n "$1" ] || { echo "no session cookie to look at"; return 1; }
	! cookie_attr "$1" "$2" || { echo "session cookie must not have $2: $1"; return 1; }
}
# permanent_attrs COOKIE: Expires or Max-Age.
permanent_attrs() {
	cookie_attr "$1" Expires || cookie_attr "$1" Max-Age ||
		{ echo "permanent cookie must have an Expires or Max-Age attribute: '$1'"; return 1; }
}
# all_on WANT GOT...: every sticky request reached WANT.
all_on() {
	local want=$1 i=0 g bad=
	shift
	for g in "$@"; do
		i=$((i + 1))
		[ "$g" = "$want" ] || bad="$bad sticky request $i: expected pod $want, got $g;"
	done
	[ $# -gt 0 ] && [ -z "$bad" ] || { echo "${bad:-no request}"; return 1; }
}

# ---- checks: each returns 0, or prints why and returns 1 ------------------

# res KIND NS/NAME: the resource as `splicegate get -o json` prints it.
res() { "$SG_BIN" get "$1" "${2#*/}" -n "${2%/*}" -o json 2>/dev/null; }

# latest JSON: every condition's observedGeneration is the resource's
# metadata.generation (the suite's ConditionsHaveLatestObservedGeneration).
latest() {
	local bad
	[ -n "${SG_CONF_NO_GENERATIONS:-}" ] && return 0
	bad=$(jq -r '.metadata.generation as $g | [.status | .. | objects |
		select(has("type") and has("status") and has("reason")) |
		select($g == null or .observedGeneration != $g)] | length' <<<"$1" 2>/dev/null)
	[ "$bad" = 0 ] || { echo "conditions not at the latest generation ($(jq -c '.metadata.generation' <<<"$1"))"; return 1; }
}

# has_cond JSON-ARRAY-OF-CONDITIONS TYPE STATUS REASON (REASON '*': any,
# as the suite's empty Reason)
has_cond() {
	local got want="$3 $4"
	got=$(jq -r --arg t "$2" '.[]? | select(.type == $t) | "\(.status) \(.reason)"' <<<"$1")
	if [ "$4" = '*' ]; then
		got=${got%% *}
		want=$3
	fi
	[ "$got" = "$want" ] || { echo "$2: got '${got:-none}', want '$3 $4'"; return 1; }
}

# res_cond KIND NS/NAME TYPE STATUS REASON: a condition of the resource's
# own (a Gateway's, a ListenerSet's).
res_cond() {
	local j
	j=$(res "$1" "$2") || { echo "no $1 $2"; return 1; }
	latest "$j" || return 1
	has_cond "$(jq -c '.status.conditions' <<<"$j")" "$3" "$4" "$5"
}

# gw_cond NS/GW TYPE STATUS REASON
gw_cond() { res_cond gateway "$@"; }

# listener NS/GW NAME TYPE STATUS REASON [KINDS]: KINDS "" = supportedKinds
# empty, "K1,K2" = each among them, unset = not checked.
listener() {
	local j l
	j=$(res gateway "$1") || { echo "no Gateway $1"; return 1; }
	latest "$j" || return 1
	l=$(jq -c --arg n "$2" '.status.listeners[]? | select(.name == $n)' <<<"$j")
	[ -n "$l" ] || { echo "Gateway $1 has no listener $2 in its status"; return 1; }
	has_cond "$(jq -c .conditions <<<"$l")" "$3" "$4" "$5" || return 1
	[ $# -lt 6 ] && return 0
	if [ -z "$6" ]; then
		[ "$(jq '.supportedKinds | length' <<<"$l")" = 0 ] ||
			{ echo "supportedKinds $(jq -c .supportedKinds <<<"$l"), want none"; return 1; }
		return 0
	fi
	for k in ${6//,/ }; do
		jq -e --arg k "$k" '[.supportedKinds[].kind] | index($k)' <<<"$l" >/dev/null ||
			{ echo "supportedKinds lacks $k: $(jq -c .supportedKinds <<<"$l")"; return 1; }
	done
}

# listeners_count NS/GW N
listeners_count() {
	local n
	n=$(res gateway "$1" | jq '.status.listeners | length')
	[ "$n" = "$2" ] || { echo "$n listeners in the status, want $2"; return 1; }
}

# attached NS/GW LISTENER N: the listener's attachedRoutes is N.
attached() {
	local n
	n=$(res gateway "$1" | jq --arg n "$2" '.status.listeners[]? | select(.name == $n) | .attachedRoutes')
	[ "$n" = "$3" ] || { echo "listener $2 of $1: attachedRoutes '${n:-none}', want $3"; return 1; }
}

# parent KIND NS/ROUTE NS/GW[:SECTION] TYPE STATUS REASON: that parent's
# condition (with SECTION: of the parentRef naming that sectionName).
parent() {
	local j g=${3%%:*} s=
	[[ $3 == *:* ]] && s=${3#*:}
	j=$(res "$1" "$2") || { echo "no $1 $2"; return 1; }
	latest "$j" || return 1
	has_cond "$(jq -c --arg g "${g#*/}" --arg s "$s" '[.status.parents[]? | select(.parentRef.name == $g and
		($s == "" or .parentRef.sectionName == $s)) | .conditions[]]' <<<"$j")" \
		"$4" "$5" "$6"
}

# ---- ListenerSet (listenerset-*.go) ----

# The conditions of an accepted listener (the suite's
# generateAcceptedListenerConditions), as TYPE:STATUS:REASON.
OK_LISTENER=('ResolvedRefs:True:*' 'Accepted:True:*' 'Programmed:True:*')

# ls_cond NS/LS TYPE STATUS REASON: the ListenerSet's condition.
ls_cond() { res_cond listenerset "$@"; }

# ls_not_allowed NS/LS: the Gateway does not take it (NotAllowed).
ls_not_allowed() {
	applied && ls_cond "$1" Accepted False NotAllowed && ls_cond "$1" Programmed False NotAllowed
}

# ls_taken NS/GW N NS/LS LISTENER: the Gateway is accepted with N
# ListenerSets attached, the ListenerSet accepted and programmed, its
# LISTENER accepted.
ls_taken() {
	applied && gw_cond "$1" Accepted True '*' && attached_sets "$1" "$2" &&
		ls_cond "$3" Accepted True Accepted && ls_cond "$3" Programmed True Programmed &&
		ls_listener listenerset "$3" "$4" "${OK_LISTENER[@]}"
}

# ls_listener KIND NS/OWNER NAME TYPE:STATUS:REASON...: conditions of one
# listener of a Gateway or ListenerSet (KIND gateway or listenerset).
ls_listener() {
	local j l c t st r
	j=$(res "$1" "$2") || { echo "no $1 $2"; return 1; }
	latest "$j" || return 1
	l=$(jq -c --arg n "$3" '.status.listeners[]? | select(.name == $n)' <<<"$j")
	[ -n "$l" ] || { echo "$1 $2 has no listener $3 in its status"; return 1; }
	for c in "${@:4}"; do
		IFS=: read -r t st r <<<"$c"
		has_cond "$(jq -c .conditions <<<"$l")" "$t" "$st" "$r" ||
			{ echo "(listener $3)"; return 1; }
	done
}

# all_listeners_ok KIND NS/OWNER: every listener of it is accepted.
all_listeners_ok() {
	local j n
	j=$(res "$1" "$2") || { echo "no $1 $2"; return 1; }
	for n in $(jq -r '.status.listeners[]?.name' <<<"$j"); do
		ls_listener "$1" "$2" "$n" "${OK_LISTENER[@]}" || return 1
	done
}

# owner_listeners KIND NS/OWNER NAME=ROUTES...: exactly these listeners in
# the status of the Gateway or ListenerSet (KIND gateway or listenerset),
# each taking HTTPRoute, with ROUTES routes attached and accepted (the
# suite's GatewayStatusMustHaveListeners, ListenerSetStatusMustHaveListeners).
owner_listeners() {
	local j n l a
	j=$(res "$1" "$2") || { echo "no $1 $2"; return 1; }
	latest "$j" || return 1
	n=$(jq '.status.listeners | length' <<<"$j")
	[ "$n" = $(($# - 2)) ] || { echo "$n listeners in the status, want $(($# - 2))"; return 1; }
	for a in "${@:3}"; do
		l=$(jq -c --arg n "${a%=*}" '.status.listeners[]? | select(.name == $n)' <<<"$j")
		[ -n "$l" ] || { echo "no listener ${a%=*} in the status"; return 1; }
		n=$(jq .attachedRoutes <<<"$l")
		[ "$n" = "${a#*=}" ] || { echo "listener ${a%=*}: $n routes attached, want ${a#*=}"; return 1; }
		jq -e '[.supportedKinds[] | select(.kind == "HTTPRoute" and
			.group == "gateway.networking.k8s.io")] | length > 0' <<<"$l" >/dev/null ||
			{ echo "listener ${a%=*}: supportedKinds lacks HTTPRoute"; return 1; }
		ls_listener "$1" "$2" "${a%=*}" "${OK_LISTENER[@]}" || return 1
	done
}
ls_listeners() { owner_listeners listenerset "$@"; }

# routes_accepted KIND NS/PARENT NS/ROUTE...: each HTTPRoute has the
# Gateway or ListenerSet (KIND) as a parent, Accepted True Accepted, and
# every listener of the parent is accepted (the suite's
# RoutesAndParentMustBeAccepted).
routes_accepted() {
	local j r n
	for r in "${@:3}"; do
		j=$(res httproute "$r") || { echo "no HTTPRoute $r"; return 1; }
		latest "$j" || return 1
		n=$(jq --arg k "$1" --arg ns "${2%/*}" --arg n "${2#*/}" '[.status.parents[]? |
			select(.parentRef.group == "gateway.networking.k8s.io" and
			.parentRef.kind == $k and .parentRef.name == $n and
			.parentRef.namespace == $ns and
			.controllerName == "splicegate.dev/gateway-controller") | .conditions[] |
			select(.type == "Accepted" and .status == "True" and .reason == "Accepted")] |
			length' <<<"$j")
		[ "$n" = 1 ] || { echo "HTTPRoute $r: $1 $2 is not an accepted parent: $(jq -c .status.parents <<<"$j" | head -c 300)"; return 1; }
	done
	all_listeners_ok "${1,,}" "$2"
}

# The conditions of a ListenerSet's listener that lost to one before it
# in precedence for REASON (HostnameConflict, ProtocolConflict).
lost_listener() { echo "Accepted:False:$1 Programmed:False:$1 Conflicted:True:$1"; }

# ls_kept REASON LS OK LOST [OK2]: infra ListenerSet LS is accepted and
# programmed, its listeners OK (and OK2) accepted, LOST lost for REASON.
ls_kept() {
	local l=$INFRA/$2
	# shellcheck disable=SC2046
	applied && ls_cond $l Accepted True '*' && ls_cond $l Programmed True Programmed &&
		ls_listener listenerset $l $3 "${OK_LISTENER[@]}" &&
		ls_listener listenerset $l $4 $(lost_listener $1) &&
		{ [ $# -lt 5 ] || ls_listener listenerset $l $5 "${OK_LISTENER[@]}"; }
}

# ls_lost REASON LS LOST: infra ListenerSet LS has no valid listener
# (ListenersNotValid), LOST lost for REASON.
ls_lost() {
	local l=$INFRA/$2
	# shellcheck disable=SC2046
	applied && ls_cond $l Accepted False ListenersNotValid &&
		ls_cond $l Programmed False ListenersNotValid &&
		ls_listener listenerset $l $3 $(lost_listener $1)
}

# gw_takes NS/GW N LISTENER...: the Gateway is accepted, these listeners of
# its own are, and N ListenerSets are attached.
gw_takes() {
	local l
	applied && gw_cond "$1" Accepted True '*' || return 1
	for l in "${@:3}"; do
		ls_listener gateway "$1" "$l" "${OK_LISTENER[@]}" || return 1
	done
	attached_sets "$1" "$2"
}

# conflict_cases WHAT REASON GW C1 C2: the cases of listenerset-WHAT-conflict.go
# (WHAT hostname or protocol): Gateway GW keeps its listeners, each
# ListenerSet listenerset-with-WHAT-conflict-with-{gateway,listener-set}-N
# loses C1 or C2 for REASON, and is accepted while another listener serves.
conflict_cases() {
	local p=listenerset-with-$1-conflict-with
	tcase "the Gateway's listeners are accepted and 2 ListenerSets attached" \
		gw_takes "$INFRA/$3" 2 gateway-listener "$4"
	tcase "$p-gateway-1 is accepted, its listener conflicting with the Gateway's is not" \
		ls_kept "$2" "$p-gateway-1" listener-set-1-listener "$4" "$5"
	tcase "$p-gateway-2 has no valid listener" ls_lost "$2" "$p-gateway-2" "$4"
	tcase "$p-listener-set-1 is accepted, its listener conflicting with one before it is not" \
		ls_kept "$2" "$p-listener-set-1" listener-set-2-listener "$5"
	tcase "$p-listener-set-2 has no valid listener" ls_lost "$2" "$p-listener-set-2" "$5"
}

# attached_sets NS/GW N: the Gateway's status.attachedListenerSets.
attached_sets() {
	local j n
	j=$(res gateway "$1") || { echo "no Gateway $1"; return 1; }
	latest "$j" || return 1
	n=$(jq '.status.attachedListenerSets // 0' <<<"$j")
	[ "$n" = "$2" ] || { echo "Gateway $1: attachedListenerSets $n, want $2"; return 1; }
}

# ancestor KIND NS/POLICY NS/GW TYPE STATUS REASON: the policy's condition
# under the ancestor Gateway.
ancestor() {
	local j
	j=$(res "$1" "$2") || { echo "no $1 $2"; return 1; }
	latest "$j" || return 1
	has_cond "$(jq -c --arg g "${3#*/}" --arg ns "${3%/*}" '[.status.ancestors[]? |
		select(.ancestorRef.name == $g and (.ancestorRef.namespace // $ns) == $ns) | .conditions[]]' <<<"$j")" \
		"$4" "$5" "$6"
}

# http PORT HOST PATH CODES [BACKEND]: a request through the gateway; its
# status one of CODES (comma-separated) and, given, the echo's pod.
http() {
	local code pod
	code=$(curl -s --max-time 10 -o "$WORK/body" -w '%{http_code}' -H "Host: $2" \
		"http://127.0.0.1:$1$3")
	[[ ",$4," == *",$code,"* ]] || { echo "GET $2$3: status $code, want $4"; return 1; }
	[ $# -lt 5 ] && return 0
	pod=$(jq -r .pod "$WORK/body" 2>/dev/null)
	[ "$pod" = "$5" ] || { echo "GET $2$3: answered by '$pod', want $5"; return 1; }
}

# https PORT SNI PATH CODES [BACKEND]: as http, over TLS to the HTTPS
# listeners (SNI and Host the same), the frontend certificate trusted.
https() {
	local code pod
	code=$(curl -s --max-time 10 --cacert "$WORK/front.crt" --resolve "$2:$1:127.0.0.1" \
		-o "$WORK/body" -w '%{http_code}' "https://$2:$1$3")
	[[ ",$4," == *",$code,"* ]] || { echo "GET https://$2$3: status $code, want $4"; return 1; }
	[ $# -lt 5 ] && return 0
	pod=$(jq -r .pod "$WORK/body" 2>/dev/null)
	[ "$pod" = "$5" ] || { echo "GET https://$2$3: answered by '$pod', want $5"; return 1; }
}

# mtls PORT SNI CLIENT CODES [BACKEND]: as https, the client presenting
# $WORK/CLIENT.{crt,key} ("": no certificate) (the suite's
# MakeTLSRequestAndExpectEventuallyConsistentResponse).
mtls() {
	local code pod cert=()
	[ -n "$3" ] && cert=(--cert "$WORK/$3.crt" --key "$WORK/$3.key")
	code=$(curl -s --max-time 10 --cacert "$WORK/front.crt" "${cert[@]}" \
		--resolve "$2:$1:127.0.0.1" -o "$WORK/body" -w '%{http_code}' "https://$2:$1/")
	[[ ",$4," == *",$code,"* ]] || { echo "GET https://$2/ (client ${3:-none}): status $code, want $4"; return 1; }
	[ $# -lt 5 ] && return 0
	pod=$(jq -r .pod "$WORK/body" 2>/dev/null)
	[ "$pod" = "$5" ] || { echo "GET https://$2/: answered by '$pod', want $5"; return 1; }
}
# mtls_fails PORT SNI CLIENT: that request fails: no response at all (the
# suite's MakeTLSRequestAndExpectEventuallyConsistentFailureResponse
# wants the round trip to fail).
mtls_fails() {
	local code cert=()
	[ -n "$3" ] && cert=(--cert "$WORK/$3.crt" --key "$WORK/$3.key")
	code=$(curl -s --max-time 10 --cacert "$WORK/front.crt" "${cert[@]}" \
		--resolve "$2:$1:127.0.0.1" -o /dev/null -w '%{http_code}' "https://$2:$1/")
	[ "$code" = 000 ] || { echo "GET https://$2/ (client ${3:-none}): status $code, want no response"; return 1; }
}

# tcp_echo PORT SNI IS-TLS BACKEND [SERVER-NAME]: one exchange of the
# suite's TCP client (tcp_client.py, upstream's
# MakeTCPRequestAndExpectEventuallyValidResponse) with tcp_backend through
# the gateway: TLS with SNI SNI, the CA of tls-checks-ca-certificate
# trusted (SNI "": plain TCP); the echo's welcome line, PING answered PONG,
# IS_TLS answered IS-TLS ("true": the backend got TLS, "false": plaintext),
# TEST answered by pod BACKEND of the infra namespace and, given
# SERVER-NAME, the SNI the backend saw was SERVER-NAME. TCP_ECHO_NS: the
# pod's namespace when it is not the infra one.
tcp_echo() {
	local r why
	r=$(timeout 20 /usr/bin/python3 "$HERE/tcp_client.py" --port "$1" ${2:+--sni "$2" --ca "$WORK/ca.crt"})
	[ -n "$r" ] || { echo "tcp ${2:-(plain)} :$1: the client printed nothing"; return 1; }
	why=$(jq -r --arg t "$3" --arg b "$4" --arg ns "${TCP_ECHO_NS:-$INFRA}" --arg sn "${5:-}" '[
		if .error then "\(.error)" else empty end,
		if .welcome != "Gateway API Test TCP Server\n" then "welcome \(.welcome | tojson)" else empty end,
		if .ping != "PONG\n" then "PING answered \(.ping | tojson)" else empty end,
		if .is_tls != "\($t)\n" then "IS_TLS answered \(.is_tls | tojson), want \($t)" else empty end,
		if .test.namespace != $ns then "namespace \(.test.namespace | tojson), want \($ns)" else empty end,
		if .test.pod != $b then "answered by \(.test.pod | tojson), want \($b)" else empty end,
		if $sn != "" and .test.tls.serverName != $sn then
			"the backend saw SNI \(.test.tls.serverName | tojson), want \($sn)" else empty end
		] | join("; ")' <<<"$r" 2>&1) || why="unreadable answer: ${r:0:200}"
	[ -z "$why" ] || { echo "tcp ${2:-(plain)} :$1: $why"; return 1; }
}

# tcp_echo_backend NAME: a plain TCP echo (tcpecho.py) whose pod is NAME
# in the infra namespace, its port in ${PORT[NAME]}; tcp_echo_svc NAME: its
# Service NAME, port 3000.
tcp_echo_backend() {
	/usr/bin/python3 "$REPO/tests/backend/tcpecho.py" --port 0 --name "$1" --namespace "$INFRA" \
		--ready-file "$WORK/$1.port" 2>"$WORK/$1.log" &
	PIDS+=("$!")
	PORT[$1]=$(ready_port "$1") || {
		echo "FAIL $TEST: backend $1 did not start"
		exit 1
	}
}
tcp_echo_svc() {
	printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec: {clusterIP: 127.0.0.1, ports: [{name: tcp, protocol: TCP, port: 3000, targetPort: %s}]}\n' \
		"$1" "$INFRA" "${PORT[$1]}"
}

# app_protocol_route ROUTE NAME PORT APP-PROTOCOL TARGET: Service
# infra-backend-v1 with its port 8080 and, as in the upstream base, port
# PORT (NAME, appProtocol APP-PROTOCOL) to local port TARGET; and HTTPRoute
# ROUTE on same-namespace to that port (httproute-backend-protocol-*.go).
app_protocol_route() {
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: infra-backend-v1, namespace: $INFRA}
spec:
  clusterIP: 127.0.0.1
  ports:
  - {name: first-port, port: 8080, targetPort: ${PORT[infra-backend-v1]}}
  - {name: $2, port: $3, appProtocol: $4, targetPort: $5}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $1, namespace: $INFRA}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - backendRefs: [{name: infra-backend-v1, port: $3}]
YAML
}

# tls_rejected PORT SNI: no TLS handshake for SNI completes through the
# gateway (the suite's MakeTLSConnectionAndExpectEventuallyConnectionRejection).
tls_rejected() {
	applied || return 1
	if timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername "$2" </dev/null 2>&1 |
		grep -q '^Server certificate'; then
		echo "a TLS handshake for $2 completed"
		return 1
	fi
}

# tls_unverified PORT SNI: a client that verifies SNI against the test CA,
# as the suite's dialer verifies it, does not connect: the gateway refused
# the handshake, or passed it to a backend whose certificate does not name
# SNI.
tls_unverified() {
	applied || return 1
	if timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername "$2" -CAfile "$WORK/ca.crt" \
		-verify_hostname "$2" -verify_return_error </dev/null >/dev/null 2>&1; then
		echo "a TLS connection for $2 was made and verified"
		return 1
	fi
}

# http_fails PORT HOST PATH: the request does not succeed (the suite's
# MakeRequestAndExpectFailure: an error or a status other than 2xx).
http_fails() {
	local code
	code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H "Host: $2" \
		"http://127.0.0.1:$1$3")
	[[ $code != 2* ]] || { echo "GET $2$3: status $code, want a failure"; return 1; }
}

# grpc PORT AUTHORITY /svc/Method BACKEND [-H 'k: v'...]: a gRPC call
# answered grpc-status 0 by BACKEND.
grpc() {
	local r
	r=$(timeout 20 /usr/bin/python3 "$REPO/tests/e2e/grpc_client.py" --port "$1" \
		${2:+--authority "$2"} --path "$3" "${@:5}" hi | jq -r '"\(.grpc_status) \((.headers // []) |
		map(select(.[0] == "x-backend-name"))[0][1] // "-")"')
	[ "$r" = "0 $4" ] || { echo "call $3: got '$r', want '0 $4'"; return 1; }
}

# grpc_unmatched PORT AUTHORITY /svc/Method [-H 'k: v'...]: no route
# (grpc-status 12). AUTHORITY "": the client's default.
grpc_unmatched() {
	local r
	r=$(timeout 20 /usr/bin/python3 "$REPO/tests/e2e/grpc_client.py" --port "$1" \
		${2:+--authority "$2"} --path "$3" "${@:4}" hi | jq -r .grpc_status)
	[ "$r" = 12 ] || { echo "call $3: grpc-status '$r', want 12 (unmatched)"; return 1; }
}

# applied: the last apply was taken (the suite applies with kubectl, which
# never refuses a resource for what a controller thinks of it).
applied() {
	[ "$APPLY_RC" = 0 ] || { echo "apply refused: $(head -c 300 "$WORK/apply.out")"; return 1; }
}

# tcase NAME CHECK [ARGS...]: one case of this test, named as the suite's
# subtest; all its checks (joined with `&&` in a function) must hold.
tcase() {
	local name=$1 why
	shift
	if why=$("$@" 2>&1); then
		echo "PASS $TEST/$name"
	else
		echo "FAIL $TEST/$name: $(tr '\n' ' ' <<<"$why" | head -c 400)"
	fi
}

# ---- start -------------------------------------------------------------------

certs
# The echoes' /retry/ paths are the conformance echo's retry simulation
# (sgbackend.py --retry-simulation), as the suite's retry tests want.
for b in infra-backend-v1 infra-backend-v2 infra-backend-v3 app-backend-v1 app-backend-v2 web-backend; do
	backend "$b" --retry-simulation
done
backend tls-backend --tls "$WORK/tls.crt" "$WORK/tls.key"
for b in grpc-infra-backend-v1 grpc-infra-backend-v2 grpc-infra-backend-v3; do grpc_backend "$b"; done
declare -A PORT
for b in infra-backend-v1 infra-backend-v2 infra-backend-v3 app-backend-v1 app-backend-v2 web-backend \
	tls-backend grpc-infra-backend-v1 grpc-infra-backend-v2 grpc-infra-backend-v3; do
	PORT[$b]=$(ready_port "$b") || {
		echo "FAIL $TEST: backend $b did not start"
		exit 1
	}
done
# shellcheck source=base.sh
. "$HERE/base.sh" >"$WORK/base.yaml"
"$SG_BIN" --splice copy -c "$WORK/base.yaml" >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
PIDS+=("$GW_PID")
for _ in $(seq 200); do
	curl -s -o /dev/null http://127.0.0.1:15000/config_dump && break
	sleep 0.05
done
curl -s -o /dev/null http://127.0.0.1:15000/config_dump || {
	echo "FAIL $TEST: the gateway did not start: $(tail -3 "$WORK/gateway.log" | tr '\n' ' ')"
	exit 1
}
# shellcheck disable=SC1090
. "$HERE/cases/$TEST.sh"
