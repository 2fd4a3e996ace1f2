# The Grafana dashboard (config/deploy/grafana-dashboard.json) against a live
# gateway (access log off: metrics do not depend on it): after a few HTTP/1
# and HTTP/2 requests (200s, a slow one, an upload, a retried one, a refused
# connect, a 404), every metric name its queries reference has a sample in
# /metrics, which parses strictly (histogram rules included), and the
# histograms and per-route counters say what was sent: counts per route,
# the slow request above the 0.25 s bucket, upload bytes, retries and tries,
# a connect failure by kind, no request left active; splicegate_build_info
# names the running version, the start counts as a successful reload with
# its time, process_* metrics are there, no worker label, and promtool
# check metrics finds nothing to say. The dashboard itself: job and
# instance variables, every metric selector filtered by them, and by
# $listener and $route where the metric has those labels; panels for
# ejections, TLS handshakes and refusals.
. "$(dirname "$0")/lib.sh"

DASH=$REPO_DIR/config/deploy/grafana-dashboard.json
start_backend m
DEAD_PORT=$(free_port)
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: http
    routes:
    - name: retry
      matches: [{path: {pathPrefix: /retry}}]
      policies: {retry: {attempts: 2, codes: [503]}}
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
    - name: down
      matches: [{path: {pathPrefix: /down}}]
      backends: [{host: 127.0.0.1:$DEAD_PORT}]
    - name: main
      matches: [{path: {pathPrefix: /main}}]
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
start_gateway -c "$WORK/cfg.yaml" --access-log off || exit 1

U=http://127.0.0.1:8080
L=bind/8080/http
curl -s -o /dev/null "$U/main/a" -o /dev/null "$U/main/b" -o /dev/null "$U/main/c"
curl -s -o /dev/null "$U/main/slow?delay=300ms"
head -c 100000 /dev/zero >"$WORK/up"
curl -s -o /dev/null -H 'Expect:' -T "$WORK/up" "$U/main/upload"
curl -s -o /dev/null "$U/main/big?size=50000"
curl -s -o /dev/null --http2-prior-knowledge "$U/main/h2"
curl -s -o /dev/null "$U/retry/r?uuid=$(new_uuid)&responseCode=503&succeedAfter=3"
curl -s -o /dev/null "$U/down"
curl -s -o /dev/null "$U/nothing"
curl -s "http://127.0.0.1:15020/metrics" >"$WORK/metrics"

# metric SAMPLE: the value of the sample written exactly so (name{labels}).
metric() {
	awk -v k="$1" '$1 == k { print $2 }' "$WORK/metrics"
}
# expect_metric SAMPLE WANT: the sample's value is WANT.
expect_metric() {
	local got
	got=$(metric "$1")
	[ "$got" = "$2" ] && pass "$1 = $2" || fail "$1 = '${got}', want $2"
}

if ! names=$(/usr/bin/python3 "$E2E_DIR/dash_names.py" "$DASH"); then
	fail "the dashboard's queries could not be read"
else
	pass "the dashboard references $(echo "$names" | wc -l) metrics"
	# shellcheck disable=SC2086
	/usr/bin/python3 "$E2E_DIR/prom_strict.py" "$WORK/metrics" $names >"$WORK/why" &&
		pass "every metric the dashboard queries is in /metrics, which parses strictly" ||
		fail "$(cat "$WORK/why")"
fi

R="listener=\"$L\",route=\"$L/main\""
expect_metric "agentgateway_request_duration_seconds_count{$R}" 7
expect_metric "agentgateway_requests_total{$R,status=\"200\"}" 7
fast=$(metric "agentgateway_request_duration_seconds_bucket{$R,le=\"0.25\"}")
[ -n "$fast" ] && [ "$fast" -lt 7 ] && pass "the 300 ms request is above the 0.25 s bucket" ||
	fail "le=0.25 bucket: '$fast' of 7"
sum=$(metric "agentgateway_request_duration_seconds_sum{$R}")
awk -v s="${sum:-0}" 'BEGIN { exit !(s >= 0.3) }' && pass "duration sum $sum s >= 0.3 s" ||
	fail "duration sum '$sum'"
