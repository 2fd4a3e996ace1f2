# Seed 004: the retry route's listener, filtered by the seed's jq query,
# shows the per-try timeout and the retry policy exactly as the seed does.
. "$(dirname "$0")/lib.sh"

seed_yaml seeds/base.yaml >"$WORK/base.yaml"
cp seeds/004-retry.yaml "$WORK/004.yaml"
start_gateway -c "$WORK" || exit 1

got=$(curl -s http://localhost:15000/config_dump | jq '[.binds[].listeners | to_entries[] | select(.value.routes | to_entries | any(.value.name == "retry")) | { key: .key, value: (.value | .routes = ((.routes | to_entries | map(select(.value.name == "retry")) | from_entries))) } ] | .[0] | .key as $k | .value as $v | {($k): $v}')
json_equal "seed 004 retry route" "$got" "$(cat seeds/004.expected.json)"
finish
