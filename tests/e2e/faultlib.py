"""Raw HTTP/1.1 clients for the fault-* and smuggle-* e2e scenarios.

The bytes a scenario writes reach the gateway exactly as written (sockets,
no HTTP library in between), and what comes back is read the same way, so a
scenario can tell a clean close from a reset, a short body from a whole one,
and one response from two. Standard library only (Debian's /usr/bin/python3).

A scenario's Python prints one line per check: "ok: WHAT" or "FAIL: WHAT";
faultlib.sh turns them into the suite's pass/fail lines.
"""

import hashlib
import socket
import struct
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


def main_guard(fn):
    """Run a scenario's body; an exception is a failed check, not a crash."""
    try:
        fn()
    except Exception as e:      # the scenario must print a FAIL, not die
        report(False, "scenario raised %s: %s" % (type(e).__name__, e))
        sys.exit(0)
