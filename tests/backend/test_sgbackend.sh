#!/bin/bash
# Quick self-test of sgbackend.py using curl. Loopback only; every wait is
# bounded. The last line is "N passed, N failed"; exit status 1 on failure.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/sgbackend-test.XXXXXX)
PASS=0
FAIL=0
BPID=

cleanup() {
    if [ -n "$BPID" ] && kill -0 "$BPID" 2>/dev/null; then
        kill "$BPID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

ok()   { PASS=$((PASS + 1)); echo "ok   - $1"; }
nok()  { FAIL=$((FAIL + 1)); echo "FAIL - $1${2:+: $2}"; }
check() { # check NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "expected '$2', got '$3'"; fi
}
c() { curl -s --max-time 10 "$@"; }
# jget FILE EXPR: print a Python expression over the parsed JSON document j.
jget() {
    "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}

# --- start the backend on a free port and wait (bounded) for readiness
"$PY" "$HERE/sgbackend.py" --port 0 --name selftest \
    --ready-file "$TMP/ready" 2>"$TMP/backend.log" &
BPID=$!
for _ in $(seq 100); do
    [ -s "$TMP/ready" ] && break
    sleep 0.1
done
if [ ! -s "$TMP/ready" ]; then
    nok "backend ready" "no ready file after 10s"
    cat "$TMP/backend.log"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi
PORT=$(cat "$TMP/ready")
B="http://127.0.0.1:$PORT"
ok "backend ready on port $PORT"

# --- echo JSON
c -D "$TMP/h" -o "$TMP/echo.json" -H 'X-Test: one' -H 'x-test: two' "$B/echo/path?q=1"
check "echo path"    "/echo/path?q=1" "$(jget "$TMP/echo.json" 'j["path"]')"
check "echo method"  "GET"            "$(jget "$TMP/echo.json" 'j["method"]')"
check "echo proto"   "HTTP/1.1"       "$(jget "$TMP/echo.json" 'j["proto"]')"
check "echo host"    "127.0.0.1:$PORT" "$(jget "$TMP/echo.json" 'j["host"]')"
check "echo pod"     "selftest"       "$(jget "$TMP/echo.json" 'j["pod"]')"
check "echo headers" "['one', 'two']" "$(jget "$TMP/echo.json" 'j["headers"]["X-Test"]')"
check "x-backend header" "1" "$(grep -ci '^x-backend: selftest' "$TMP/h")"

# --- X-Echo-Set-Header: response headers the request asks for
c -D "$TMP/set.h" -o /dev/null -H "X-Echo-Set-Header: X-Header-Set: one" \
    -H "X-Echo-Set-Header: x-other: two words" "$B/set"
check "X-Echo-Set-Header sets response headers" "X-Header-Set: one|x-other: two words" \
    "$(grep -iE '^(x-header-set|x-other):' "$TMP/set.h" | tr -d '\r' | paste -sd'|')"

# --- size=1000: byte count and pattern
c -o "$TMP/size.bin" "$B/?size=1000"
check "size=1000 bytes" "1000" "$(wc -c < "$TMP/size.bin" | tr -d ' ')"
"$PY" -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(1000)))' > "$TMP/expect.bin"
if cmp -s "$TMP/size.bin" "$TMP/expect.bin"; then ok "size=1000 pattern"; else nok "size=1000 pattern"; fi

# --- HEAD: headers only
HEADOUT=$(c -I "$B/?size=1234" | tr -d '\r' | grep -i '^content-length:')
check "HEAD content-length" "Content-Length: 1234" "$HEADOUT"

# --- responseCode + succeedAfter + /count
U="selftest-$$-$RANDOM"
CODES=
for _ in 1 2 3 4; do
    CODES="$CODES$(c -o /dev/null -w '%{http_code}' "$B/retry?uuid=$U&responseCode=503&succeedAfter=3") "
