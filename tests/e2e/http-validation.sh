# HTTP/1 strict framing at the edges (issue 15), in every engine: an invalid Host (x/admin, "x, y", "x y", a@x, a bad port) or a TAB or other control character in the request target gets 400 "bad request" and a closed connection with nothing forwarded; Content_Length, Transfer_Encoding, HTTP2-Settings and an h2c Upgrade never reach the backend; HTTP/2 clients get the same Host rules; valid requests are forwarded: Content-Length with trailing whitespace, an extension method (PURGEX), an absolute-form target (the backend gets the origin-form and the target's authority as Host), an HTTP/1.0 request without Host (the backend gets the backend's address as Host) and OPTIONS * (as "OPTIONS *", over HTTP/1 and HTTP/2); a 103 reaches an HTTP/1.1 client but not an HTTP/1.0 one; a response head over 64 KiB is 503 "upstream call failed: invalid response: Message too long".
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

smuggle_scenario <<'PY'
from faultlib import *

backend = int(sys.argv[1])

def echo(raw):
    """The backend's echo of raw (one request on a fresh connection)."""
    c = send_raw(raw)
    r = c.response()
    c.close()
    try:
        return r, json.loads(r.body)
    except ValueError:
        return r, None

def raw_all(raw):
    c = send_raw(raw)
    while c._fill():
        pass
    c.close()
    return c.buf

