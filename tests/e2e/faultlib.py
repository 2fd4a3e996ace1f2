"""Raw HTTP/1.1 clients for the fault-* and smuggle-* e2e scenarios.

The bytes a scenario writes reach the gateway exactly as written (sockets,
no HTTP library in between), and what comes back is read the same way, so a
scenario can tell a clean close from a reset, a short body from a whole one,
and one response from two. Standard library only (Debian's /usr/bin/python3).

A scenario's Python prints one line per check: "ok: WHAT" or "FAIL: WHAT";
faultlib.sh turns them into the suite's pass/fail lines.
"""

import hashlib
import json
import socket
import struct
import subprocess
import sys
import threading
import time

GW_PORT = 8080
_PIECE = bytes(range(251))


def pattern(n):
    """sgbackend's size=N body: byte i is i % 251."""
    full, rest = divmod(n, len(_PIECE))
    return _PIECE * full + _PIECE[:rest]


def report(ok, what):
    print(("ok: " if ok else "FAIL: ") + what, flush=True)
    return ok


class Response:
    def __init__(self):
        self.status = None
        self.reason = ""
        self.headers = []          # [(lower-case name, value)] in order
        self.body = b""
        self.complete = False      # the body ended where its framing says
        self.error = None          # why reading stopped early, if it did

    def header(self, name):
        for n, v in self.headers:
            if n == name:
                return v
        return None

    def all(self, name):
        return [v for n, v in self.headers if n == name]

    def __repr__(self):
        return "<%s %s, %d body bytes%s>" % (
            self.status, self.reason, len(self.body),
            "" if self.complete else ", incomplete: %s" % self.error)