done
check "succeedAfter codes" "503 503 200 200 " "$CODES"
c -o "$TMP/count.json" "$B/count?uuid=$U"
check "count attempts" "4" "$(jget "$TMP/count.json" 'j["attempts"]')"

# --- reset: curl error 52 (empty reply) or 56 (recv failure)
c -o /dev/null "$B/?mode=reset"
RC=$?
if [ "$RC" = 52 ] || [ "$RC" = 56 ]; then ok "reset curl rc=$RC"; else nok "reset" "curl rc=$RC"; fi

# --- reset only before succeedAfter
U2="selftest-reset-$$-$RANDOM"
c -o /dev/null "$B/?mode=reset&uuid=$U2&succeedAfter=2"; RC1=$?
CODE2=$(c -o /dev/null -w '%{http_code}' "$B/?mode=reset&uuid=$U2&succeedAfter=2")
if [ "$RC1" != 0 ] && [ "$CODE2" = 200 ]; then ok "reset then succeed"; else nok "reset then succeed" "rc1=$RC1 code2=$CODE2"; fi

# --- close / closemid / stall (with client timeout)
c -o /dev/null "$B/?mode=close"
check "close curl rc" "52" "$?"
c -o /dev/null "$B/?mode=closemid&size=1000"
check "closemid curl rc" "18" "$?"
curl -s --max-time 1 -o /dev/null "$B/?mode=stall&stall=5s"
check "stall curl rc (timeout)" "28" "$?"
c -D "$TMP/hr.h" -o "$TMP/hr.bin" "$B/?mode=headreset&size=1000"
RC=$?
check "headreset: head, no body, then reset (rc $RC)" "200 0 56" \
    "$(awk 'NR == 1 { print $2 }' "$TMP/hr.h") $(cat "$TMP/hr.bin" 2>/dev/null | wc -c) $RC"
c -D "$TMP/mr.h" -o "$TMP/mr.bin" "$B/?mode=midreset&size=1000"
RC=$?
check "midreset: head, half the body, then reset (rc $RC)" "200 500 56" \
    "$(awk 'NR == 1 { print $2 }' "$TMP/mr.h") $(wc -c <"$TMP/mr.bin") $RC"

# --- chunked response with trailer
# (curl writes decoded trailers to the -D header dump)
c -D "$TMP/ch.h" -o "$TMP/ch.dec" "$B/?mode=chunked&size=1000&chunk=300"
check "chunked transfer-encoding" "1" "$(grep -ci '^transfer-encoding: chunked' "$TMP/ch.h")"
check "chunked trailer present" "1" "$(grep -ci '^x-trailer: yes' "$TMP/ch.h")"
if cmp -s "$TMP/ch.dec" "$TMP/expect.bin"; then ok "chunked body"; else nok "chunked body"; fi
c --raw -o "$TMP/ch.raw" "$B/?mode=chunked&size=1000&chunk=300"
check "chunked raw last chunk + trailer" "|0|x-trailer: yes||" \
    "$(tail -c 22 "$TMP/ch.raw" | tr -d '\r' | tr '\n' '|')"

# --- closedelim
c -o "$TMP/cd.bin" "$B/?mode=closedelim&size=1000"
if cmp -s "$TMP/cd.bin" "$TMP/expect.bin"; then ok "closedelim body"; else nok "closedelim body"; fi

# --- upload: Content-Length and chunked, compared with sha256sum
head -c 2000000 /dev/urandom > "$TMP/up.bin"
WANT=$(sha256sum "$TMP/up.bin" | cut -d' ' -f1)
c -o "$TMP/up1.json" --data-binary @"$TMP/up.bin" "$B/upload"
check "upload sha256 (content-length)" "$WANT" "$(jget "$TMP/up1.json" 'j["sha256"]')"
check "upload bytes" "2000000" "$(jget "$TMP/up1.json" 'j["bytes"]')"
c -o "$TMP/up2.json" -H 'Transfer-Encoding: chunked' -H 'Expect: 100-continue' \
    --data-binary @"$TMP/up.bin" "$B/upload"
