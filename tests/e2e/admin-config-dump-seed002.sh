# Seed 002: the TCP keepalive policy and, in a second run, the HTTP
# keepalive policy (same name, as the seed applies it) dump as the seed shows.
. "$(dirname "$0")/lib.sh"

seed_yaml seeds/base.yaml >"$WORK/base.yaml"

cp seeds/002-tcp.yaml "$WORK/002.yaml"
start_gateway -c "$WORK" || exit 1
got=$(curl -s http://localhost:15000/config_dump | jq '[.policies[] | select(.policy.frontend != null and .policy.frontend.tCP != null and .policy.frontend.tCP.keepalives != null)] | .[0]')
json_equal "seed 002 TCP keepalive policy" "$got" "$(cat seeds/002-tcp.expected.json)"
stop_gateway

cp seeds/002-http.yaml "$WORK/002.yaml"
start_gateway -c "$WORK" || exit 1
got=$(curl -s http://localhost:15000/config_dump | jq '[.policies[] | select(.policy.frontend != null and .policy.frontend.hTTP != null and .policy.frontend.hTTP.http2KeepaliveInterval != null)] | .[0]')
json_equal "seed 002 HTTP keepalive policy" "$got" "$(cat seeds/002-http.expected.json)"
finish
