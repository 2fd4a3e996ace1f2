# TLS passthrough, Kubernetes dialect, everything applied with `splicegate apply -f-` to a running gateway: a Gateway listener with protocol TLS and tls.mode Passthrough and TLSRoutes (v1, v1alpha3, v1alpha2) route each SNI to their Services (openssl s_client sees that backend's certificate and gets its line echoed, curl -k gets its file), weighted backendRefs share the connections, a backendRef to another namespace needs a ReferenceGrant for TLSRoute (ResolvedRefs False RefNotPermitted and closed without, served with), a TCPRoute on the TLS listener is not attached (NotAllowedByListeners), no or unknown SNI is closed, deleting a TLSRoute closes its name, a TLS listener in mode Terminate without certificateRefs is refused by apply and the running config serves on; get shows the routes' status and the listener's supported kinds, config_dump the listener and routes.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/tlslib.sh"

start_tls_backends a b || finish
TP=$(free_port)

# The gateway starts with an HTTP Gateway only; the TLS one comes by apply.
cat >"$WORK/base.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: infra}
spec:
  gatewayClassName: splicegate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
YAML

tls_yaml() {
	cat <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: tls-gw, namespace: infra}
spec:
  gatewayClassName: splicegate
  listeners:
  - name: tls
    port: $TP
    protocol: TLS
    tls: {mode: Passthrough}
    allowedRoutes: {namespaces: {from: All}}
