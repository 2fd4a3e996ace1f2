# Tracing (config.tracing, frontendPolicies.tracing): a client's
# traceparent is continued (its trace id, its span as the server span's
# parent) and a request without one starts a trace (randomSampling), over
# HTTP/1, h2c, HTTPS and gRPC; each try gets a client span under the
# server span and sends that span's traceparent, so across a retry the
# backend sees the second try's span; spans reach an OTLP/HTTP collector
# with the configured headers, in protobuf or JSON (otlpProtocol
# http/json), and an OTLP/gRPC one; the access log line names the trace
# and span; with sampling 0 a request without traceparent gets none and
# exports nothing; a collector that answers 500, or is down, costs no
# request (spans dropped and counted); config_dump prints the settings;
# config.tracing.fields and the frontend policy's attributes and remove
# add CEL attributes to the server span and drop its own by name; a
# failed try's span says why it was retried; randomSampling may be a CEL
# expression; the frontend policy's resources go on the export and its
# filter keeps only the traces it holds for; AgentgatewayPolicy
# frontend.tracing does the same in the Kubernetes dialect, its collector
# a backendRef to a Service; the frontend policy's policies.backendTLS
# (its CA, its hostname) and a collector named by backend:, a top-level
# backends: entry with a backendTLS of its own; an MCP request's calls to
# its targets, a client span each.
. "$(dirname "$0")/lib.sh"

start_backend tr
start_collector "$WORK/spans.jsonl"
cport=$COLLECTOR_PORT
start_collector "$WORK/grpc.jsonl" --grpc
gport=$COLLECTOR_PORT
start_collector "$WORK/bad.jsonl" --status 500
bport=$COLLECTOR_PORT
start_collector "$WORK/json.jsonl"
jport=$COLLECTOR_PORT
dport=$(free_port) # nobody listens there