expect_metric "splicegate_request_bytes_total{$R}" 100000
resp=$(metric "agentgateway_response_bytes_total{$R}")
[ -n "$resp" ] && [ "$resp" -ge 50000 ] && pass "response bytes $resp >= 50000" ||
	fail "response bytes '$resp'"
conn=$(metric "agentgateway_upstream_connect_duration_seconds_count{$R,transport=\"plaintext\"}")
[ -n "$conn" ] && [ "$conn" -ge 1 ] && pass "backend connects timed: $conn" ||
	fail "connect histogram count '$conn'"

T="listener=\"$L\",route=\"$L/retry\""
expect_metric "agentgateway_retries_total{$T}" 2
expect_metric "agentgateway_upstream_call_duration_seconds_count{$T,kind=\"Primary\",subtype=\"Http\"}" 3
expect_metric "agentgateway_requests_total{$T,status=\"200\"}" 1

expect_metric 'splicegate_attempt_failures_total{kind="connect"}' 1
expect_metric "agentgateway_requests_total{listener=\"$L\",route=\"$L/down\",status=\"503\"}" 1
expect_metric "agentgateway_requests_total{listener=\"$L\",route=\"\",status=\"404\"}" 1
expect_metric "agentgateway_request_duration_seconds_count{listener=\"$L\",route=\"\"}" 1
expect_metric splicegate_active_requests 0
expect_metric "splicegate_build_info{version=\"$("$SG_BIN" version | sed 's/^splicegate //')\"}" 1
expect_metric splicegate_config_last_reload_successful 1
now=$(date +%s)
at=$(metric splicegate_config_last_reload_success_timestamp_seconds)
[ -n "$at" ] && [ "$at" -le "$now" ] && [ "$at" -ge $((now - 600)) ] &&
	pass "the last reload's time is the start's ($at)" || fail "last reload at '$at', now $now"
for m in process_cpu_seconds_total process_resident_memory_bytes process_open_fds process_max_fds process_start_time_seconds; do
	[ -n "$(metric $m)" ] || fail "no $m"
done
pass "process_* metrics (CPU, RSS, fds, start time)"
! grep -q 'worker="' "$WORK/metrics" && pass "no series carries a worker label" ||
	fail "worker labels: $(grep -m1 'worker="' "$WORK/metrics")"
# promtool (Debian's prometheus package): the exposition is clean.
if promtool check metrics <"$WORK/metrics" >"$WORK/promtool" 2>&1; then
	pass "promtool check metrics: clean"
else
	fail "promtool check metrics: $(head -5 "$WORK/promtool")"
fi

check "dashboard variables: job, instance, listener, route" \
	"$(jq -c '[.templating.list[].name]' "$DASH")" '["datasource","job","instance","listener","route"]'
# Every selector of a metric in the queries, one a line: name{matchers}.
jq -r '.. | objects | .expr? // empty' "$DASH" |
	grep -oE '(agentgateway|splicegate|process)_[a-z_]+(\{[^}]*\})?' >"$WORK/selectors"
unfiltered=$(grep -vE '\{job=~"\$job",instance=~"\$instance"' "$WORK/selectors")
check "every metric in the dashboard is filtered by \$job and \$instance ($(wc -l <"$WORK/selectors") selectors)" \
	"$unfiltered" ""
# The metrics with listener and route labels, as /metrics showed them.
lr=$(grep -oE '^[a-z_]+\{listener="[^"]*",route=' "$WORK/metrics" |
	sed -E 's/\{.*//; s/_(bucket|sum|count)$//' | sort -u)
missing=""
for m in $lr; do
	grep -E "^${m}(_bucket|_sum|_count)?\{" "$WORK/selectors" |
		grep -vqE 'listener=~"\$listener",route=~"\$route"' && missing="$missing $m"
done
[ -n "$lr" ] && check "every metric with listener and route labels is filtered by \$listener and \$route ($(echo $lr | wc -w) metrics)" \
	"$missing" "" || fail "no metric with listener and route labels found in /metrics"
check "panels for ejections, TLS handshakes and refusals" \
	"$(jq -c '[.panels[].title | select(. == "Endpoint ejections" or . == "TLS handshakes" or . == "Refusals")]' "$DASH")" \
	'["Endpoint ejections","TLS handshakes","Refusals"]'
finish