check "upload sha256 (chunked, 100-continue)" "$WANT" "$(jget "$TMP/up2.json" 'j["sha256"]')"

# --- keep-alive: two requests over one connection
NCONN=$(c -o /dev/null -o /dev/null -w '%{num_connects}\n' "$B/a" "$B/b" | tr '\n' ' ')
check "keep-alive reuse" "1 0 " "$NCONN"

# --- delay
T=$(c -o /dev/null -w '%{time_total}' "$B/?delay=300ms")
if "$PY" -c "import sys; sys.exit(0 if 0.3 <= float('$T') < 3 else 1)"; then ok "delay=300ms ($T s)"; else nok "delay=300ms" "took $T s"; fi

# --- /requests: what reached the backend (queries to /requests not counted)
c -o "$TMP/r0.json" "$B/requests"
c -o /dev/null "$B/seen/one?x=1"
printf 'BROKEN\r\n\r\n' | "$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.stdin.buffer.read())
while s.recv(65536):
    pass' "$PORT"
c -o "$TMP/r1.json" "$B/requests"
check "/requests heads" "2" "$(( $(jget "$TMP/r1.json" 'j["heads"]') - $(jget "$TMP/r0.json" 'j["heads"]') ))"
check "/requests bad" "1" "$(( $(jget "$TMP/r1.json" 'j["bad"]') - $(jget "$TMP/r0.json" 'j["bad"]') ))"
check "/requests last" "['GET /seen/one?x=1 HTTP/1.1', 'BROKEN']" "$(jget "$TMP/r1.json" 'j["last"][-2:]')"
GOT=$(( $(jget "$TMP/r1.json" 'j["bytes"]') - $(jget "$TMP/r0.json" 'j["bytes"]') ))
if [ "$GOT" -gt 50 ] && [ "$GOT" -lt 200 ]; then ok "/requests bytes ($GOT)"; else nok "/requests bytes" "$GOT"; fi
c -o "$TMP/r2.json" "$B/requests"
check "/requests does not count itself" "$(jget "$TMP/r1.json" 'j')" "$(jget "$TMP/r2.json" 'j')"

