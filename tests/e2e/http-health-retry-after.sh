# Passive health and a backend's 429: with a health policy that evicts on
# 429 and gives no eviction duration, the endpoint is evicted for as long
# as the answer asks (Retry-After in seconds or as an HTTP-date,
# x-ratelimit-reset-requests), before the route's retry backoff; without
# such a header, for the backoff or agentgateway's 3s (its
# outlierdetection.rs). Standalone dialect: the Kubernetes CRD fills in
# a duration of 3s, so there the header never decides.
. "$(dirname "$0")/lib.sh"

start_backend plain
P=$BACKEND_PORT
date=$(date -u -d '@'$(($(date +%s) + 12)) '+%a, %d %b %Y %H:%M:%S GMT')
start_backend_at secs 127.0.0.8 "$P" --defaults 'responseCode=429&header=Retry-After%3A6' ||
	fail "backend secs did not start"
start_backend_at date 127.0.0.9 "$P" --defaults "responseCode=429&header=Retry-After%3A$date" ||
	fail "backend date did not start"
start_backend_at reset 127.0.0.10 "$P" \
	--defaults 'responseCode=429&header=x-ratelimit-reset-requests%3A1m30s' ||
	fail "backend reset did not start"
start_backend_at none 127.0.0.11 "$P" --defaults 'responseCode=429' ||
	fail "backend none did not start"

# route NAME ADDR [RETRY]: /NAME to ADDR:$P, evicted after one 429.
route() {
	local pol=""
	[ -n "${3:-}" ] && pol="policies: {retry: $3}"
	cat <<YAML
    - name: $1
      matches: [{path: {pathPrefix: /$1}}]
      $pol
      backends:
      - host: $2:$P
        policies:
          health:
            unhealthyExpression: "response.code == 429"
            eviction: {consecutiveFailures: 1}
YAML
}
{
	cat <<YAML
binds:
- port: 8080
  listeners:
  - name: web
    routes:
YAML
	route secs 127.0.0.8 '{attempts: 1, backoff: 1s, codes: [503]}'
	route date 127.0.0.9
	route reset 127.0.0.10
	route none 127.0.0.11
	route backoff 127.0.0.11 '{attempts: 1, backoff: 2s, codes: [503]}'
} >"$WORK/cfg.yaml"

# evicted_ms ADDR: how long the endpoint ADDR:$P stays evicted, in ms, by
# /stats (the one worker's); "no" when it is not evicted.
evicted_ms() {
	curl -s --max-time 5 http://127.0.0.1:15000/stats |
		jq -r --arg e "$1:$P" '.endpoints[] | select(.endpoint == $e) |
			if .evicted then (.evictedForMs | floor) else "no" end'
}

# within NAME ADDR LO HI: one request to /NAME gets the backend's 429 and
# leaves ADDR evicted for more than LO and at most HI ms.
within() {
	local code left
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:8080/$1")
	check "/$1: the backend's 429 is the answer" "$code" 429
	left=$(evicted_ms "$2")
	if [ "$left" != no ] && [ "$left" -gt "$3" ] && [ "$left" -le "$4" ]; then
		pass "/$1: evicted for $left ms (want $3 < ms <= $4)"
	else
		fail "/$1: evicted for '$left' ms, want $3 < ms <= $4"
	fi
}

if ! start_engine copy --workers 1 -c "$WORK/cfg.yaml"; then
	fail "gateway did not start"
	finish
fi
within secs 127.0.0.8 3000 6000       # Retry-After: 6, not the route's 1s backoff
within date 127.0.0.9 3000 12000      # a date 12s ahead, when it was started
within reset 127.0.0.10 60000 90000   # 1m30s
within none 127.0.0.11 2000 3000      # no header, no backoff: 3s
stop_gateway
# The same endpoint, behind a route with a 2s backoff and no header: 2s.
if ! start_engine copy --workers 1 -c "$WORK/cfg.yaml"; then
	fail "gateway did not start again"
	finish
fi
within backoff 127.0.0.11 1000 2000
stop_gateway
finish
