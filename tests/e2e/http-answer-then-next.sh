# A request the gateway answers itself (404 route not found, a filter's direct response) followed at once by the next request on the same keep-alive connection, 40 times in every engine: every answer arrives and the gateway keeps running (the next head used to be parsed into the request state the first answer had released: a crash one time in five).
. "$(dirname "$0")/lib.sh"

cat >"$WORK/config.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    protocol: HTTP
    routes:
    - name: direct
      matches: [{path: {pathPrefix: /direct}}]
      policies:
        directResponse: {body: "here", status: 200}
YAML

for engine in $(engines); do
	start_engine "$engine" -c "$WORK/config.yaml" || {
		fail "$engine: gateway did not start"
		continue
	}
	got=""
	for _ in $(seq 40); do
		got="$got$(curl -s --max-time 5 -o /dev/null -w '%{http_code} ' \
			-o /dev/null http://127.0.0.1:8080/missing http://127.0.0.1:8080/direct)"
	done
	check "$engine: 40 x (404, then 200 on the same connection)" \
		"$(tr ' ' '\n' <<<"$got" | grep . | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" \
		"200:40 404:40 "
	if kill -0 "$GW_PID" 2>/dev/null; then
		pass "$engine: the gateway is still running"
	else
		fail "$engine: the gateway died"
	fi
	stop_gateway
done
finish
