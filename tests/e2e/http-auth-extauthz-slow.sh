# A slow authorization service does not slow down the routes it does not
# protect (issue 66's acceptance; `make bench`'s W9 measures it, this is
# its bounded check): one worker, a route behind extAuthz whose HTTP
# service answers each check 100 ms late, and an open route. 300 GETs on
# one keep-alive connection to the open route take T alone; again while
# 32 clients keep requests waiting on the protected route, they take at
# most 2 T + 1 s (a worker that waited for the service would need some
# 30 s: 300 requests behind 10 checks a second). The protected requests
# are all allowed, each after its 100 ms, side by side.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/authlib.sh"

start_backend v1
V1=$BACKEND_PORT
start_backend v2 # the open route's own: what a backend shared with the load costs is not measured
V2=$BACKEND_PORT
u=http://127.0.0.1:8080
authz_server http authz --delay-ms 100
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - routes:
    - name: protected
      matches: [{path: {pathPrefix: /p}}]
      policies:
        extAuthz: {host: 127.0.0.1:$AP, protocol: {http: {}},
                   policies: {http: {requestTimeout: 10s}}}
      backends: [{host: 127.0.0.1:$V1}]
    - name: open
      backends: [{host: 127.0.0.1:$V2}]
YAML
start_engine auto --workers 1 -c "$WORK/cfg.yaml" || finish

# gets URL...: curl's status line for each URL, the bodies dropped.
gets() {
	local args=() url
	for url in "$@"; do args+=(-o /dev/null "$url"); done
	curl -s -w '%{http_code}\n' --max-time 60 "${args[@]}"
}

# open_run: 300 GETs of the open route on one connection; prints seconds
# and the count of 200s.
open_run() {
	local urls=() i t0 t1 n
	for i in $(seq 300); do urls+=("$u/open/$i"); done
	t0=$(date +%s%N)
	n=$(gets "${urls[@]}" | grep -c '^200$')
	t1=$(date +%s%N)
	awk -v ns=$((t1 - t0)) -v n="$n" 'BEGIN { printf "%.3f %d\n", ns / 1e9, n }'
}

hcall "$u/p/x"
check "the protected route: allowed after the service's 100 ms" \
	"$H_CODE $(awk -v t="$H_TIME" 'BEGIN { print (t >= 0.1) }')" "200 1"
read -r alone n <<<"$(open_run)"
check "the open route alone: 300 answered" "$n" 300

# 320 protected requests, 32 at a time (curl --parallel: a connection each).
slow=()
for i in $(seq 320); do slow+=(-o /dev/null "$u/p/$i"); done
curl -s -Z --parallel-max 32 -w '%{http_code}\n' --max-time 60 "${slow[@]}" >"$WORK/codes-slow" &
SLOW=$!
sleep 0.3 # their first checks are waiting
read -r loaded n <<<"$(open_run)"
asked=$(wc -l <"$WORK/authz.log")
wait "$SLOW"
check "the open route while 32 requests wait on the service: 300 answered" "$n" 300
if awk -v a="$alone" -v l="$loaded" 'BEGIN { exit !(l <= 2 * a + 1) }'; then
	pass "... in ${loaded}s against ${alone}s alone (bound 2x + 1 s)"
else
	fail "the open route slowed down: ${loaded}s against ${alone}s alone"
fi
check "the protected requests: all allowed" "$(sort "$WORK/codes-slow" | uniq -c | awk '{ print $1, $2 }')" \
	"320 200"
check "the service was asked while the open route ran (side by side, not one by one)" \
	"$(awk -v n="$asked" 'BEGIN { print (n > 33) }')" 1
finish