config() { # $1: endpoint port, $2: protocol, $3: randomSampling
	cat >"$WORK/cfg.yaml" <<YAML
config:
  tracing:
    otlpEndpoint: http://127.0.0.1:$1
    otlpProtocol: $2
    randomSampling: $3
    headers: {x-tenant: t1, Authorization: "Bearer s3cret"}
    fields:
      add: {user: 'request.headers["x-user"]', n: '1 + 2', gone: 'request.headers["x-none"]'}
      remove: [src.addr]
binds:
- port: 8080
  listeners:
  - name: web
    routes:
    - name: r
      policies:
        retry: {attempts: 2, codes: [503]}
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
}
# spans FILE TRACE: that trace's spans, one JSON object each
spans() { jq -c "select(.span.trace_id == \"$2\") | .span" "$1" 2>/dev/null; }
wait_spans() { # FILE TRACE N: until N spans of TRACE arrived (10 s)
	for _ in $(seq 100); do
		[ "$(spans "$1" "$2" | wc -l)" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

config "$cport" http true
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
dump=$(curl -s http://127.0.0.1:15000/config_dump | jq -c '.config.tracing')
json_equal "config_dump: config.tracing in agentgateway's shape" "$dump" \
	"{\"endpoint\":\"http://127.0.0.1:$cport\",\"headers\":{\"x-tenant\":\"t1\",\"authorization\":\"<redacted>\"},\"protocol\":\"http\",\"fields\":{\"remove\":[\"src.addr\"],\"add\":{\"user\":\"request.headers[\\\"x-user\\\"]\",\"n\":\"1 + 2\",\"gone\":\"request.headers[\\\"x-none\\\"]\"}},\"random_sampling\":\"true\",\"client_sampling\":null,\"path\":\"/v1/traces\"}"

# HTTP/1 with the client's traceparent, across a retry (503, then 200),
# its spans arriving at collector FILE in ENCODING (protobuf or JSON:
# otlp_collector.py decodes both to the same shape) with CONTENT_TYPE.
retried_trace() { # FILE TRACE_ID LABEL CONTENT_TYPE
	local file=$1 tid=$2 label=$3 ctype=$4 seen server sid tries
	seen=$(curl -s -H "traceparent: 00-$tid-b7ad6b7169203331-01" -H 'tracestate: k=v' -H 'x-user: ann' \
		"http://127.0.0.1:8080/get?uuid=$(new_uuid)&responseCode=503&succeedAfter=2" |
		jq -r '.headers.traceparent[0]')
	wait_spans "$file" "$tid" 3 || fail "$label: spans of $tid did not arrive: $(cat "$file")"
	server=$(spans "$file" "$tid" | jq -c 'select(.kind == 2)')
	sid=$(jq -r .span_id <<<"$server")
	[ "$(jq -c '[.parent, .name, .attributes."http.response.status_code", .trace_state, (.events | map(.name))]' <<<"$server")" = \
		'["b7ad6b7169203331","GET bind/8080/web/r",200,"k=v",["response.head","response.end"]]' ] &&
		pass "$label: the server span continues the client's trace, under its span, with status and events" ||
		fail "$label: server span: $server"
	check "$label: tracing fields: added (a string, an int; one that fails left out), src.addr removed" \
		"$(jq -c '.attributes | [.user, .n, has("gone"), has("src.addr"), has("url.path")]' <<<"$server")" \
		'["ann",3,false,false,true]'
	tries=$(spans "$file" "$tid" | jq -sc 'map(select(.kind == 3)) | sort_by(.attributes."http.request.resend_count")')
	[ "$(jq -c --arg s "$sid" 'map([.parent == $s, .attributes."http.request.resend_count", .status.code // 0, .attributes."http.response.status_code", .attributes."error.type"])' <<<"$tries")" = \
		'[[true,0,2,503,"retried: status 503"],[true,1,0,200,null]]' ] &&
		pass "$label: one client span per try under the server span (the first 503, retried for it; the second 200)" ||
		fail "$label: try spans: $tries"
	[ "$seen" = "00-$tid-$(jq -r '.[1].span_id' <<<"$tries")-01" ] &&
		pass "$label: the backend saw the second try's traceparent: $seen" || fail "$label: backend saw $seen"
	[ "$(jq -c --argjson s "$server" '[.[0].start <= .[0].end, .[0].end <= .[1].start, .[1].start <= .[1].end,
		$s.start <= .[0].start, .[1].end <= $s.end, ($s.events | map(.time) | . == sort and .[0] >= $s.start)]' <<<"$tries")" = \
		'[true,true,true,true,true,true]' ] &&
		pass "$label: the tries' times are in order, within the server span's" || fail "$label: times: $tries / $server"
	grep -q "trace.id=$tid span.id=$sid " "$WORK/gateway.log" &&
		pass "$label: the access log line names the trace and the server span" ||
		fail "$label: log: $(grep 'http.path=/get' "$WORK/gateway.log")"
	[ "$(jq -r 'select(.request) | .request | [.path, ."content-type", ."x-tenant"] | join(" ")' "$file" | head -1)" = \
		"/v1/traces $ctype t1" ] && pass "$label: POST /v1/traces, $ctype, with the configured headers" ||
		fail "$label: collector requests: $(grep request "$file")"
}
retried_trace "$WORK/spans.jsonl" 0af7651916cd43dd8448eb211c80319c "HTTP/1, OTLP/HTTP protobuf" \
	application/x-protobuf

# h2c without a traceparent: a new trace, sampled (randomSampling: true),
# its spans at collector FILE.
new_trace() { # FILE LABEL
	local seen ntid
	seen=$(curl -s --http2-prior-knowledge "http://127.0.0.1:8080/get" | jq -r '.headers.traceparent[0]')
	ntid=$(cut -d- -f2 <<<"$seen")
	wait_spans "$1" "$ntid" 2 &&
		[ "$(spans "$1" "$ntid" | jq -sc 'map([.kind, .parent == "", .attributes."network.protocol.version", .service]) | sort')" = \
			'[[2,true,"2","splicegate"],[3,false,null,"splicegate"]]' ] &&
		pass "$2: a new trace ($ntid), its root server span and the try's span, service.name on the resource" ||
		fail "$2: backend saw '$seen'; spans: $(spans "$1" "$ntid")"
}
new_trace "$WORK/spans.jsonl" "h2c, OTLP/HTTP protobuf"
stop_gateway

# OTLP/HTTP with a JSON body (otlpProtocol http/json, OpenTelemetry's name
# for it): the same trace, the same assertions, as the collector decodes
# OTLP's JSON.
config "$jport" http/json true
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
check "config_dump: otlpProtocol http/json" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -r '.config.tracing.protocol')" http/json
retried_trace "$WORK/json.jsonl" 4bf92f3577b34da6a3ce929d0e0e4736 "HTTP/1, OTLP/HTTP JSON" application/json
new_trace "$WORK/json.jsonl" "h2c, OTLP/HTTP JSON"
stop_gateway

# Sampling 0: no trace is started; a client's sampled trace still is.
config "$cport" http false
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
seen=$(curl -s "http://127.0.0.1:8080/get" | jq -r '.headers.traceparent[0]')
[ "$seen" = null ] && pass "randomSampling false: no traceparent sent" || fail "sampling 0 sent '$seen'"
tid=11112222333344445555666677778888
seen=$(curl -s -H "traceparent: 00-$tid-1111222233334444-01" "http://127.0.0.1:8080/get" |
	jq -r '.headers.traceparent[0]')
wait_spans "$WORK/spans.jsonl" "$tid" 2 && [ "$(cut -d- -f2 <<<"$seen")" = "$tid" ] &&
	pass "clientSampling (default true): a client's trace is continued under sampling 0" ||
	fail "client trace under sampling 0: '$seen'"
grep 'http.path=/get ' "$WORK/gateway.log" | head -1 | grep -q 'trace.id' &&
	fail "an untraced request's line names a trace" || pass "an untraced request's line names no trace"
stop_gateway

# Sampling by a CEL expression over the request's head (agentgateway's
# randomSampling is an expression): traced when it holds, not otherwise.
config "$cport" http "'request.headers[\"x-trace\"] == \"yes\"'"
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
seen=$(curl -s -H 'x-trace: yes' "http://127.0.0.1:8080/get" | jq -r '.headers.traceparent[0]')
ctid=$(cut -d- -f2 <<<"$seen")
[ "$seen" != null ] && wait_spans "$WORK/spans.jsonl" "$ctid" 2 &&
	pass "randomSampling as CEL: a request it holds for is traced, its spans exported" ||
	fail "CEL sampling, x-trace yes: backend saw '$seen'"
check "randomSampling as CEL: a request it does not hold for is not traced" \
	"$(curl -s -H 'x-trace: no' "http://127.0.0.1:8080/get" | jq -r '.headers.traceparent[0]')" null
check "config_dump: the expression as written" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -r '.config.tracing.random_sampling')" \
	'request.headers["x-trace"] == "yes"'
stop_gateway

# OTLP/gRPC.
config "$gport" grpc true
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
seen=$(curl -s "http://127.0.0.1:8080/get" | jq -r '.headers.traceparent[0]')
gtid=$(cut -d- -f2 <<<"$seen")
wait_spans "$WORK/grpc.jsonl" "$gtid" 2 &&
	[ "$(jq -r 'select(.request) | .request."x-tenant"' "$WORK/grpc.jsonl" | head -1)" = t1 ] &&
	pass "OTLP/gRPC: TraceService/Export took the trace the backend saw ($gtid), with the headers" ||
	fail "gRPC: backend saw '$seen'; got: $(head -c 600 "$WORK/grpc.jsonl")"
stop_gateway

# A collector that answers 500, then one that is down: every request is
# served; the spans are dropped and counted.
for port in "$bport" "$dport"; do
	config "$port" http true
	start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
	ok=0
	for i in $(seq 50); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:8080/get?i=$i")" = 200 ] && ok=$((ok + 1))
	done
	dropped=0
	for _ in $(seq 50); do
		dropped=$(curl -s http://127.0.0.1:15000/metrics |
			awk '/^splicegate_trace_spans_total\{result="dropped"\}/ {print $2}')
		[ "${dropped:-0}" -ge 100 ] && break
		sleep 0.1
	done
	failures=$(curl -s http://127.0.0.1:15000/metrics | awk '/^splicegate_trace_export_failures_total / {print $2}')
	[ "$ok" = 50 ] && [ "${dropped:-0}" -ge 100 ] && [ "${failures:-0}" -ge 1 ] &&
		pass "collector on $port failing: 50 of 50 requests served, $dropped spans dropped, $failures failed exports" ||
		fail "collector on $port: $ok served, dropped $dropped, failures $failures"
	stop_gateway
done

# frontendPolicies.tracing: its host, sampling, attributes and remove in
# force, dumped.
cat >"$WORK/cfg.yaml" <<YAML
frontendPolicies:
  tracing:
    host: 127.0.0.1:$cport
    protocol: http
    randomSampling: 1.0
    attributes: {route.kind: proxy.route.kind}
    remove: [endpoint]
binds:
- port: 8080
  listeners:
  - routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
seen=$(curl -s "http://127.0.0.1:8080/get" | jq -r '.headers.traceparent[0]')
ftid=$(cut -d- -f2 <<<"$seen")
wait_spans "$WORK/spans.jsonl" "$ftid" 2 && pass "frontendPolicies.tracing: its collector took the trace ($ftid)" ||
	fail "frontend policy: backend saw '$seen'"
check "frontendPolicies.tracing: attributes added, remove removes" \
	"$(spans "$WORK/spans.jsonl" "$ftid" | jq -c 'select(.kind == 2) | .attributes | [."route.kind", has("endpoint")]')" \
	'["HTTPRoute",false]'
pol=$(curl -s http://127.0.0.1:15000/config_dump | jq -c '[.policies[] | select(.key == "frontend/tracing") | .policy.frontend.tracing]')
[ "$(jq -c '.[0] | [.host, .protocol, .randomSampling, .path, .attributes, .remove]' <<<"$pol")" = "[\"127.0.0.1:$cport\",\"http\",\"1.0\",\"/v1/traces\",{\"route.kind\":\"proxy.route.kind\"},[\"endpoint\"]]" ] &&
	pass "config_dump: the frontend tracing policy" || fail "dump: $pol"
stop_gateway

# Its resources (evaluated once, at load) name the service and go on
# every export; its filter keeps only the traces of requests it holds for
# (the tries' spans too).
cat >"$WORK/cfg.yaml" <<YAML
frontendPolicies:
  tracing:
    host: 127.0.0.1:$cport
    protocol: http
    randomSampling: true
    resources: {service.name: '"edge-" + "gw"', deployment.id: '6 * 7', canary: 'true'}
    filter: 'response.code >= 500'
binds:
- port: 8080
  listeners:
  - routes:
    - policies:
        retry: {attempts: 2, codes: [503]}
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
ok_tid=$(curl -s "http://127.0.0.1:8080/get" | jq -r '.headers.traceparent[0]' | cut -d- -f2)
bad_tid=$(curl -s "http://127.0.0.1:8080/get?uuid=$(new_uuid)&responseCode=503&succeedAfter=9" |
	jq -r '.headers.traceparent[0]' | cut -d- -f2)
wait_spans "$WORK/spans.jsonl" "$bad_tid" 3 &&
	pass "filter: a request it holds for (503 after a retry): its server span and both tries' exported" ||
	fail "filter: spans of $bad_tid: $(spans "$WORK/spans.jsonl" "$bad_tid")"
check "filter: a request it does not hold for (200) exports nothing" \
	"$(spans "$WORK/spans.jsonl" "$ok_tid" | wc -l)" 0
check "resources: service.name and the others, on the export" \
	"$(spans "$WORK/spans.jsonl" "$bad_tid" | jq -c 'select(.kind == 2) | [.service, .resource."deployment.id", .resource.canary]')" \
	'["edge-gw",42,"true"]'
check "config_dump: resources and filter as written" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -c '[.policies[] | select(.key == "frontend/tracing") | .policy.frontend.tracing | [.resources, .filter]][0]')" \
	'[{"service.name":"\"edge-\" + \"gw\"","deployment.id":"6 * 7","canary":"true"},"response.code >= 500"]'