---
apiVersion: v1
kind: Service
metadata: {name: echo-a, namespace: web}
spec: {clusterIP: 127.0.0.1, ports: [{name: tls, port: 443, targetPort: ${ECHO[a]}}]}
---
apiVersion: v1
kind: Service
metadata: {name: echo-b, namespace: web}
spec: {clusterIP: 127.0.0.1, ports: [{name: tls, port: 443, targetPort: ${ECHO[b]}}]}
---
apiVersion: v1
kind: Service
metadata: {name: files-a, namespace: web}
spec: {clusterIP: 127.0.0.1, ports: [{name: tls, port: 443, targetPort: ${WWW[a]}}]}
---
apiVersion: v1
kind: Service
metadata: {name: echo-b, namespace: back}
spec: {clusterIP: 127.0.0.1, ports: [{name: tls, port: 443, targetPort: ${ECHO[b]}}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: route-a, namespace: web}
spec:
  parentRefs: [{name: tls-gw, namespace: infra, sectionName: tls}]
  hostnames: [a.example.test]
  rules: [{backendRefs: [{name: echo-a, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha3
kind: TLSRoute
metadata: {name: route-wild, namespace: web}
spec:
  parentRefs: [{name: tls-gw, namespace: infra}]
  hostnames: ["*.wild.test"]
  rules: [{backendRefs: [{name: echo-b, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: route-files, namespace: web}
spec:
  parentRefs: [{name: tls-gw, namespace: infra}]
  hostnames: [files.example.test]
  rules: [{backendRefs: [{name: files-a, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: route-split, namespace: web}
spec:
  parentRefs: [{name: tls-gw, namespace: infra}]
  hostnames: [split.example.test]
  rules:
  - backendRefs:
    - {name: echo-a, port: 443, weight: 1}
    - {name: echo-b, port: 443, weight: 1}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: route-cross, namespace: web}
spec:
  parentRefs: [{name: tls-gw, namespace: infra}]
  hostnames: [cross.example.test]
  rules: [{backendRefs: [{name: echo-b, namespace: back, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: tcp-on-tls, namespace: web}
spec:
  parentRefs: [{name: tls-gw, namespace: infra, sectionName: tls}]
  rules: [{backendRefs: [{name: echo-a, port: 443}]}]
YAML
}

# cond KIND NAME TYPE: "status reason" of the route's first parent's TYPE
# condition.
cond() {
	"$SG_BIN" get "$1" "$2" -n web -o json |
		jq -r --arg t "$3" '.status.parents[0].conditions[] | select(.type == $t) | "\(.status) \(.reason)"'
}

start_engine auto -p 8080 -c "$WORK/base.yaml" || { fail "gateway did not start"; finish; }
out=$(tls_yaml | "$SG_BIN" apply -f- 2>&1)
check "apply -f- takes the TLS Gateway and routes (exit 0)" "$?" 0
grep -q 'TLSRoute web/route-cross.*RefNotPermitted' <<<"$out" &&
	pass "apply warns: route-cross RefNotPermitted" ||
	fail "apply output lacks the RefNotPermitted warning: $out"
wait_port "$TP" 5 || fail "the TLS listener did not open after apply"

check "TLSRoute v1: a.example.test reaches echo-a (backend a)" "$(sclient "$TP" a.example.test)" \
	"backend-a hello-a.example.test"
check "TLSRoute v1alpha3: wildcard reaches echo-b (backend b)" "$(sclient "$TP" x.wild.test)" \
	"backend-b hello-x.wild.test"
check "TLSRoute v1alpha2: curl -k gets files-a's file" \
	"$(curl_tls "$TP" files.example.test /who)" backend-a
check "curl -k: 4 MiB byte-identical" "$(curl_sha "$TP" files.example.test /big)" \
	"$(sha256sum <"$WORK/www-a/big" | cut -d' ' -f1)"
check "split hello through the applied route" \
	"$(/usr/bin/python3 "$WORK/split_hello.py" "$TP" a.example.test "$WORK/a.crt" 5)" \
	"backend-a olleh-tilps"
seen=$(for _ in $(seq 24); do sclient "$TP" split.example.test; done | sort | uniq -c |
	awk '{print $2}' | tr '\n' ' ')
check "weights 1:1: both backends serve split.example.test" "$seen" "backend-a backend-b "
check "no SNI: closed" "$(sclient "$TP" -)" closed
check "unknown SNI: closed" "$(sclient "$TP" b.example.test)" closed

check "cross-namespace without ReferenceGrant: closed" "$(sclient "$TP" cross.example.test)" \
	closed
check "get tlsroute: ResolvedRefs False RefNotPermitted" \
	"$(cond tlsroute route-cross ResolvedRefs)" "False RefNotPermitted"
"$SG_BIN" apply -f- >/dev/null <<YAML
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-web, namespace: back}
spec:
  from: [{group: gateway.networking.k8s.io, kind: TLSRoute, namespace: web}]
  to: [{group: "", kind: Service}]
YAML
check "ReferenceGrant for TLSRoute: cross.example.test reaches back/echo-b" \
	"$(sclient "$TP" cross.example.test)" "backend-b hello-cross.example.test"
check "get tlsroute: ResolvedRefs True" "$(cond tlsroute route-cross ResolvedRefs)" \
	"True ResolvedRefs"

check "get tlsroute route-a: Accepted" "$(cond tlsroute route-a Accepted)" "True Accepted"
check "get tcproute on the TLS listener: NotAllowedByListeners" \
	"$(cond tcproute tcp-on-tls Accepted)" "False NotAllowedByListeners"
check "... and the message names the kind, not a namespace" \
	"$("$SG_BIN" get tcproute tcp-on-tls -n web -o json | jq -r '.status.parents[0].conditions[] | select(.type == "Accepted") | .message')" \
	"no listener of Gateway infra/tls-gw takes a TCPRoute (its protocol, or allowedRoutes.kinds)"
check "get tlsroute table" "$("$SG_BIN" get tlsroute -n web | no_age)" \
	"$(printf '%-14s%-25s%-11s%-15s%s\n' NAME HOSTNAMES ACCEPTED RESOLVEDREFS REASON \
		route-a '["a.example.test"]' True True '' \
		route-wild '["*.wild.test"]' True True '' \
		route-files '["files.example.test"]' True True '' \
		route-split '["split.example.test"]' True True '' \
		route-cross '["cross.example.test"]' True True '' | sed 's/ *$//')"
check "get gateway: the TLS listener takes TLSRoute, 5 attached" \
	"$("$SG_BIN" get gateway tls-gw -n infra -o json |
		jq -c '.status.listeners[0] | [.supportedKinds, .attachedRoutes]')" \
	'[[{"group":"gateway.networking.k8s.io","kind":"TLSRoute"}],5]'

json_equal "config_dump: the TLS listener and its routes" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq --arg k "bind/$TP" \
		'.binds[] | select(.key == $k) | {protocol, listeners: (.listeners | map_values({protocol,
		routes: (.tcpRoutes | map_values({name, namespace, hostnames,
			weights: [.backends[].weight]}))}))}')" \
	"$(
		cat <<JSON
{
  "protocol": "tls",
  "listeners": {
    "infra/tls-gw.tls": {
      "protocol": {"TLS": null},
      "routes": {
        "web/route-a.0.tls": {"name": "route-a", "namespace": "web",
          "hostnames": ["a.example.test"], "weights": [1]},
        "web/route-wild.0.tls": {"name": "route-wild", "namespace": "web",
          "hostnames": ["*.wild.test"], "weights": [1]},
        "web/route-files.0.tls": {"name": "route-files", "namespace": "web",
          "hostnames": ["files.example.test"], "weights": [1]},
        "web/route-split.0.tls": {"name": "route-split", "namespace": "web",
          "hostnames": ["split.example.test"], "weights": [1, 1]},
        "web/route-cross.0.tls": {"name": "route-cross", "namespace": "web",
          "hostnames": ["cross.example.test"], "weights": [1]}
      }
    }
  }
}
JSON
	)"

"$SG_BIN" delete -f- >/dev/null <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: route-a, namespace: web}
YAML
check "after delete of route-a: a.example.test is closed" "$(sclient "$TP" a.example.test)" closed
check "after delete: the other routes serve on" "$(sclient "$TP" y.wild.test)" \
	"backend-b hello-y.wild.test"

# A TLS listener in mode Terminate (the default) needs a certificate: one
# without certificateRefs is refused by name, and the running config
# serves on (tls-terminate.sh serves one that has its Secret).
TP2=$(free_port)
out=$("$SG_BIN" apply -f- 2>&1 <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: term-gw, namespace: infra}
spec:
  gatewayClassName: splicegate
  listeners:
  - name: tls-terminate
    port: $TP2
    protocol: TLS
    hostname: terminate.example.com
    tls: {mode: Terminate}
YAML
)
check "apply of a Terminate TLS listener without certificateRefs is refused (exit 1)" "$?" 1
[[ $out == *'spec.listeners[0].tls: mode Terminate needs certificateRefs (at least one Secret)'* ]] &&
	pass "apply says why" || fail "apply said: $out"
check "the running config serves on" "$(sclient "$TP" z.wild.test)" \
	"backend-b hello-z.wild.test"
stop_gateway
finish
