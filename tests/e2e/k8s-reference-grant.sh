# Cross-namespace backendRefs (HTTPRoute and TCPRoute) need a ReferenceGrant in the Service's namespace: without one the route is accepted with ResolvedRefs False/RefNotPermitted and its requests get 500 "no valid backends" (a TCP connection is closed); a grant for the route's kind and namespace (any Service, or that one by name) lets the traffic through; a grant in the wrong namespace, for another kind or another name does not; deleting the grant closes it again, also for the next request on an HTTP/1 connection kept alive across the deletion and the next stream of an HTTP/2 connection (Gateway API ReferenceGrant, HTTPRouteReferenceGrant).
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
TP=$(free_port)
cat >"$WORK/base.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: splicegate
  listeners:
  - {name: http, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - {name: tcp, port: $TP, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: back}
spec: {clusterIP: 127.0.0.1, ports: [{name: http, port: $B}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: web}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: http}]
  rules: [{backendRefs: [{name: echo, namespace: back, port: $B}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: t, namespace: web}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: tcp}]
  rules: [{backendRefs: [{name: echo, namespace: back, port: $B}]}]
YAML

# grant NS KIND [NAME]: a ReferenceGrant in NS from KIND in namespace web.
grant() {
	cat <<YAML
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-web, namespace: $1}
spec:
  from: [{group: gateway.networking.k8s.io, kind: $2, namespace: web}]
  to: [{group: "", kind: Service${3:+, name: $3}}]
YAML
}

# resolved KIND NAME: "status reason" of the route's ResolvedRefs.
resolved() {
	"$SG_BIN" get "$1" "$2" -n web -o json |
		jq -r '.status.parents[0].conditions[] | select(.type == "ResolvedRefs") | "\(.status) \(.reason)"'
}

# http_expect NAME CODE BODY: one request through the HTTP listener.
http_expect() {
	hcall http://127.0.0.1:8080/get
	expect "$1" "$2" "$3"
}

# tcp_status: the status curl sees through the TCP route (000: closed).
tcp_status() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$TP/get"
}

"$SG_BIN" check -c "$WORK/base.yaml" >"$WORK/check.out" 2>&1
check "check accepts the file (exit 0)" "$?" 0
check "check warns RefNotPermitted for both routes" \
	"$(grep -c 'RefNotPermitted' "$WORK/check.out")" 2

start_engine copy -p 8080 -p "$TP" -c "$WORK/base.yaml" || { fail "gateway did not start"; finish; }
http_expect "no grant: HTTPRoute to another namespace -> 500" 500 "no valid backends"
check "no grant: TCPRoute connection closed" "$(tcp_status)" 000
check "no grant: get httproute shows ResolvedRefs False RefNotPermitted" \
	"$(resolved httproute r)" "False RefNotPermitted"
check "no grant: get tcproute shows ResolvedRefs False RefNotPermitted" \
	"$(resolved tcproute t)" "False RefNotPermitted"
check "get httproute table" "$("$SG_BIN" get httproute -n web | no_age)" \
	"NAME   HOSTNAMES   ACCEPTED   RESOLVEDREFS   REASON
r                  True       False          RefNotPermitted"

grant web HTTPRoute | "$SG_BIN" apply -f- >/dev/null
http_expect "grant in the route's own namespace does not count -> 500" 500 "no valid backends"
grant back TCPRoute | "$SG_BIN" apply -f- >/dev/null
http_expect "grant for TCPRoute only: HTTPRoute still 500" 500 "no valid backends"
check "grant for TCPRoute: the TCP route connects" "$(tcp_status)" 200
check "grant for TCPRoute: get tcproute ResolvedRefs True" "$(resolved tcproute t)" \
	"True ResolvedRefs"
grant back HTTPRoute other | "$SG_BIN" apply -f- >/dev/null
http_expect "grant naming another Service -> 500" 500 "no valid backends"
check "TCPRoute lost its grant (same name, replaced) -> closed" "$(tcp_status)" 000

out=$(grant back HTTPRoute echo | "$SG_BIN" apply -f- 2>/dev/null)
check "apply grant says configured" "$out" \
	"referencegrant.gateway.networking.k8s.io/from-web configured"
http_expect "grant for this Service -> 200 from the backend" 200 '{*'
check "grant: get httproute ResolvedRefs True" "$(resolved httproute r)" "True ResolvedRefs"
out=$(grant back HTTPRoute echo | "$SG_BIN" apply -f- 2>&1)
check "the same grant again: unchanged (and no warning)" "$out" \
	"referencegrant.gateway.networking.k8s.io/from-web unchanged"

grant back HTTPRoute | "$SG_BIN" apply -f- >/dev/null
http_expect "grant for every Service -> 200" 200 '{*'
# A client keeping its connection alive across the revocation: its next
# request is refused too (the same connection: same local port).
cat >"$WORK/keepalive.py" <<'PY'
import http.client, subprocess, sys
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=5)
c.request("GET", "/get")
r = c.getresponse()
r.read()
before = c.sock.getsockname()[1]
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
c.request("GET", "/get")
r2 = c.getresponse()
body = r2.read().decode()
print(r.status, r2.status, body, "same" if c.sock.getsockname()[1] == before else "new")
PY
check "grant deleted while a client keeps its connection: its next request -> 500" \
	"$(/usr/bin/python3 "$WORK/keepalive.py" "$SG_BIN" delete referencegrant from-web -n back)" \
	"200 500 no valid backends same"
http_expect "grant deleted -> 500 again" 500 "no valid backends"

# The same over one HTTP/2 connection: a stream opened after the grant is
# deleted is refused (500), while the connection lives on.
cat >"$WORK/h2keep.py" <<'PY'
import subprocess, sys, time
sys.path.insert(0, sys.argv[1])
import h2_raw as h
c = h.Conn(8080)
c.send(h.PREFACE + h.frame(h.SETTINGS, 0, 0))
def get(stream):
    block = b"\x82\x86" + h.literal(":path", "/get") + h.literal(":authority", "gw")
    c.send(h.frame(h.HEADERS, h.END_STREAM | h.END_HEADERS, stream, block))
    for f in c.frames(time.monotonic() + 5):
        if f is None:
            return "eof"
        t, flags, sid, payload = f
        if t == h.SETTINGS and not flags & h.ACK:
            c.send(h.frame(h.SETTINGS, h.ACK, 0))
        if t == h.HEADERS and sid == stream:
            b = h.first_field(payload)
            return {0x88: "200", 0x8e: "500"}.get(b, hex(b or 0))
    return "timeout"
first = get(1)
subprocess.run(sys.argv[2:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(first, get(3))
PY
grant back HTTPRoute | "$SG_BIN" apply -f- >/dev/null
check "h2: grant deleted between two streams of one connection: 200, then 500" \
	"$(/usr/bin/python3 "$WORK/h2keep.py" "$E2E_DIR" "$SG_BIN" delete referencegrant from-web -n back)" \
	"200 500"
check "grant deleted: ResolvedRefs False RefNotPermitted" "$(resolved httproute r)" \
	"False RefNotPermitted"
stop_gateway
san_check
finish
