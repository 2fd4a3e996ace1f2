# A mirror that reaches the gateway again does not amplify (issue 63): a
# route on loop.test mirroring 100 % to the gateway's own listener turns one
# client request into exactly two backend requests (the request, and its
# one copy, which carries the gateway's mark and is not mirrored again),
# counted sent 1 and looped 1 in /metrics, over HTTP/1 and HTTP/2 clients.
# A client's X-Splicegate-Mirror never reaches a backend.
. "$(dirname "$0")/lib.sh"

start_backend echo
B=$BACKEND_PORT
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: loop
      hostnames: [loop.test]
      policies:
        requestMirror: {backend: {host: 127.0.0.1:8080}, percentage: 1.0}
      backends: [{host: 127.0.0.1:$B}]
YAML
start_gateway -c "$WORK/cfg.yaml" --workers 1 || finish

# mirror_metric RESULT: splicegate_mirror_requests_total{result=RESULT}.
mirror_metric() {
	curl -s http://127.0.0.1:15020/metrics |
		awk -v r="{result=\"$1\"}" '$1 == "splicegate_mirror_requests_total" r { print $2 }'
}
# settled SENT LOOPED: waits (5 s at most) until the counters say so.
settled() {
	for _ in $(seq 50); do
		[ "$(mirror_metric sent) $(mirror_metric looped)" = "$1 $2" ] && return 0
		sleep 0.1
	done
	return 1
}

n=0
for proto in --http1.1 --http2-prior-knowledge; do
	u=$(new_uuid)
	hcall "$proto" -H "Host: loop.test" "http://127.0.0.1:8080/loop?uuid=$u"
	check "$proto: the client is answered" "$H_CODE" 200
	n=$((n + 1))
	settled "$n" "$n" || true
	sleep 0.3 # a chain, had there been one, would be well under way
	check "$proto: the backend saw the request and one copy" "$(backend_count "$B" "$u")" 2
	check "$proto: counted: sent $n, looped $n" \
		"$(mirror_metric sent) $(mirror_metric looped)" "$n $n"
done
hcall -H "Host: loop.test" -H "X-Splicegate-Mirror: 1" "http://127.0.0.1:8080/forged"
check "a client's mark never reaches the backend" \
	"$H_CODE $(echo_header x-splicegate-mirror)" "200 "
stop_gateway
san_check
finish