stop_gateway

# https:// collectors, OTLP/HTTP and OTLP/gRPC over TLS: the certificate
# is checked against the system's CAs (here SSL_CERT_FILE names the test's
# CA, as OpenSSL's default paths read it) and the endpoint's address.
ca_and_cert otlp
start_collector "$WORK/hs.jsonl" --tls "$WORK/srv.pem" "$WORK/srv.key"
hsport=$COLLECTOR_PORT
start_collector "$WORK/gs.jsonl" --grpc --tls "$WORK/srv.pem" "$WORK/srv.key"
gsport=$COLLECTOR_PORT
tls_config() { # PORT PROTOCOL
	cat >"$WORK/cfg.yaml" <<YAML
config:
  tracing: {otlpEndpoint: "https://127.0.0.1:$1", otlpProtocol: $2, randomSampling: true}
binds:
- port: 8080
  listeners:
  - routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
}
traced() { # FILE LABEL: a request traced, its two spans at FILE
	local tid
	tid=$(curl -s "http://127.0.0.1:8080/get" | jq -r '.headers.traceparent[0]' | cut -d- -f2)
	wait_spans "$1" "$tid" 2 && pass "$2: the spans arrive ($tid)" ||
		fail "$2: spans of '$tid': $(tail -3 "$1")"
}
export_fails() { # LABEL: a request is served while its spans' export fails, counted
	local failures=0
	check "$1: the request is served" \
		"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:8080/get")" 200
	for _ in $(seq 50); do
		failures=$(curl -s http://127.0.0.1:15000/metrics | awk '/^splicegate_trace_export_failures_total / {print $2}')
		[ "${failures:-0}" -ge 1 ] && break
		sleep 0.1
	done
	[ "${failures:-0}" -ge 1 ] && pass "$1: the export fails, counted" ||
		fail "$1: export failures ${failures:-0}"
}
export SSL_CERT_FILE=$WORK/ca.pem
for pf in "$hsport:http:hs" "$gsport:grpc:gs"; do
	IFS=: read -r p proto file <<<"$pf"
	tls_config "$p" "$proto"
	start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
	traced "$WORK/$file.jsonl" "https:// collector, $proto, over TLS"
	stop_gateway
