# The bundled loader: `splicegate bpf load` pins the program, its link and
# maps under /sys/fs/bpf/splicegate (mode 0700), `status` shows them with
# map fill and verdict counters, `unload` removes them; each is idempotent
# enough to run twice. Skipped (not failed) when not root.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "  skipped: needs root"
	finish
fi
pin=/sys/fs/bpf/splicegate
"$SG_BIN" bpf unload >/dev/null 2>&1
out=$("$SG_BIN" bpf status 2>&1)
case $out in "not loaded"*) pass "status before load: not loaded" ;; *) fail "status: $out" ;; esac
"$SG_BIN" bpf load >"$WORK/out" 2>&1 && pass "load" || fail "load: $(cat "$WORK/out")"
[ "$(stat -c %a "$pin")" = 700 ] && pass "pin directory mode 0700" ||
	fail "mode $(stat -c %a "$pin")"
for obj in sg_verdict sg_verdict_link socks sock_state verdicts; do
	[ -e "$pin/$obj" ] || fail "missing pin $obj"
done
pass "program, link and maps pinned"
# Readable by root only: a sockmap and its state maps are the gateway's data
# path, and whoever opens them can redirect or read its connections.
modes=$(stat -c '%a %U' "$pin"/* | sort -u)
[ "$modes" = "600 root" ] && pass "every pin is mode 0600, owned by root" || fail "pins: $modes"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
out=$(nobody ls "$pin" 2>&1)
[ $? -ne 0 ] && grep -q "Permission denied" <<<"$out" &&
	pass "a non-root user cannot list the pin directory" || fail "nobody ls: $out"
out=$(nobody cat "$pin/socks" 2>&1)
[ $? -ne 0 ] && grep -q "Permission denied" <<<"$out" &&
	pass "a non-root user cannot open a pinned map" || fail "nobody open: $out"
out=$(nobody "$SG_BIN" bpf status 2>&1)
[ $? -eq 2 ] && grep -q "Permission denied (the pins are root's: run as root)" <<<"$out" &&
	pass "status as a non-root user says it cannot look, not 'not loaded'" ||
	fail "nobody status: $out"
out=$("$SG_BIN" bpf status 2>&1)
grep -q "map socks *0 / [0-9]* entries" <<<"$out" && grep -q "redirect" <<<"$out" &&
	pass "status lists map fill and verdict counters" || fail "status: $out"
"$SG_BIN" bpf load >"$WORK/out" 2>&1
[ -e "$pin/sg_verdict" ] && pass "second load leaves the pins in place" || fail "second load"
"$SG_BIN" bpf unload >/dev/null 2>&1 && [ ! -e "$pin" ] && pass "unload removes the pins" ||
	fail "unload left $(ls "$pin" 2>&1)"
"$SG_BIN" bpf unload >/dev/null 2>&1
[ $? -le 1 ] && pass "unload when nothing is pinned" || fail "second unload"
finish
