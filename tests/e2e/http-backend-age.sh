# --backend-max-connection-age 1s: a keep-alive client asking every 250 ms for 3 s has its requests sent on backend connections younger than 1 s: an HTTP/1.1 backend sees 3 to 5 connections (splicegate_backend_connects_total), where without the option one connection carries all 13; an HTTP/2 backend (h2backend.py) sees 3 to 5 connections too, each retired one finishing its stream first (every response 200, whole).
. "$(dirname "$0")/lib.sh"

start_backend age || finish
start_h2backend h2age || { fail "h2backend did not start"; finish; }

cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - routes:
    - name: h2
      matches: [{path: {pathPrefix: /h2}}]
      backends:
      - host: 127.0.0.1:$H2B_PORT
        policies: {http: {version: HTTP/2.0}}
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML

# paced PATH: 13 GETs on one keep-alive client connection, 250 ms apart;
# prints how many were answered 200 with a body.
paced() {
	/usr/bin/python3 - "$1" <<'PY'
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=10)
ok = 0
for i in range(13):
    c.request("GET", sys.argv[1])
    r = c.getresponse()
    body = r.read()
    ok += r.status == 200 and len(body) > 0
    time.sleep(0.25)
print(ok)
PY
}
connects() {
	curl -s http://127.0.0.1:15020/metrics | awk '$1 == "splicegate_backend_connects_total" { print $2 }'
}

start_gateway -c "$WORK/config.yaml" --workers 1 || finish
check "without an age limit: 13 of 13 answered" "$(paced /get)" 13
check "without an age limit: one backend connection" "$(connects)" 1
stop_gateway

start_gateway -c "$WORK/config.yaml" --workers 1 --backend-max-connection-age 1s || finish
check "age 1s: 13 of 13 answered" "$(paced /get)" 13
n=$(connects)
[ "$n" -ge 3 ] && [ "$n" -le 5 ] && pass "age 1s: $n HTTP/1.1 backend connections over 3 s" ||
	fail "age 1s: $n HTTP/1.1 backend connections over 3 s, want 3 to 5"
h0=$(h2stats "$H2B_PORT" connections)
check "age 1s, HTTP/2 backend: 13 of 13 answered" "$(paced /h2/x)" 13
h=$(($(h2stats "$H2B_PORT" connections) - h0))
[ "$h" -ge 3 ] && [ "$h" -le 5 ] && pass "age 1s: $h HTTP/2 backend connections over 3 s" ||
	fail "age 1s: $h HTTP/2 backend connections over 3 s, want 3 to 5"
h2backend_clean h2age "$H2B_PORT"

san_check
finish