done
# A CA the system does not trust: the exports fail (counted), the
# requests do not.
unset SSL_CERT_FILE
tls_config "$hsport" http
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
export_fails "https:// collector not trusted"
check "config_dump: the https endpoint" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -r '.config.tracing.endpoint')" \
	"https://127.0.0.1:$hsport"
stop_gateway

# Requests over HTTPS (HTTP/1.1 on a TLS listener) and gRPC (HTTP/2
# prior knowledge to an HTTP/2 backend, h2backend.py's echo, which
# answers with the metadata it got): each continues the client's trace,
# its try's traceparent reaching the backend, its spans linked and in
# time order at the (JSON) collector.
start_h2backend grpc || fail "h2backend did not start"
tport=$(free_port)
cat >"$WORK/cfg.yaml" <<YAML
config:
  tracing: {otlpEndpoint: "http://127.0.0.1:$jport", otlpProtocol: http/json, randomSampling: true}
binds:
- port: $tport
  listeners:
  - name: tls
    protocol: HTTPS
    tls: {cert: $WORK/srv.pem, key: $WORK/srv.key}
    routes:
    - name: r
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
- port: 8080
  listeners:
  - name: web
    routes:
    - name: grpc
      backends:
      - host: 127.0.0.1:$H2B_PORT
        policies: {http: {version: HTTP/2.0}}