class Conn:
    """One client connection to 127.0.0.1:port."""

    def __init__(self, port=GW_PORT, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False
        self.reset = False

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        if self.eof:
            return False
        try:
            d = self.sock.recv(262144)
        except ConnectionResetError:
            self.eof = self.reset = True
            return False
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def _line(self):
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise EOFError("connection closed in a head")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n, resp):
        while len(self.buf) < n:
            if not self._fill():
                resp.body += self.buf
                self.buf = b""
                raise EOFError("connection closed in a body")
        resp.body += self.buf[:n]
        self.buf = self.buf[n:]

    def response(self, head_request=False):
        """Read one final response (1xx are skipped). Never raises on a
        closed or reset connection: the Response says what arrived."""
        resp = Response()
        try:
            while True:
                parts = self._line().decode("latin-1").split(" ", 2)
                resp.status = int(parts[1])
                resp.reason = parts[2] if len(parts) > 2 else ""
                resp.headers = []
                while True:
                    line = self._line()
                    if not line:
                        break
                    k, _, v = line.decode("latin-1").partition(":")
                    resp.headers.append((k.strip().lower(), v.strip()))
                if not 100 <= resp.status < 200 or resp.status == 101:
                    break
            te = (resp.header("transfer-encoding") or "").lower()
            if head_request or resp.status in (101, 204, 304):
                pass
            elif te.endswith("chunked"):
                while True:
                    size = int(self._line().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self._line():
                            pass
                        break
                    self._take(size, resp)
                    if self._line() != b"":
                        raise ValueError("bad chunk end")
            elif resp.header("content-length") is not None:
                self._take(int(resp.header("content-length")), resp)
            else:
                while self._fill():
                    pass
                resp.body, self.buf = self.buf, b""
            resp.complete = True
        except (EOFError, ValueError, IndexError, socket.timeout, OSError) as e:
            resp.error = "%s: %s" % (type(e).__name__, e)
        return resp

    def after(self, wait=1.0):
        """What follows: "extra" (unread bytes), "eof", "reset" or "open"."""
        if self.buf:
            return "extra"
        if self.eof:
            return "reset" if self.reset else "eof"
        self.sock.settimeout(wait)
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            return "open"
        except ConnectionResetError:
            return "reset"
        if d:
            self.buf += d
            return "extra"
        self.eof = True
        return "eof"

    def close(self):
        self.sock.close()

    def abort(self):
        """Close with RST (SO_LINGER 0), as a client that crashed."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def get(conn, path, host="x", extra=b""):
    conn.send(b"GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (path.encode(), host.encode(), extra))
    return conn.response()


def check_good(resp, size):
    """None when resp is sgbackend's 200 with exactly size pattern bytes."""
    if resp.status != 200 or not resp.complete:
        return "got %r" % resp
    if resp.body != pattern(size):
        return "200 but the body differs (%d bytes, sha256 %s)" % (
            len(resp.body), hashlib.sha256(resp.body).hexdigest()[:16])
    return None


def good_once(size=1000, port=GW_PORT):
    """A good request on a fresh connection: None or what went wrong."""
    try:
        c = Conn(port)
        try:
            return check_good(get(c, "/good?size=%d" % size), size)
        finally:
            c.close()
    except OSError as e:
        return "%s: %s" % (type(e).__name__, e)


class GoodLoop(threading.Thread):
    """Another client, served while a fault happens: good requests, one
    after the other, alternating a kept-alive connection and fresh ones, with
    small and large (> 64 KiB: the splice engine's) bodies, each checked for
    200 and the exact body; bounded in count and time."""

    SIZES = (1000, 100000)

    def __init__(self, port=GW_PORT, max_requests=5000, max_seconds=60, pause=0.005):
        super().__init__(daemon=True)
        self.port = port
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.pause = pause
        self.stopping = threading.Event()
        self.done = 0
        self.errors = []

    def run(self):
        deadline = time.monotonic() + self.max_seconds
        keep = None
        i = 0
        while (not self.stopping.is_set() and i < self.max_requests
               and time.monotonic() < deadline):
            size = self.SIZES[i % 2]
            try:
                if i % 4 < 2:
                    keep = keep or Conn(self.port)
                    err = check_good(get(keep, "/good?size=%d" % size), size)
                else:
                    err = good_once(size, self.port)
            except OSError as e:
                err = "%s: %s" % (type(e).__name__, e)
            if err:
                self.errors.append("request %d: %s" % (i, err))
                if keep:
                    keep.close()
                keep = None
            else:
                self.done += 1
            i += 1
            self.stopping.wait(self.pause)
        if keep:
            keep.close()

    def finish(self, what="another client"):
        """Stop, then report: at least 3 requests, every one good."""
        self.stopping.set()
        self.join(self.max_seconds + 10)
        if self.errors:
            return report(False, "%s: %d good, %d bad; first: %s" % (
                what, self.done, len(self.errors), self.errors[0]))
        return report(self.done >= 3, "%s kept being served during the fault "
                      "(%d requests, each 200 with its exact body)" % (what, self.done))


def expect_response(name, resp, status, body, after=None, after_ok=("eof",)):
    """Check status and exact body, and, when given, what followed."""
    why = []
    if resp.status != status:
        why.append("status %s (want %s)" % (resp.status, status))
    if body is not None and resp.body != body:
        why.append("body %r (want %r)" % (resp.body[:200], body))
    if not resp.complete:
        why.append("incomplete: %s" % resp.error)
    if after is not None and after not in after_ok:
        why.append("then %s (want %s)" % (after, " or ".join(after_ok)))
    return report(not why, name + ("" if not why else ": " + "; ".join(why)))


def upstreams(gw_pid, port):
    """The gateway's TCP sockets to 127.0.0.1:port, in any state but
    TIME-WAIT (read with ss, by the gateway's pid)."""
    out = subprocess.run(["ss", "-Htanp", "( dport = :%s )" % port],
                         capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines()
               if "pid=%s," % gw_pid in line and "TIME-WAIT" not in line)


def wait_upstreams(gw_pid, port, want, seconds):
    """Poll until upstreams() == want; returns (final count, seconds taken)."""
    t0 = time.monotonic()
    while True:
        n = upstreams(gw_pid, port)
        took = time.monotonic() - t0
        if n == want or took >= seconds:
            return n, took
        time.sleep(0.05)


# ---- request smuggling and bad input --------------------------------------

BAD_REQUEST = b"bad request"
TOO_LARGE = b"request header fields too large"
URI_TOO_LONG = b"uri too long"
# Put in a body: if a gateway forwarded the outer request and the backend
# read the body differently, the backend would see this as a request too.
INNER = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


def metric(name):
    """The sum of every sample of `name` on :15020/metrics."""
    c = Conn(15020)
    try:
        r = get(c, "/metrics")
    finally:
        c.close()
    total = 0
    for line in r.body.decode().splitlines():
        if line.split("{")[0].split(" ")[0] == name:
            total += float(line.rsplit(" ", 1)[1])
    return total


def backend_traffic(port):
    """sgbackend's /requests: {"heads", "bad", "bytes", "last"}."""
    c = Conn(port)
    try:
        return json.loads(get(c, "/requests").body)
    finally:
        c.close()


def send_raw(raw, pause_after=None):
    """A fresh connection with raw written as is (in two writes, pause
    between, when pause_after is an offset); returns the connection."""
    c = Conn()
    try:
        if pause_after is None:
            c.send(raw)
        else:
            c.send(raw[:pause_after])
            time.sleep(0.3)
            c.send(raw[pause_after:])
    except OSError:
        pass                    # the gateway may have answered and closed
    return c


def refused(name, raw, backend, status=400, body=None, pause_after=None):
    """raw gets status with its exact text/plain body and "connection:
    close", the connection then closes, and not one byte reaches the
    backend."""
    want = body if body is not None else {400: BAD_REQUEST, 414: URI_TOO_LONG}.get(status, TOO_LARGE)
    t0 = backend_traffic(backend)
    c = send_raw(raw, pause_after)
    r = c.response()
    after = c.after(2.0)
    c.close()
    time.sleep(0.1)             # anything forwarded would be there by now
    t1 = backend_traffic(backend)
    why = []
    if (r.status, r.body) != (status, want) or not r.complete:
        why.append("got %r %r (want %d %r)" % (r, r.body[:80], status, want))
    elif (r.header("connection") or "").lower() != "close":
        why.append("no connection: close")
    if after not in ("eof", "reset"):
        why.append("then the connection was %s (want closed)" % after)
    if t1["heads"] != t0["heads"] or t1["bytes"] != t0["bytes"]:
        why.append("the backend saw %d request line(s) (%r), %d bytes" % (
            t1["heads"] - t0["heads"], t1["last"][-1:], t1["bytes"] - t0["bytes"]))
    return report(not why, "%s -> %d %r, closed, nothing forwarded%s" % (
        name, status, want.decode(), "" if not why else ": " + "; ".join(why)))


def forwarded(name, raw, backend, heads=1):
    """The control: raw is a valid request; it gets a 200 and the backend
    sees exactly `heads` request lines (so the counter would see a forward)."""
    t0 = backend_traffic(backend)
    c = send_raw(raw)
    r = c.response()
    c.close()
    time.sleep(0.1)
    t1 = backend_traffic(backend)
    seen = t1["heads"] - t0["heads"]
    return report(r.status == 200 and r.complete and seen == heads,
                  "%s -> 200 and the backend saw %d request line(s) (got %r, %d)"
                  % (name, heads, r, seen))


def smuggle_main(vectors, controls=()):
    """Run a smuggle-* scenario: argv[1] is the backend's port; vectors are
    (name, raw[, status]) tuples; controls are valid requests that must be
    forwarded. Ends with a good request on a fresh connection."""
    backend = int(sys.argv[1])
    forwarded("a valid request (control)", b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n", backend)
    for name, raw in controls:
        forwarded(name, raw, backend)
    for v in vectors:
        refused(v[0], v[1], backend, *v[2:])
    c = Conn()
    r = get(c, "/ok")
    c.close()
    report(r.status == 200 and r.complete, "the gateway keeps serving other clients (%r)" % r)


def main_guard(fn):
    """Run a scenario's body; an exception is a failed check, not a crash."""
    try:
        fn()
    except Exception as e:      # the scenario must print a FAIL, not die
        report(False, "scenario raised %s: %s" % (type(e).__name__, e))
        sys.exit(0)
