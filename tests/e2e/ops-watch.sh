# A watched config directory reloads by itself: a file written in place, a
# file replaced by rename, and a Kubernetes ConfigMap-style `..data` symlink
# swap each take effect within a few seconds; a file being written is read
# only once closed; no change, no reload.
. "$(dirname "$0")/lib.sh"

start_backend w
mkdir -p "$WORK/cm/..v1" "$WORK/cm/..v2"
route() { # PREFIX
	cat <<YAML
binds:
- port: 8080
  listeners:
  - routes:
    - matches: [{path: {pathPrefix: $1}}]
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
YAML
}
route /one >"$WORK/cm/..v1/gw.yaml"
route /two >"$WORK/cm/..v2/gw.yaml"
ln -s ..v1 "$WORK/cm/..data"
ln -s ..data/gw.yaml "$WORK/cm/gw.yaml"
start_gateway -c "$WORK/cm" || exit 1
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:8080$1"; }
until_code() { # PATH WANT: poll up to 5 s
	for _ in $(seq 50); do
		[ "$(code "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
[ "$(code /one)" = 200 ] && pass "initial config" || fail "initial /one"

# The ConfigMap swap: a new ..data symlink renamed over the old one.
ln -s ..v2 "$WORK/cm/..data_tmp"
mv -T "$WORK/cm/..data_tmp" "$WORK/cm/..data"
until_code /two 200 && until_code /one 404 && pass "ConfigMap ..data swap reloads" ||
	fail "after swap: /two $(code /two), /one $(code /one)"

# A plain file written in place.
rm "$WORK/cm/gw.yaml"
route /three >"$WORK/cm/gw.yaml"
until_code /three 200 && pass "file written in place reloads" || fail "/three $(code /three)"

# Replaced by rename, as editors do.
route /four >"$WORK/cm/.gw.yaml.tmp"
mv "$WORK/cm/.gw.yaml.tmp" "$WORK/cm/gw.yaml"
until_code /four 200 && pass "file replaced by rename reloads" || fail "/four $(code /four)"

# Written in place slowly: truncated, then filled 0.6 s later, while the
# watch's timer from the write before runs out and a SIGHUP comes. A reload
# in between would read an empty file and put a config with no listener in
# force.
route /five >"$WORK/cm/gw.yaml"
refused=$(/usr/bin/python3 - "$WORK/cm/gw.yaml" "$GW_PID" <<'PY'
import os, signal, socket, sys, time
path = sys.argv[1]
text = open(path).read().replace("/five", "/six")
time.sleep(0.05)
f = open(path, "w")  # truncated, held open
time.sleep(0.05)
os.kill(int(sys.argv[2]), signal.SIGHUP)
refused = 0
end = time.time() + 0.6
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", 8080), timeout=1).close()
    except OSError:
        refused += 1
    time.sleep(0.02)
f.write(text)
f.close()
print(refused)
PY
)
[ "$refused" = 0 ] && pass "a file being written is not read half-written (watch, SIGHUP)" ||
	fail "listener gone while gw.yaml was being written ($refused connections refused)"
until_code /six 200 && pass "it reloads once closed" || fail "/six $(code /six)"
grep -q "gw.yaml is being written; reloading once it is closed" "$WORK/gateway.log" &&
	pass "the wait is logged" || fail "no log of the wait"

n=$(grep -c "reloaded" "$WORK/gateway.log")
touch "$WORK/cm/gw.yaml"
sleep 0.6
[ "$(grep -c "reloaded" "$WORK/gateway.log")" = "$n" ] && pass "unchanged files: no reload" ||
	fail "touch caused a reload"
finish