YAML
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
linked() { # FILE TRACE PARENT NAME SEEN LABEL: a server span under PARENT named NAME, one try under it (the span SEEN names), in order
	local file=$1 tid=$2 parent=$3 name=$4 seen=$5 label=$6 server try
	wait_spans "$file" "$tid" 2 || { fail "$label: spans of $tid did not arrive"; return; }
	server=$(spans "$file" "$tid" | jq -c 'select(.kind == 2)')
	try=$(spans "$file" "$tid" | jq -c 'select(.kind == 3)')
	check "$label: the server span under the client's, the try's under it, the backend saw the try's" \
		"$(jq -nc --argjson s "$server" --argjson t "$try" '[$s.parent, $s.name, $s.attributes."http.response.status_code",
			$t.parent == $s.span_id, $t.attributes."http.response.status_code",
			$s.start <= $t.start, $t.start <= $t.end, $t.end <= $s.end]')" \
		"[\"$parent\",\"$name\",200,true,200,true,true,true]"
	check "$label: the traceparent the backend got" "$seen" "00-$tid-$(jq -r .span_id <<<"$try")-01"
}
tid=5a9b1e4c7d2f3a6b8c0d1e2f3a4b5c6d
seen=$(curl -s --http1.1 --cacert "$WORK/ca.pem" -H "traceparent: 00-$tid-00f067aa0ba902b7-01" \
	"https://127.0.0.1:$tport/get" | jq -r '.headers.traceparent[0]')
