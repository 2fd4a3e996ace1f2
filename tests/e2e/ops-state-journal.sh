# Durable apply (--state-dir): each apply and delete is logged by resource
# name and journalled before it is answered; after kill -9 the same gateway
# replays the journal on top of its config file, so the applied route
# serves and the deleted one stays deleted (config_dump and `get` agree);
# a torn record (the file cut inside it) and a corrupt one (a flipped byte)
# are reported with their number and byte offset, the records before them
# replayed and the bad bytes set aside in journal.bad.*, and applies after
# that survive the next restart; --reset-state starts from the file alone,
# the journal set aside; an empty state directory starts from the file;
# at start, bodies applied again since (40 applies of one route) are
# compacted out of the journal, which then replays to the same routes; a
# state directory others may write is refused, and a journal that is a
# symbolic link is never followed (the file it names stays whole).
. "$(dirname "$0")/lib.sh"

start_backend one
ONE=$BACKEND_PORT
STATE=$WORK/state
route() { httproute_yaml "$1" "$2" one "$ONE"; } # NAME PATH
{
	gateway_yaml
	service_yaml one "$ONE"
} >"$WORK/gw.yaml"
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:8080$1"; }
routes() { curl -s http://127.0.0.1:15000/config_dump | jq -c '[.binds[].listeners[].routes[].name] | sort'; }
# restart [ARGS...]: kill -9 the gateway, start it again on the same files.
restart() {
	crash_gateway
	start_engine copy -c "$WORK/gw.yaml" --state-dir "$STATE" "$@"
}

start_engine copy -c "$WORK/gw.yaml" --state-dir "$STATE" || finish
grep -q "$STATE/journal: 0 changes replayed on top of the config files" "$WORK/gateway.log" &&
	pass "an empty state directory: the config file alone" || fail "first start: $(tail -3 "$WORK/gateway.log")"
check "the journal is the gateway's alone" "$(stat -c '%a' "$STATE" "$STATE/journal" | tr '\n' ' ')" "700 600 "
route r1 /one | "$SG_BIN" apply -f- >/dev/null
route r2 /two | "$SG_BIN" apply -f- >/dev/null
route r2 /deux | "$SG_BIN" apply -f- >/dev/null
route r3 /three | "$SG_BIN" apply -f- >/dev/null
"$SG_BIN" delete httproute r3 -n e2e >/dev/null
check "log: each change by resource name" \
	"$(grep -oE '(apply|delete): httproute e2e/r[0-9] [a-z]+' "$WORK/gateway.log" | tr '\n' ',')" \
	"apply: httproute e2e/r1 created,apply: httproute e2e/r2 created,apply: httproute e2e/r2 configured,apply: httproute e2e/r3 created,delete: httproute e2e/r3 deleted,"
check "before: r1, r2 (/deux) in force" "$(routes) $(status /one) $(status /deux) $(status /three)" \
	'["r1","r2"] 200 200 404'

restart || finish
check "after kill -9 and a restart: the same routes" \
	"$(routes) $(status /one) $(status /two) $(status /deux) $(status /three)" \
	'["r1","r2"] 200 404 200 404'
grep -q "$STATE/journal: 5 changes replayed on top of the config files" "$WORK/gateway.log" &&
	pass "5 changes replayed" || fail "replay: $(grep -i journal "$WORK/gateway.log")"
grep -q 'replayed delete: httproute e2e/r3 deleted' "$WORK/gateway.log" &&
	pass "the replay logs each change by name" || fail "no replayed lines"
check "get agrees" "$("$SG_BIN" get httproute -n e2e -o json | jq -c '[.items[].metadata.name]')" \
	'["r1","r2"]'

# A torn record: the last one cut 10 bytes short (a crash while writing).
route r4 /four | "$SG_BIN" apply -f- >/dev/null
size=$(stat -c %s "$STATE/journal")
last=$(grep -boa 'splicegate-journal v1' "$STATE/journal" | tail -1 | cut -d: -f1)
truncate -s $((size - 10)) "$STATE/journal"
restart || finish
grep -qF "$STATE/journal: record 6 at byte $last is torn: the file ends inside its body; the 5 records before it are replayed, the $((size - 10 - last)) bytes from there are set aside in $STATE/journal.bad." \
	"$WORK/gateway.log" && pass "a torn record is reported with its number and byte offset" ||
	fail "torn: $(grep -i journal "$WORK/gateway.log")"
check "the valid prefix is in force, the torn change is not" \
	"$(routes) $(status /one) $(status /deux) $(status /four)" '["r1","r2"] 200 200 404'
check "the torn bytes are kept aside" "$(cat "$STATE"/journal.bad.* | wc -c)" $((size - 10 - last))
check "the journal now ends where the valid records do" "$(stat -c %s "$STATE/journal")" "$last"

# A corrupt record: one byte of the second record's body changed.
route r5 /five | "$SG_BIN" apply -f- >/dev/null
second=$(grep -boa 'splicegate-journal v1' "$STATE/journal" | sed -n 2p | cut -d: -f1)
printf 'X' | dd of="$STATE/journal" bs=1 seek=$((second + 80)) conv=notrunc status=none
restart || finish
grep -qF "$STATE/journal: record 2 at byte $second is corrupt: its checksum does not match; the 1 records before it are replayed" \
	"$WORK/gateway.log" && pass "a corrupt record is reported with its number and byte offset" ||
	fail "corrupt: $(grep -i journal "$WORK/gateway.log")"
check "only the record before it is in force" "$(routes)" '["r1"]'
route r6 /six | "$SG_BIN" apply -f- >/dev/null
restart || finish
check "an apply after the cut survives the next restart" "$(routes) $(status /six)" '["r1","r6"] 200'

# --reset-state: the config file alone; the journal set aside.
restart --reset-state || finish
check "--reset-state: the config file alone" "$(routes) $(status /one)" '[] 404'
ls "$STATE"/journal.old.* >/dev/null 2>&1 && pass "the old journal is set aside" ||
	fail "no journal.old.*: $(ls "$STATE")"
route r7 /seven | "$SG_BIN" apply -f- >/dev/null
restart || finish
check "after --reset-state, new applies are journalled again" "$(routes)" '["r7"]'

# Compaction: a body applied again and again (as a controller does) is
# kept only as the store keeps it, first and last; a delete is kept.
route r8 /eight | "$SG_BIN" apply -f- >/dev/null
"$SG_BIN" delete httproute r8 -n e2e >/dev/null
for i in $(seq 40); do
	route r7 "/seven$i" | "$SG_BIN" apply -f- >/dev/null
done
restart || finish
grep -q "$STATE/journal: 43 changes replayed on top of the config files" "$WORK/gateway.log" &&
	grep -q "$STATE/journal: compacted: 3 of 43 records kept" "$WORK/gateway.log" &&
	pass "43 records replayed, then compacted to 3" ||
	fail "compaction: $(grep -i journal "$WORK/gateway.log")"
check "the same routes after compaction" "$(routes) $(status /seven40) $(status /seven1)" \
	'["r7"] 200 404'
restart || finish
grep -q "$STATE/journal: 3 changes replayed on top of the config files" "$WORK/gateway.log" &&
	pass "the compacted journal replays 3 records" || fail "after compaction: $(grep -i journal "$WORK/gateway.log")"
check "and gives the same routes" "$(routes) $(status /seven40) $(status /eight)" '["r7"] 200 404'
stop_gateway

# A state directory others may write is refused, and a journal that is a
# link is never followed: the gateway (root) replayed such a link to
# another file (here a stand-in for /etc/passwd) as a corrupt journal,
# copied it aside and truncated it to nothing.
EVIL=$WORK/evil
mkdir "$EVIL" && chmod 777 "$EVIL"
printf 'root:x:0:0::/root:/bin/sh\n' >"$WORK/passwd"
ln -s "$WORK/passwd" "$EVIL/journal"
# refused_start WANT: the gateway, started on $EVIL, exits 2 saying WANT.
refused_start() {
	timeout 10 "$SG_BIN" -c "$WORK/gw.yaml" --state-dir "$EVIL" >"$WORK/evil.log" 2>&1
	check "exit status" "$?" 2
	grep -qF -- "$1" "$WORK/evil.log" && pass "refused: $1" || fail "want \"$1\": $(cat "$WORK/evil.log")"
	check "the linked file is whole" "$(cat "$WORK/passwd")" "root:x:0:0::/root:/bin/sh"
}
refused_start "--state-dir: state directory $EVIL: writable by others (mode 0777), who could put files in it; chmod go-w it or choose another"
chmod 700 "$EVIL"
refused_start "--state-dir: $EVIL/journal: a symbolic link, refused: the journal is a file of its own"
finish