def main():
    vectors = [
        ("Host x/admin", b"GET / HTTP/1.1\r\nHost: x/admin\r\n\r\n"),
        ("Host 'x, y'", b"GET / HTTP/1.1\r\nHost: x, y\r\n\r\n"),
        ("Host 'x y'", b"GET / HTTP/1.1\r\nHost: x y\r\n\r\n"),
        ("Host a@x", b"GET / HTTP/1.1\r\nHost: a@x\r\n\r\n"),
        ("Host x:8o", b"GET / HTTP/1.1\r\nHost: x:8o\r\n\r\n"),
        ("TAB in the target", b"GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("TAB before the version", b"GET /a\tHTTP/1.1\r\nHost: x\r\n\r\n"),
        ("CTL in the target", b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("absolute-form with userinfo", b"GET http://a@x/ HTTP/1.1\r\nHost: x\r\n\r\n"),
    ]
    for name, raw in vectors:
        refused(name, raw, backend)

    r, e = echo(b"POST /cl HTTP/1.1\r\nHost: x\r\nContent-Length: 5 \r\n\r\nhello")
    report(r.status == 200 and e and e["body_bytes"] == 5,
           "Content-Length: '5 ' is forwarded with its 5 bytes (got %r %r)" % (r, r.body[:120]))
    r, e = echo(b"PURGEX /p HTTP/1.1\r\nHost: x\r\n\r\n")
    report(r.status == 200 and e and e["method"] == "PURGEX",
           "extension method PURGEX is forwarded (got %r %r)" % (r, r.body[:120]))
    r, e = echo(b"GET http://abs.example:8080/a?b=1 HTTP/1.1\r\nHost: other\r\n\r\n")
    report(r.status == 200 and e and e["path"] == "/a?b=1" and e["host"] == "abs.example:8080"
           and e["headers"].get("Host") == ["abs.example:8080"],
           "absolute-form: origin-form and the authority as Host (got %r %r)" % (r, r.body[:200]))
    # HTTP/1.0 allows a request without Host; the HTTP/1.1 request the
    # backend gets must have one (nginx answers 400 to one without).
    for raw in (b"GET /h10 HTTP/1.0\r\n\r\n", b"GET /h10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"):
        r, e = echo(raw)
        report(r.status == 200 and e and e["headers"].get("Host") == ["127.0.0.1:%d" % backend],
               "%r: forwarded with the backend's authority as Host (got %r %r)"
               % (raw, r, r.body[:200]))
    r, e = echo(b"GET /h10 HTTP/1.0\r\nHost: mine.example\r\n\r\n")
    report(r.status == 200 and e and e["headers"].get("Host") == ["mine.example"],
           "HTTP/1.0 with a Host: forwarded with that Host (got %r %r)" % (r, r.body[:200]))
    r, e = echo(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
    report(r.status == 200 and e and e["method"] == "OPTIONS" and e["path"] == "*",
           "OPTIONS * is forwarded as OPTIONS * (got %r %r)" % (r, r.body[:120]))
    r, e = echo(b"POST /drop HTTP/1.1\r\nHost: x\r\nContent_Length: 40\r\n"
                b"Transfer_Encoding: chunked\r\nX_Ok: 1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
                b"Content-Length: 2\r\n\r\nok")
    names = sorted(n.lower() for n in (e or {}).get("headers", {}))
    report(r.status == 200 and e and e["body_bytes"] == 2 and "x_ok" in names
           and not set(names) & {"content_length", "transfer_encoding", "upgrade",
                                 "http2-settings", "connection"},
           "Content_Length, Transfer_Encoding, h2c Upgrade and HTTP2-Settings are dropped "
           "(backend saw %r, %r)" % (names, r))

    got = raw_all(b"GET /e?mode=early103 HTTP/1.0\r\nHost: x\r\n\r\n")
    report(got.startswith(b"HTTP/1.1 200 ") and b" 103 " not in got,
           "no 103 for an HTTP/1.0 client (got %r)" % got[:60])
    c = send_raw(b"GET /e?mode=early103 HTTP/1.1\r\nHost: x\r\n\r\n")
    first = c._line()
    while c._line():
        pass
    r = c.response()
    c.close()
    report(first == b"HTTP/1.1 103 Early Hints" and r.status == 200,
           "an HTTP/1.1 client gets the 103, then the 200 (got %r, %r)" % (first, r))

    want = b"upstream call failed: invalid response: Message too long"
    for size in (70000, 200000):
        c = Conn()
        r = get(c, "/big?mode=bighead&size=%d" % size)
        after = c.after(0.5)
        c.close()
        report(r.status == 503 and r.body == want and r.complete,
               "a response head of %d bytes -> 503 %r (got %r %r, then %s)"
               % (size, want.decode(), r, r.body[:80], after))
    c = Conn()
    r = get(c, "/big?mode=bighead&size=60000")
    c.close()
    report(r.status == 200 and r.body == b"ok", "a 60000-byte head still passes (%r)" % r)
    h2_checks()
    c = Conn()
    r = get(c, "/ok")
    c.close()
    report(r.status == 200 and r.complete, "the gateway keeps serving other clients (%r)" % r)

def h2(*args):
    """curl over h2c (prior knowledge): (status, body); status 0 when the
    stream was reset instead of answered."""
    out = subprocess.run(["curl", "-s", "--max-time", "5", "--http2-prior-knowledge",
                          "-w", "\n%{http_code}"] + list(args) + ["http://127.0.0.1:8080/h2"],
                         capture_output=True).stdout
    body, _, code = out.rpartition(b"\n")
    return int(code or 0), body

def h2_checks():
    for host in ("a@x", "x:8o", "x/admin", "x y"):
        t0 = backend_traffic(backend)
        code, body = h2("-H", "Host: " + host)
        t1 = backend_traffic(backend)
        # nghttp2 resets the stream itself for bytes no authority has
        ok = (code, body) == (400, BAD_REQUEST) or (code == 0 and host in ("x/admin", "x y"))
        report(ok and t1["heads"] == t0["heads"],
               "HTTP/2 :authority %r -> 400 %r, nothing forwarded (got %d %r, %d heads)"
               % (host, BAD_REQUEST.decode(), code, body[:60], t1["heads"] - t0["heads"]))
    want = b"upstream call failed: invalid response: Message too long"
    for size in (70000, 200000):
        code, body = h2("-G", "-d", "mode=bighead", "-d", "size=%d" % size)
        report((code, body) == (503, want), "HTTP/2: a response head of %d bytes -> 503 %r (got %d %r)"
               % (size, want.decode(), code, body[:80]))
    code, body = h2("-X", "OPTIONS", "--request-target", "*")
    e = json.loads(body) if code == 200 else {}
    report(code == 200 and e.get("method") == "OPTIONS" and e.get("path") == "*",
           "HTTP/2 OPTIONS * is forwarded as OPTIONS * (got %d %r)" % (code, body[:120]))

main_guard(main)
PY