linked "$WORK/json.jsonl" "$tid" 00f067aa0ba902b7 "GET bind/$tport/tls/r" "$seen" "HTTPS"
tid=6b0c2f5d8e3a4b7c9d1e2f3a4b5c6d7e
R=$(timeout 30 /usr/bin/python3 "$E2E_DIR/grpc_client.py" --port 8080 --path /echo.Echo/Echo \
	-H "traceparent: 00-$tid-10f067aa0ba902b7-01" -H 'x-grpc-echo-metadata: 1' hello)
check "gRPC: the call is answered" "$(jq -c '[.grpc_status, .messages]' <<<"$R")" '["0",["hello"]]'
seen=$(jq -r '.headers[] | select(.[0] == "x-echo-metadata") | .[1] | fromjson | map(select(.[0] == "traceparent"))[0][1]' <<<"$R")
linked "$WORK/json.jsonl" "$tid" 10f067aa0ba902b7 "POST bind/8080/web/grpc" "$seen" "gRPC"
check "gRPC: the server span is HTTP/2's" \
	"$(spans "$WORK/json.jsonl" "$tid" | jq -r 'select(.kind == 2) | .attributes."network.protocol.version"')" 2
stop_gateway

# frontendPolicies.tracing's policies.backendTLS: the collector over TLS
# with the scenario's CA as root (the system's CAs do not know it: unset
# above), OTLP/HTTP with a JSON body; and a collector named by backend:,
# a top-level backends: entry whose backendTLS takes OTLP/gRPC over TLS
# (h2 by ALPN). A hostname the certificate does not name fails the
# exports (counted), not the requests.
btls_config() { # TRACING (a flow map's inside)
	cat >"$WORK/cfg.yaml" <<YAML
backends:
- name: otel-grpc
  host: 127.0.0.1:$gsport
  policies:
    backendTLS: {root: $WORK/ca.pem}
- name: otel-plain
  host: 127.0.0.1:$cport
frontendPolicies:
  tracing: {$1, randomSampling: true}
binds:
- port: 8080
  listeners:
  - routes:
    - backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
}
btls_config "host: 127.0.0.1:$hsport, protocol: http/json, policies: {backendTLS: {root: $WORK/ca.pem}}"
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
traced "$WORK/hs.jsonl" "policies.backendTLS {root}: OTLP/HTTP JSON over TLS"
check "config_dump: the tracing policy's backendTLS" \
	"$(curl -s http://127.0.0.1:15000/config_dump | jq -c '[.policies[] | select(.key == "frontend/tracing") | .policy.frontend.tracing | [.host, .protocol, (.policies.backendTLS | has("root"))]][0]')" \
	"[\"127.0.0.1:$hsport\",\"http/json\",true]"
