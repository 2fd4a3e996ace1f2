# Seed 000: after the HTTPRoute and the idle-time policy, the seed's own jq
# query returns the seed's JSON (http1IdleTimeout "1s").
. "$(dirname "$0")/lib.sh"

seed_yaml seeds/base.yaml >"$WORK/base.yaml"
seed_yaml seeds/000-idle.yaml >"$WORK/000.yaml"
start_gateway -c "$WORK" || exit 1

got=$(curl -s http://localhost:15000/config_dump | jq '[.policies[] | select(.policy.frontend != null and .policy.frontend.hTTP != null and .policy.frontend.hTTP.http1IdleTimeout != null)] | .[0]')
json_equal "seed 000 idle-time policy" "$got" "$(cat seeds/000.expected.json)"
finish
