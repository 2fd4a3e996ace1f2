# One conformance test (run.sh's worker): `bash lib.sh ShortName` starts the
# base backends and a gateway on the base resources, sources
# cases/ShortName.sh and prints one PASS/FAIL line per case. The helpers
# below are what a case file calls; each check prints why it failed.
set -u
TEST=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/sg-conf.XXXXXX)
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

# parent KIND NS/ROUTE NS/GW TYPE STATUS REASON: that parent's condition.
parent() {
	local j
	j=$(res "$1" "$2") || { echo "no $1 $2"; return 1; }
	latest "$j" || return 1
	has_cond "$(jq -c --arg g "${3#*/}" '[.status.parents[]? | select(.parentRef.name == $g) | .conditions[]]' <<<"$j")" \
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

# ls_listeners NS/LS NAME=ROUTES...: exactly these listeners in the
# ListenerSet's status, each taking HTTPRoute, with ROUTES routes attached
# and accepted (the suite's ListenerSetStatusMustHaveListeners).
ls_listeners() {
	local j n l a
	j=$(res listenerset "$1") || { echo "no ListenerSet $1"; return 1; }
	latest "$j" || return 1
	n=$(jq '.status.listeners | length' <<<"$j")
	[ "$n" = $(($# - 1)) ] || { echo "$n listeners in the status, want $(($# - 1))"; return 1; }
	for a in "${@:2}"; do
		l=$(jq -c --arg n "${a%=*}" '.status.listeners[]? | select(.name == $n)' <<<"$j")
		[ -n "$l" ] || { echo "no listener ${a%=*} in the status"; return 1; }
		n=$(jq .attachedRoutes <<<"$l")
		[ "$n" = "${a#*=}" ] || { echo "listener ${a%=*}: $n routes attached, want ${a#*=}"; return 1; }
		jq -e '[.supportedKinds[] | select(.kind == "HTTPRoute" and
			.group == "gateway.networking.k8s.io")] | length > 0' <<<"$l" >/dev/null ||
			{ echo "listener ${a%=*}: supportedKinds lacks HTTPRoute"; return 1; }
		ls_listener listenerset "$1" "${a%=*}" "${OK_LISTENER[@]}" || return 1
	done
}

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

# tcp_echo PORT SNI IS-TLS BACKEND [SERVER-NAME]: one exchange of the
# suite's TCP client (tcp_client.py, upstream's
# MakeTCPRequestAndExpectEventuallyValidResponse) with tcp_backend through
# the gateway: TLS with SNI SNI, the CA of tls-checks-ca-certificate
# trusted (SNI "": plain TCP); the echo's welcome line, PING answered PONG,
# IS_TLS answered IS-TLS ("true": the backend got TLS, "false": plaintext),
# TEST answered by pod BACKEND of the infra namespace and, given
# SERVER-NAME, the SNI the backend saw was SERVER-NAME.
tcp_echo() {
	local r why
	r=$(timeout 20 /usr/bin/python3 "$HERE/tcp_client.py" --port "$1" ${2:+--sni "$2" --ca "$WORK/ca.crt"})
	[ -n "$r" ] || { echo "tcp ${2:-(plain)} :$1: the client printed nothing"; return 1; }
	why=$(jq -r --arg t "$3" --arg b "$4" --arg ns "$INFRA" --arg sn "${5:-}" '[
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
for b in infra-backend-v1 infra-backend-v2 infra-backend-v3 app-backend-v1 app-backend-v2 web-backend; do
	backend "$b"
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