stop_gateway
btls_config "backend: otel-grpc, protocol: grpc"
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
traced "$WORK/gs.jsonl" "backend: a top-level backend with backendTLS: OTLP/gRPC over TLS"
dump=$(curl -s http://127.0.0.1:15000/config_dump)
check "config_dump: the tracing policy names its backend" \
	"$(jq -c '[.policies[] | select(.key == "frontend/tracing") | .policy.frontend.tracing | [.backend, has("host")]][0]' <<<"$dump")" \
	'["otel-grpc",false]'
check "config_dump: the top-level backends, with their backendTLS" \
	"$(jq -c '[.backends[] | select(.host.name | startswith("otel-")) | [.host.name, .host.target, (.inlinePolicies // [] | map(keys[0]))]]' <<<"$dump")" \
	"[[\"otel-grpc\",\"127.0.0.1:$gsport\",[\"backendTLS\"]],[\"otel-plain\",\"127.0.0.1:$cport\",[]]]"
stop_gateway
btls_config "backend: otel-plain, protocol: http"
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
traced "$WORK/spans.jsonl" "backend: a top-level backend, in clear text"
stop_gateway
btls_config "backend: otel-grpc, protocol: grpc, policies: {backendTLS: {root: $WORK/ca.pem, hostname: other.test}}"
start_gateway -c "$WORK/cfg.yaml" --workers 1 || exit 1
export_fails "backendTLS hostname not the certificate's (the policy's own wins over its backend's)"
stop_gateway

# The Kubernetes dialect: an AgentgatewayPolicy's frontend.tracing (the
# CRD's shape) aimed at the Gateway, its collector a backendRef to a
# Service.
{
	gateway_yaml
	service_yaml v1 "$BACKEND_PORT"
	service_yaml otel "$cport" agentgateway-system
	echo ---
	httproute_yaml web / v1 "$BACKEND_PORT"
	cat <<YAML
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: tracing, namespace: agentgateway-system}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: agentgateway-proxy}]
  frontend:
    tracing:
      backendRef: {name: otel, port: $cport}
      protocol: HTTP
      randomSampling: 'true'
      resources: [{name: service.name, expression: '"k8s-gw"'}]
      attributes: {add: [{name: who, expression: 'request.headers["x-user"]'}]}
YAML
} >"$WORK/k8s.yaml"
start_gateway -c "$WORK/k8s.yaml" --workers 1 || exit 1
ktid=$(curl -s -H 'x-user: kim' "http://127.0.0.1:8080/get" | jq -r '.headers.traceparent[0]' | cut -d- -f2)
wait_spans "$WORK/spans.jsonl" "$ktid" 2 &&
	check "AgentgatewayPolicy frontend.tracing: the trace exported, its resource and attribute" \
		"$(spans "$WORK/spans.jsonl" "$ktid" | jq -c 'select(.kind == 2) | [.service, .attributes.who]')" \
		'["k8s-gw","kim"]' ||
	fail "AgentgatewayPolicy frontend.tracing: backend saw trace '$ktid'"