# --- clte / twocl: framing headers that disagree, connection kept open
RAW=$(printf 'GET /?mode=clte HTTP/1.1\r\nHost: x\r\n\r\n' | "$PY" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.sendall(sys.stdin.buffer.read())
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except socket.timeout:
    data += b"<open>"
sys.stdout.write(data.split(b"\r\n\r\n", 1)[1].decode())' "$PORT")
check "clte body (chunked hello, smuggled response, still open)" \
    "$(printf '5\r\nhello\r\n0\r\n\r\nHTTP/1.1 299 Smuggled\r\nContent-Length: 8\r\nx-smuggled: yes\r\n\r\nsmuggled<open>')" "$RAW"
curl -s --max-time 5 -D "$TMP/clte.h" -o /dev/null "$B/?mode=clte"
check "clte framing headers" "content-length: 84|transfer-encoding: chunked|" \
    "$(grep -i '^content-length\|^transfer-encoding' "$TMP/clte.h" | tr -d '\r' | tr 'A-Z' 'a-z' | tr '\n' '|')"
curl -s --max-time 5 -D "$TMP/twocl.h" -o /dev/null "$B/?mode=twocl"
check "twocl framing headers" "content-length: 5|content-length: 74|" \
    "$(grep -i '^content-length' "$TMP/twocl.h" | tr -d '\r' | tr 'A-Z' 'a-z' | tr '\n' '|')"

# --- SIGTERM: clean exit 0 within a bounded time
kill -TERM "$BPID"
for _ in $(seq 50); do
    kill -0 "$BPID" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$BPID" 2>/dev/null; then
    nok "SIGTERM exit" "still running after 5s"
else
    wait "$BPID"
    check "SIGTERM exit status" "0" "$?"
fi
BPID=

# --- --retry-simulation: /retry/ as the conformance echo's retry simulation
"$PY" "$HERE/sgbackend.py" --port 0 --name sim --retry-simulation \
    --ready-file "$TMP/sready" 2>"$TMP/sim.log" &
BPID=$!
for _ in $(seq 100); do [ -s "$TMP/sready" ] && break; sleep 0.05; done
SB="http://127.0.0.1:$(cat "$TMP/sready" 2>/dev/null)"
U3="sim-$$-$RANDOM"
CODES=
for _ in 1 2 3 4; do
    CODES="$CODES$(c -o /dev/null -w '%{http_code}' "$SB/retry/x?uuid=$U3&responseCode=503&succeedAfter=2") "
done
check "--retry-simulation: succeedAfter=2 fails 2 times" "503 503 200 200 " "$CODES"
U4="sim-reset-$$-$RANDOM"
c -o /dev/null "$SB/retry/x?uuid=$U4&succeedAfter=1"; RC1=$?
CODE2=$(c -o /dev/null -w '%{http_code}' "$SB/retry/x?uuid=$U4&succeedAfter=1")
if { [ "$RC1" = 52 ] || [ "$RC1" = 56 ]; } && [ "$CODE2" = 200 ]; then
    ok "--retry-simulation: no responseCode resets, then the echo"
else
    nok "--retry-simulation: no responseCode resets, then the echo" "rc1=$RC1 code2=$CODE2"
fi
check "--retry-simulation: no succeedAfter is 400" "400" \
    "$(c -o /dev/null -w '%{http_code}' "$SB/retry/x?uuid=$U4")"
check "--retry-simulation: other paths as before" "503 200 " \
    "$(for _ in 1 2; do c -o /dev/null -w '%{http_code} ' "$SB/other?uuid=$U4-o&responseCode=503&succeedAfter=2"; done)"
T0=$(date +%s%N)
c -o /dev/null "$SB/retry/x?uuid=$U4-d&responseCode=500&succeedAfter=1&delayRetry=300ms"
T1=$(date +%s%N)
c -o /dev/null "$SB/retry/x?uuid=$U4-d&responseCode=500&succeedAfter=1&delayRetry=300ms"
T2=$(date +%s%N)
if [ $(((T1 - T0) / 1000000)) -ge 300 ] && [ $(((T2 - T1) / 1000000)) -lt 300 ]; then
    ok "--retry-simulation: delayRetry on the failing attempt only"
else
    nok "--retry-simulation: delayRetry on the failing attempt only" \
        "$(((T1 - T0) / 1000000)) ms, $(((T2 - T1) / 1000000)) ms"
fi
kill "$BPID" 2>/dev/null
wait "$BPID" 2>/dev/null
BPID=

# --- --tls CERT KEY: the echo over HTTPS
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=t.test \
    -addext subjectAltName=DNS:t.test -keyout "$TMP/t.key" -out "$TMP/t.crt" >/dev/null 2>&1
"$PY" "$HERE/sgbackend.py" --port 0 --name tls --tls "$TMP/t.crt" "$TMP/t.key" \
    --ready-file "$TMP/tready" 2>"$TMP/tls.log" &
BPID=$!
for _ in $(seq 100); do [ -s "$TMP/tready" ] && break; sleep 0.05; done
TP=$(cat "$TMP/tready" 2>/dev/null)
check "--tls: the echo over HTTPS" '{"path":"/t","pod":"tls"}' \
    "$(curl -s --max-time 5 --cacert "$TMP/t.crt" --resolve "t.test:$TP:127.0.0.1" \
        "https://t.test:$TP/t" | jq -c '{path, pod}')"
kill "$BPID" 2>/dev/null
wait "$BPID" 2>/dev/null
BPID=

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
