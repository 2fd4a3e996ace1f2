# Request smuggling through an unsolicited 101: a backend answering "101 Switching Protocols" to a request that asked for no upgrade gets the client exactly 503 "upstream call failed: invalid response: Protocol error", never a tunnel, so the CL+TE request the client sends next is refused by the gateway (400) and never reaches the backend; an h2c upgrade the gateway does not take is not offered to the backend either (its 101 is a 503 too), while a WebSocket-style upgrade the client asked for is still tunnelled (the control), in every engine; the log names the backend of each 101 refused.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

smuggle_scenario <<'PY'
from faultlib import *
import os

backend = int(sys.argv[1])
WANT = b"upstream call failed: invalid response: Protocol error"
HIDDEN = (b"POST /smuggled HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")

def unsolicited(name, head):
    t0 = backend_traffic(backend)
    c = send_raw(head)
    r = c.response()
    report(r.status == 503 and r.body == WANT and r.complete,
           "%s: the backend's 101 -> 503 %r (got %r %r)" % (name, WANT.decode(), r, r.body[:80]))
    try:
        c.send(HIDDEN)
    except OSError:
        pass
    r2 = c.response()
    after = c.after(2.0)
    c.close()
    time.sleep(0.3)
    t1 = backend_traffic(backend)
    report(not r2.complete or (r2.status == 400 and r2.body == BAD_REQUEST),
           "%s: the CL+TE request after it is the gateway's to refuse (got %r %r)"
           % (name, r2, r2.body[:80]))
    report(t1["heads"] - t0["heads"] == 1 and not any("/smuggled" in l for l in t1["last"]),
           "%s: the backend saw only the first request (%d heads, last %r)"
           % (name, t1["heads"] - t0["heads"], t1["last"][-2:]))

def main():
    unsolicited("no Upgrade asked",
                b"GET /plain?mode=switch101 HTTP/1.1\r\nHost: x\r\n\r\n")
    unsolicited("Upgrade without Connection: upgrade",
                b"GET /noconn?mode=switch101 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n")
    # Not taken by the gateway (a body), so not offered to the backend.
    unsolicited("h2c upgrade the gateway does not take",
                b"POST /h2c?mode=switch101 HTTP/1.1\r\nHost: x\r\n"
                b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nContent-Length: 2\r\n\r\nok")
    # The control: an upgrade the client asked for is a tunnel, and the
    # bytes after it reach the backend (so the counter above would see them).
    t0 = backend_traffic(backend)
    c = send_raw(b"GET /ws?mode=switch101 HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n"
                 b"Upgrade: websocket\r\n\r\n")
    r = c.response()
    c.send(b"GET /tunnelled HTTP/1.1\r\nHost: x\r\n\r\n")
    r2 = c.response()
    c.close()
    time.sleep(0.3)
    t1 = backend_traffic(backend)
    report(r.status == 101 and r2.status == 200 and t1["heads"] - t0["heads"] == 2
           and t1["last"][-1] == "GET /tunnelled HTTP/1.1",
           "an asked-for upgrade is tunnelled (got %r then %r, backend %r)"
           % (r, r2, t1["last"][-2:]))
    with open(os.environ["SG_GW_LOG"], errors="replace") as f:
        named = f.read().count("backend 127.0.0.1:%d sent 101 to a request without Upgrade"
                               % backend)
    report(named == 3, "the log names the backend of each unasked 101 (%d of 3)" % named)
    c = Conn()
    r = get(c, "/ok")
    c.close()
    report(r.status == 200 and r.complete, "the gateway keeps serving other clients (%r)" % r)

main_guard(main)
PY