check "config_dump: the collector as agentgateway's service reference" \
	"$(curl -s http://127.0.0.1:15000/config_dump |
		jq -c '[.policies[] | select(.name.name == "tracing") | .policy.frontend.tracing.service][0]')" \
	"{\"name\":\"agentgateway-system/otel.agentgateway-system.svc.cluster.local\",\"port\":$cport}"
stop_gateway

# A backendRef to a Service that is not there: warned of, and accepted.
sed 's/backendRef: {name: otel,/backendRef: {name: nowhere,/' "$WORK/k8s.yaml" >"$WORK/k8s-none.yaml"
out=$("$SG_BIN" check -c "$WORK/k8s-none.yaml" 2>&1)
check "check warns of a collector Service that is not there" \
	"$(grep -c 'frontend.tracing.backendRef: Service agentgateway-system/nowhere not found' <<<"$out")" 1
# An MCP request's calls to its targets (user/mcp): a client span each,
# under its server span, named as agentgateway names them ("METHOD
# TARGET", "tools/call TARGET_TOOL"), with mcp.target, mcp.method.name and
# gen_ai.tool.name and none of an HTTP try's attributes; a call its target
# fails, status ERROR with why. The target is mcp_stdio_fake.py.
cat >"$WORK/mcp.yaml" <<YAML
config:
  tracing: {otlpEndpoint: "http://127.0.0.1:$cport", otlpProtocol: http, randomSampling: true}
mcp:
  port: 3000
  targets:
  - name: fake
    stdio: {cmd: /usr/bin/python3, args: [-I, -S, "$REPO_DIR/tests/e2e/mcp_stdio_fake.py"]}
YAML
wait_ports_free 3000
start_gateway -c "$WORK/mcp.yaml" --workers 1 || exit 1
wait_port 3000 5 || fail "the mcp: listener is not up"
mcp_post() { # TRACE BODY [SESSION]: the message POSTed in that trace
	local sid=()
	[ -z "${3:-}" ] || sid=(-H "mcp-session-id: $3")
	curl -s -D "$WORK/mhead" -o "$WORK/mbody" -X POST -H 'content-type: application/json' \
		-H 'accept: application/json, text/event-stream' -H "traceparent: 00-$1-1111222233334444-01" "${sid[@]}" \
		-d "$2" http://127.0.0.1:3000/mcp
}
# mcp_spans TRACE: its target calls' spans as [name, under the server
# span, mcp.target, mcp.method.name, gen_ai.tool.name, has an HTTP
# attribute, status code, error.type]
mcp_spans() {
	local sid
	wait_spans "$WORK/spans.jsonl" "$1" 2 || return
	sid=$(spans "$WORK/spans.jsonl" "$1" | jq -r 'select(.kind == 2) | .span_id')
	spans "$WORK/spans.jsonl" "$1" | jq -c --arg s "$sid" 'select(.kind == 3) | [.name, .parent == $s,
		.attributes."mcp.target", .attributes."mcp.method.name", .attributes."gen_ai.tool.name",
		(.attributes | has("http.request.method") or has("endpoint")), .status.code // 0,
		.attributes."error.type"]'
}
mcp_post aaaa0000000000000000000000000001 \
	'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
msid=$(tr -d '\r' <"$WORK/mhead" | sed -n 's/^mcp-session-id: //Ip')
check "MCP initialize: a span for its call to the target" \
	"$(mcp_spans aaaa0000000000000000000000000001)" \
	'["initialize fake",true,"fake","initialize",null,false,0,null]'
mcp_post aaaa0000000000000000000000000002 \
	'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"hello","arguments":{}}}' "$msid"
check "MCP tools/call: its span names the target and the tool" \
	"$(mcp_spans aaaa0000000000000000000000000002)" \
	'["tools/call fake_hello",true,"fake","tools/call","hello",false,0,null]'
mcp_post aaaa0000000000000000000000000003 \
	'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"exit","arguments":{}}}' "$msid"
check "MCP tools/call the target fails: its span, status ERROR and why" \
	"$(mcp_spans aaaa0000000000000000000000000003)" \
	'["tools/call fake_exit",true,"fake","tools/call","exit",false,2,"it exited"]'
stop_gateway
finish
