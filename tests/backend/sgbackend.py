#!/usr/bin/python3
"""sgbackend: a scriptable HTTP/1.1 test backend for splicegate end-to-end tests.

Standard library only; runs on Debian's /usr/bin/python3.

Usage:
    sgbackend.py --port N [--host 127.0.0.1] [--name NAME] [--ready-file PATH]
                 [--defaults QUERY] [--retry-simulation] [--verbose]

    --port N          port to listen on; 0 picks a free port.
    --host ADDR       address to bind (default 127.0.0.1; IPv6 literals work).
    --name NAME       backend name: the "pod" field of the echo and the value of
                      the x-backend response header (default "sgbackend").
    --ready-file PATH after bind+listen, the chosen port (decimal, newline) is
                      written to PATH atomically (write temp file + rename), so a
                      test can poll for the file and then connect.
    --defaults QUERY  query parameters (below) every request gets unless it
                      gives them itself, e.g. "responseCode=500" for a
                      backend that fails everything, "delay=50ms" for a
                      slow one (one instance of several behind a Service).
    --retry-simulation
                      paths under /retry/ follow the retry simulation of the
                      Gateway API conformance echo (echo-basic) instead of
                      the uuid/succeedAfter rules below: uuid= and
                      succeedAfter=K are required (400 without); the first K
                      requests with that uuid fail (attempt n <= K), each
                      after delayRetry, with status responseCode when given
                      and otherwise with a reset (RST, as mode=reset); the
                      later ones get the echo (after delay). So
                      succeedAfter=2 means "answers after 2 retries".
    --verbose         log one line per request to stderr (default: silent, so a
                      never-read stderr pipe cannot block the backend).
    --tls CERT KEY    serve HTTPS (HTTP/1.1 by ALPN) with this certificate and
                      key (PEM files); the handshake runs in the connection's
                      thread, 10 s at most.
    --client-ca FILE  with --tls: require a client certificate this CA (PEM)
                      signed; the echo then carries "tls": {"peerCertificates":
                      [the client's certificate as PEM]}, as the conformance
                      echo's does.

    The listening socket uses SO_REUSEADDR. One thread per connection. SIGTERM
    and SIGINT make the process exit with status 0 at once (open connections
    are closed by the kernel).

Connection handling:
    HTTP/1.1 keep-alive and pipelining; HTTP/1.0 keep-alive only when the
    request carries "Connection: keep-alive". "Connection: close" is honoured:
    the response carries "Connection: close" and the server closes after it.
    Request bodies framed by Content-Length or by chunked Transfer-Encoding
    (extensions and trailers accepted and ignored) are always read in full,
    streaming, before anything else happens (delays, faults, response).
    When both Transfer-Encoding and Content-Length are present, chunked wins
    and the connection is closed after the response. A malformed request gets
    400 and the connection is closed. "Expect: 100-continue" on an HTTP/1.1
    request with a body makes the server send "HTTP/1.1 100 Continue" before
    reading the body. Every response (but not the interim 100) carries
    "x-backend: NAME", then one header per "X-Echo-Set-Header: Name: value"
    request header (the Gateway API conformance echo's way of having the
    backend set response headers; Content-Length-framed responses only).
    HEAD gets the same headers as GET (including
    Content-Length) and no body. Status 204 and 304 responses have no body
    and no Content-Length.

Paths (matched on the last path segment, so a forwarded prefix such as
/api/upload works too):
    .../upload  any method: reads the whole request body (Content-Length or
                chunked) streaming and replies JSON {"bytes": N, "sha256": HEX}.
                Query parameters below apply as for any other path.
    .../count?uuid=U
                replies JSON {"uuid": U, "attempts": n}: the number of requests
                with uuid=U seen so far (requests to /count are not counted).
                All other parameters are ignored. 400 without uuid.
    .../requests
                replies JSON {"heads": H, "bad": B, "bytes": N, "last": [...]}:
                what reached this backend so far, to show that a request a
                gateway should have refused was never forwarded. H counts
                request lines read (valid or not), B the requests refused as
                malformed (answered 400), N the bytes received on all
                connections, "last" the last 20 request lines (latin-1). A
                request to /requests is not counted in H, N or "last".
                Parameters are ignored.
    anything else: the echo described below.

Default response body: the Gateway API conformance echo shape, as JSON with
Content-Type application/json and Content-Length:
    {"path": request-target as received (with the query string),
     "host": Host header (or authority of an absolute-form target), "" if none,
     "method": ..., "proto": request version, e.g. "HTTP/1.1",
     "headers": {Name: [values...]}   every request header including Host;
                 names as received (case preserved); repeated headers are
                 grouped case-insensitively under the first spelling seen,
     "namespace": "", "ingress": "", "service": "", "pod": NAME,
     "attempt": n (see uuid below; 0 without uuid),
     "body_bytes": number of request body bytes read}

Query parameters (on any path but /count; unknown parameters are ignored; the
first occurrence of a parameter wins; an invalid value gives 400):
    delay=DUR        sleep DUR before sending anything (headers, or the fault
                     action of a fault mode).
                     DUR is a Go-style duration: 300ms, 1s, 1.5s, 2m, 1m30s,
                     100us, 10ns, 1h; a bare number means seconds.
    responseCode=N   status code of a failing attempt (200..999, default 200).
    uuid=U           attempt counting: every request carrying uuid=U (except
                     /count) increments a counter shared by all connections
                     (thread-safe) once its request has been read in full; the
                     new value n is the request's "attempt" number (1-based).
    succeedAfter=K   with uuid: attempts n < K are *failing*, attempts n >= K
                     *succeed*. Without succeedAfter (or without uuid) every
                     request is failing. "Failing" means: status responseCode,
                     fault modes act, delayRetry applies. "Succeeding" means:
                     status 200, fault modes are ignored (normal response),
                     no delayRetry. So with responseCode=503&succeedAfter=3:
                     503, 503, 200, 200, ...
    delayRetry=DUR   extra sleep (added to delay) applied to every failing
                     attempt, i.e. to every attempt except the succeeding
                     ones. A per-try timeout shorter than DUR therefore times
                     out the failing attempts while the succeeding one answers
                     promptly (subject to delay only).
    header=NAME:VAL  one more response header on a Content-Length framed
                     answer, e.g. "header=Retry-After:6" (URL-encode it).
    size=N           body of N bytes of a deterministic pattern, byte i having
                     the value i % 251, replacing the JSON body; streamed, so
                     N may be many GiB.
    mode=M           one of:
      reset        (fault) read the request, then close with RST (SO_LINGER 0)
                   without sending anything.
      close        (fault) close cleanly (FIN) without sending anything.
      closemid     (fault) send headers with Content-Length N (size=N, default
                   1000) and the first N/2 (floor) pattern bytes, then close
                   cleanly (FIN).
      headreset    (fault) send headers with Content-Length N (size=N, default
                   1000) and no body, wait 300ms (so the head reaches the
                   peer first), then close with RST.
      midreset     (fault) like closemid, but wait 300ms after the first N/2
                   bytes, then close with RST.
      cdreset      (fault) like midreset, but the head has no Content-Length
                   (a close-delimited body: only the close can end it).
      stall        (fault) like closemid, but after the first N/2 bytes keep
                   the connection open, sending nothing, for stall=DUR (default
                   60s; ends early if the peer closes), then close (FIN).
      garbage      (fault) answer with bytes that are not HTTP, then close.
      chunked      chunked response (with "Trailer: x-trailer") of the body
                   (the size=N pattern, or the JSON body without size) in
                   chunks of chunk=C bytes (default 100), then the last chunk
                   with the trailer "x-trailer: yes". An HTTP/1.0 request
                   gets the closedelim framing instead.
      closedelim   no Content-Length and no chunking: headers with
                   "Connection: close", the body (size=N pattern, or the JSON
                   body without size), then close (FIN).
      clte         (response smuggling) a response with both
                   "Content-Length: L" and "Transfer-Encoding: chunked": the
                   chunked body "hello" ("5\r\nhello\r\n0\r\n\r\n"), then
                   SMUGGLED (a whole second response, status 299, header
                   "x-smuggled: yes", body "smuggled"); L counts both. The
                   connection stays open for the next request, so a reader
                   that follows TE and reuses the connection takes SMUGGLED as
                   the next response, and one that follows CL forwards it as
                   body.
      twocl        (response smuggling) a response with "Content-Length: 5"
                   and "Content-Length: L" (L = 5 + len(SMUGGLED)), the body
                   "hello" then SMUGGLED; the connection stays open.
      switch101    (edge) "101 Switching Protocols" (Upgrade: websocket)
                   whatever the request asked, then the connection goes on
                   reading HTTP requests, so /requests counts any request a
                   gateway tunnels after the 101.
      bighead      (edge) a 200 whose head carries "x-big: " and size=N
                   (default 70000) bytes of 'a', body "ok".
      early103     (edge) "103 Early Hints" with a Link header, then the
                   normal response.
      trickle      (edge) headers with Content-Length N (size=N, default 10),
                   then the pattern bytes one at a time, every=DUR apart
                   (default 100ms), the first one DUR after the head; the
                   connection closes after it (or when the peer does).
                   Fault modes act only on failing attempts (see succeedAfter);
                   chunked, closedelim, clte, twocl and the edge modes always
                   apply.
    chunk=C          chunk size for mode=chunked (>= 1, default 100).
    stall=DUR        stall time for mode=stall (default 60s).
    every=DUR        gap between the bytes of mode=trickle (default 100ms).

Order of work for a request: read head, [100 Continue], read body, count the
attempt, sleep delay (+ delayRetry if failing), then fault action or response.
"""

import argparse
import hashlib
import http
import json
import os
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
from email.utils import formatdate
from urllib.parse import parse_qsl, urlsplit

MAX_LINE = 65536          # request line, header line, chunk-size line
MAX_HEADERS = 256         # header (and trailer) lines per request
RECV_SIZE = 262144
DRAIN_SECONDS = 2.0       # lingering close: how long to drain the peer
PATTERN_MOD = 251
PATTERN_PIECE = PATTERN_MOD * 1024
# One extra period so that any PATTERN_PIECE-long window starting at an offset
# below PATTERN_MOD fits.
PATTERN = bytes(range(PATTERN_MOD)) * (PATTERN_PIECE // PATTERN_MOD + 1)
GARBAGE = b"\x00\x01\x02\xffTHIS IS NOT HTTP\r\n\x7f\x80garbage\x00\r\n\r\n"
FAULT_MODES = frozenset({"reset", "close", "closemid", "stall", "garbage",
                         "headreset", "midreset", "cdreset"})
RESET_PAUSE = 0.3         # headreset/midreset: sent bytes arrive before the RST
SMUGGLE_MODES = frozenset({"clte", "twocl"})
EDGE_MODES = frozenset({"switch101", "bighead", "early103", "trickle"})
MODES = FAULT_MODES | SMUGGLE_MODES | EDGE_MODES | {"chunked", "closedelim"}
SWITCH_101 = (b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
              b"Upgrade: websocket\r\n\r\n")
EARLY_103 = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
DEFAULT_BIGHEAD = 70000
# The second response hidden in the clte and twocl bodies.
SMUGGLED = (b"HTTP/1.1 299 Smuggled\r\nContent-Length: 8\r\nx-smuggled: yes\r\n"
            b"\r\nsmuggled")
TRAFFIC_LAST = 20
DEFAULT_FAULT_SIZE = 1000
DEFAULT_CHUNK = 100
DEFAULT_STALL = 60.0
_DUR_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6,
              "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DUR_TERM = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")
_DUR_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_HEX = re.compile(rb"[0-9A-Fa-f]+")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION = re.compile(r"HTTP/1\.[01]")


class BadRequest(Exception):
    """The request cannot be parsed; answered with 400 and a close."""


class PeerGone(Exception):
    """The peer closed the connection in the middle of a request."""


class Shutdown(BaseException):
    """Raised by the SIGTERM/SIGINT handler in the main thread."""


# ---------------------------------------------------------------- utilities

def parse_duration(text):
    """Parse a Go-style duration ("300ms", "1.5s", "1m30s"; bare = seconds)."""
    text = text.strip()
    if _DUR_NUMBER.fullmatch(text):
        return float(text)
    total, pos = 0.0, 0
    while pos < len(text):
        m = _DUR_TERM.match(text, pos)
        if not m:
            raise ValueError("invalid duration %r" % text)
        total += float(m.group(1)) * _DUR_UNITS[m.group(2)]
        pos = m.end()
    if pos == 0:
        raise ValueError("invalid duration %r" % text)
    return total


def parse_int(text, name, lo, hi=None):
    text = text.strip()
    if not text.isdigit() or not text.isascii():
        raise ValueError("%s: not a non-negative integer: %r" % (name, text))
    value = int(text)
    if value < lo or (hi is not None and value > hi):
        raise ValueError("%s: %d out of range" % (name, value))
    return value


def reason_phrase(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def log(ctx, msg):
    if ctx.verbose:
        try:
            sys.stderr.write("%s: %s\n" % (ctx.name, msg))
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


# ------------------------------------------------------------------ bodies

class BytesBody:
    """A body held in memory (the JSON replies)."""

    def __init__(self, data):
        self.data = data
        self.length = len(data)

    def pieces(self, offset, length):
        yield memoryview(self.data)[offset:offset + length]


class PatternBody:
    """N bytes with byte i == i % 251, produced on the fly."""

    def __init__(self, length):
        self.length = length

    def pieces(self, offset, length):
        view = memoryview(PATTERN)
        pos, end = offset, offset + length
        while pos < end:
            n = min(PATTERN_PIECE, end - pos)
            start = pos % PATTERN_MOD
            yield view[start:start + n]
            pos += n


def json_body(obj):
    return BytesBody(json.dumps(obj).encode("ascii") + b"\n")


# ------------------------------------------------------------------ reading

class Traffic:
    """What reached the backend, for /requests; shared by all threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.heads = 0
        self.bad = 0
        self.bytes = 0
        self.last = []

    def received(self, n):
        with self._lock:
            self.bytes += n

    def head(self, line):
        with self._lock:
            self.heads += 1
            self.last = (self.last + [line])[-TRAFFIC_LAST:]

    def refused(self):
        with self._lock:
            self.bad += 1

    def forget(self, line, nbytes):
        """Take a /requests query itself back out of the counts."""
        with self._lock:
            self.heads -= 1
            self.bytes -= nbytes
            if self.last and self.last[-1] == line:
                self.last.pop()

    def snapshot(self):
        with self._lock:
            return {"heads": self.heads, "bad": self.bad, "bytes": self.bytes,
                    "last": list(self.last)}


class Reader:
    """Minimal buffered reader over a socket (no makefile refcount traps)."""

    def __init__(self, sock, traffic=None):
        self.sock = sock
        self.buf = bytearray()
        self.traffic = traffic
        self.consumed = 0           # bytes handed out by readline()

    def _recv(self, limit):
        data = self.sock.recv(limit)
        if data and self.traffic is not None:
            self.traffic.received(len(data))
        return data

    def _fill(self):
        data = self._recv(RECV_SIZE)
        if not data:
            return False
        self.buf += data
        return True

    def readline(self, limit=MAX_LINE):
        """Return one line including its LF; b"" on EOF before any byte."""
        scanned = 0
        while True:
            i = self.buf.find(b"\n", scanned)
            if i >= 0:
                if i + 1 > limit:
                    raise BadRequest("line too long")
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                self.consumed += len(line)
                return line
            if len(self.buf) > limit:
                raise BadRequest("line too long")
            scanned = len(self.buf)
            if not self._fill():
                if self.buf:
                    raise PeerGone()
                return b""

    def read_some(self, limit):
        """Return 1..limit bytes, or b"" on EOF."""
        if self.buf:
            data = bytes(self.buf[:limit])
            del self.buf[:limit]
            return data
        return self._recv(min(limit, RECV_SIZE))

    def read_exact(self, length, sink):
        """Feed exactly length bytes to sink (may be None)."""
        remaining = length
        while remaining > 0:
            data = self.read_some(remaining)
            if not data:
                raise PeerGone()
            if sink is not None:
                sink(data)
            remaining -= len(data)


class Request:
    def __init__(self, method, target, version, headers):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers          # [(name, value)], as received
        self.chunked = False
        self.length = 0
        self.keep_alive = True
        self.body_bytes = 0
        self.sha256 = None
        self.head_bytes = 0             # bytes of the request line and headers
        self.peer_pem = None            # --client-ca: the client's certificate
        split = urlsplit(target) if target != "*" else None
        self.path = split.path if split else "*"
        self.query = split.query if split else ""
        self.host = self.header("host") or (split.netloc if split else "")

    def header(self, name):
        name = name.lower()
        for n, v in self.headers:
            if n.lower() == name:
                return v
        return None

    def header_values(self, name):
        """All comma-separated elements of every header called name."""
        name = name.lower()
        out = []
        for n, v in self.headers:
            if n.lower() == name:
                out.extend(e.strip().lower() for e in v.split(",") if e.strip())
        return out


def read_request_line(reader):
    """Return the request line, or None on a clean EOF between requests."""
    for _ in range(8):      # tolerate a few stray CRLFs between requests
        line = reader.readline()
        if not line:
            return None
        line = line.rstrip(b"\r\n")
        if line:
            return line.decode("latin-1")
    raise BadRequest("too many empty lines")


def read_header_lines(reader):
    headers = []
    for _ in range(MAX_HEADERS + 1):
        line = reader.readline()
        if not line:
            raise PeerGone()
        line = line.rstrip(b"\r\n")
        if not line:
            return headers
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not _TOKEN.fullmatch(name):
            raise BadRequest("malformed header line")
        headers.append((name, value.strip(" \t")))
    raise BadRequest("too many header lines")


def set_framing(req):
    """Work out body framing and keep-alive from the headers."""
    te = req.header_values("transfer-encoding")
    cl = req.header_values("content-length")
    if te:
        if te[-1] != "chunked":
            raise BadRequest("unsupported transfer-encoding")
        req.chunked = True
        if cl:
            req.keep_alive = False
    elif cl:
        if len(set(cl)) != 1 or not cl[0].isdigit() or not cl[0].isascii():
            raise BadRequest("invalid content-length")
        req.length = int(cl[0])
    conn = req.header_values("connection")
    if req.version == "HTTP/1.1":
        req.keep_alive = req.keep_alive and "close" not in conn
    else:
        req.keep_alive = req.keep_alive and "keep-alive" in conn \
            and "close" not in conn


def read_head(reader):
    """Read request line and headers; None on clean EOF."""
    start = reader.consumed
    line = read_request_line(reader)
    if line is None:
        return None
    if reader.traffic is not None:
        reader.traffic.head(line)
    parts = line.split(" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not parts[1] \
            or not _VERSION.fullmatch(parts[2]):
        raise BadRequest("malformed request line")
    req = Request(parts[0], parts[1], parts[2], read_header_lines(reader))
    req.head_bytes = reader.consumed - start
    set_framing(req)
    return req


def wants_continue(req):
    return (req.version == "HTTP/1.1" and (req.chunked or req.length > 0)
            and "100-continue" in req.header_values("expect"))


def read_chunked(reader, sink):
    total = 0
    while True:
        line = reader.readline()
        if not line:
            raise PeerGone()
        size_text = line.split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size_text):
            raise BadRequest("invalid chunk size")
        size = int(size_text, 16)
        if size == 0:
            break
        reader.read_exact(size, sink)
        total += size
        if reader.readline(4).rstrip(b"\r\n"):
            raise BadRequest("missing CRLF after chunk")
    read_header_lines(reader)      # trailers, ignored
    return total


def read_body(conn, reader, req, hashing):
    """Read the whole request body, counting (and maybe hashing) it."""
    if wants_continue(req):
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    hasher = hashlib.sha256() if hashing else None
    sink = hasher.update if hasher else None
    if req.chunked:
        req.body_bytes = read_chunked(reader, sink)
    else:
        reader.read_exact(req.length, sink)
        req.body_bytes = req.length
    if hasher:
        req.sha256 = hasher.hexdigest()


# ------------------------------------------------------------------ writing

def response_head(ctx, status, headers, close=False, req=None):
    lines = ["HTTP/1.1 %d %s" % (status, reason_phrase(status)),
             "Date: " + formatdate(usegmt=True),
             "Server: sgbackend",
             "x-backend: " + ctx.name]
    lines.extend("%s: %s" % kv for kv in headers)
    for hname, wanted in req.headers if req is not None else []:
        if hname.lower() != "x-echo-set-header":
            continue
        name, sep, value = wanted.partition(":")
        if sep and name.strip():
            lines.append("%s: %s" % (name.strip(), value.strip()))
    if close:
        lines.append("Connection: close")
    elif req is not None and req.version == "HTTP/1.0":
        lines.append("Connection: keep-alive")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send_body(conn, body, offset, length):
    for piece in body.pieces(offset, length):
        conn.sendall(piece)


def send_fixed(conn, ctx, req, status, body, ctype, close, extra=None):
    """Content-Length framed response (the default)."""
    bodyless = status in (204, 304)
    headers = [] if bodyless else [("Content-Type", ctype),
                                   ("Content-Length", str(body.length))]
    if extra:
        headers.append(extra)
    head = response_head(ctx, status, headers, close, req)
    if bodyless or req.method == "HEAD":
        conn.sendall(head)
    elif body.length <= 65536:
        conn.sendall(head + b"".join(body.pieces(0, body.length)))
    else:
        conn.sendall(head)
        send_body(conn, body, 0, body.length)


def send_chunked(conn, ctx, req, status, body, ctype, chunk, close):
    headers = [("Content-Type", ctype), ("Transfer-Encoding", "chunked"),
               ("Trailer", "x-trailer")]
    conn.sendall(response_head(ctx, status, headers, close, req))
    if req.method == "HEAD":
        return
    offset = 0
    while offset < body.length:
        n = min(chunk, body.length - offset)
        size_line = b"%x\r\n" % n
        if n <= 65536:
            conn.sendall(b"".join([size_line, *body.pieces(offset, n), b"\r\n"]))
        else:
            conn.sendall(size_line)
            send_body(conn, body, offset, n)
            conn.sendall(b"\r\n")
        offset += n
    conn.sendall(b"0\r\nx-trailer: yes\r\n\r\n")


def send_closedelim(conn, ctx, req, status, body, ctype):
    conn.sendall(response_head(ctx, status, [("Content-Type", ctype)], True))
    if req.method != "HEAD":
        send_body(conn, body, 0, body.length)


def send_partial(conn, ctx, req, status, size, length=None, delimited=False):
    """Headers promising `length` bytes (default size; none said when
    delimited: the close ends the body), then only the first size // 2 of
    them."""
    length = size if length is None else length
    headers = [("Content-Type", "application/octet-stream")]
    if not delimited:
        headers.append(("Content-Length", str(length)))
    conn.sendall(response_head(ctx, status, headers, delimited, req))
    if req.method != "HEAD":
        send_body(conn, PatternBody(length), 0, size // 2)


def send_trickle(conn, ctx, req, status, params):
    """Headers promising size bytes, then one byte every params.every."""
    size = params.size if params.size is not None else 10
    headers = [("Content-Type", "application/octet-stream"),
               ("Content-Length", str(size))]
    conn.sendall(response_head(ctx, status, headers, True, req))
    if req.method == "HEAD":
        return
    body = PatternBody(size)
    try:
        for i in range(size):
            time.sleep(params.every)
            send_body(conn, body, i, 1)
    except OSError:
        return


def send_error(conn, ctx, status, message, close, req=None):
    body = BytesBody((message + "\n").encode("utf-8", "replace"))
    headers = [("Content-Type", "text/plain; charset=utf-8"),
               ("Content-Length", str(body.length))]
    conn.sendall(response_head(ctx, status, headers, close, req) + body.data)


# ------------------------------------------------------------------ closing

def close_gracefully(conn):
    """FIN, then drain what the peer still sends (bounded) so it gets no RST."""
    try:
        conn.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + DRAIN_SECONDS
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            conn.settimeout(remaining)
            if not conn.recv(RECV_SIZE):
                break
    except OSError:
        pass
    finally:
        conn.close()


def close_with_reset(conn):
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    except OSError:
        pass
    conn.close()


def wait_or_peer_close(conn, seconds):
    """Sleep up to seconds, returning early if the peer closes."""
    deadline = time.monotonic() + seconds
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            conn.settimeout(min(remaining, 1.0))
            try:
                if not conn.recv(RECV_SIZE):
                    return
            except socket.timeout:
                pass
    except OSError:
        return


# --------------------------------------------------------------- semantics

class AttemptCounter:
    """Per-uuid attempt counts shared by all connection threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts = {}

    def hit(self, uuid):
        with self._lock:
            n = self._counts.get(uuid, 0) + 1
            self._counts[uuid] = n
            return n

    def get(self, uuid):
        with self._lock:
            return self._counts.get(uuid, 0)


class Params:
    """The query parameters that steer a response."""

    def __init__(self, query):
        q = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            q.setdefault(key, value)
        self.uuid = q.get("uuid") or None
        self.delay = parse_duration(q["delay"]) if "delay" in q else 0.0
        self.delay_retry = (parse_duration(q["delayRetry"])
                            if "delayRetry" in q else 0.0)
        self.response_code = (parse_int(q["responseCode"], "responseCode",
                                        200, 999)
                              if "responseCode" in q else 200)
        self.succeed_after = (parse_int(q["succeedAfter"], "succeedAfter", 0)
                              if "succeedAfter" in q else None)
        self.code_given = "responseCode" in q
        self.size = parse_int(q["size"], "size", 0) if "size" in q else None
        self.chunk = (parse_int(q["chunk"], "chunk", 1)
                      if "chunk" in q else DEFAULT_CHUNK)
        self.stall = (parse_duration(q["stall"])
                      if "stall" in q else DEFAULT_STALL)
        self.every = (parse_duration(q["every"])
                      if "every" in q else 0.1)
        self.header = None
        if "header" in q:
            name, sep, value = q["header"].partition(":")
            if not sep or not name:
                raise ValueError("header= wants NAME:VALUE")
            self.header = (name, value.strip())
        self.mode = q.get("mode") or None
        if self.mode is not None and self.mode not in MODES:
            raise ValueError("unknown mode %r" % self.mode)

    def failing(self, attempt):
        return not (self.uuid is not None and self.succeed_after is not None
                    and attempt >= self.succeed_after)


def last_segment(path):
    return path.rstrip("/").rsplit("/", 1)[-1] if path.startswith("/") else ""


def echo_object(ctx, req, attempt):
    headers, spelling = {}, {}
    for name, value in req.headers:
        key = spelling.setdefault(name.lower(), name)
        headers.setdefault(key, []).append(value)
    obj = {"path": req.target, "host": req.host, "method": req.method,
           "proto": req.version, "headers": headers, "namespace": "",
           "ingress": "", "service": "", "pod": ctx.name,
           "attempt": attempt, "body_bytes": req.body_bytes}
    if req.peer_pem is not None:
        obj["tls"] = {"peerCertificates": [req.peer_pem]}
    return obj


def handle_count(conn, ctx, req):
    uuid = None                    # only uuid matters; first one wins
    for key, value in parse_qsl(req.query, keep_blank_values=True):
        if key == "uuid":
            uuid = value
            break
    close = not req.keep_alive
    if not uuid:
        send_error(conn, ctx, 400, "/count needs uuid=", close, req)
    else:
        body = json_body({"uuid": uuid, "attempts": ctx.counter.get(uuid)})
        send_fixed(conn, ctx, req, 200, body, "application/json", close)
    return not close


def handle_requests(conn, ctx, req):
    ctx.traffic.forget("%s %s %s" % (req.method, req.target, req.version),
                       req.head_bytes)
    close = not req.keep_alive
    send_fixed(conn, ctx, req, 200, json_body(ctx.traffic.snapshot()),
               "application/json", close)
    return not close


def send_smuggling(conn, ctx, req, mode, status):
    """A response whose framing headers disagree (modes clte and twocl)."""
    if mode == "clte":
        body = b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED
        headers = [("Content-Length", str(len(body))),
                   ("Transfer-Encoding", "chunked")]
    else:
        body = b"hello" + SMUGGLED
        headers = [("Content-Length", "5"), ("Content-Length", str(len(body)))]
    head = response_head(ctx, status, [("Content-Type", "text/plain")] + headers,
                         False, req)
    conn.sendall(head if req.method == "HEAD" else head + body)


def run_fault(conn, ctx, req, mode, status, params):
    """Carry out a fault mode; the connection is always finished."""
    if mode == "reset":
        close_with_reset(conn)
        return
    if mode in ("headreset", "midreset", "cdreset"):
        size = params.size if params.size is not None else DEFAULT_FAULT_SIZE
        send_partial(conn, ctx, req, status, 0 if mode == "headreset" else size,
                     size, delimited=mode == "cdreset")
        time.sleep(RESET_PAUSE)
        close_with_reset(conn)
        return
    if mode == "garbage":
        conn.sendall(GARBAGE)
    elif mode in ("closemid", "stall"):
        size = params.size if params.size is not None else DEFAULT_FAULT_SIZE
        send_partial(conn, ctx, req, status, size)
        if mode == "stall":
            wait_or_peer_close(conn, params.stall)
    close_gracefully(conn)


def handle_request(conn, reader, ctx, req):
    """Serve one request; return True to keep the connection open."""
    kind = last_segment(req.path)
    read_body(conn, reader, req, hashing=(kind == "upload"))
    if kind == "count":
        return handle_count(conn, ctx, req)
    if kind == "requests":
        return handle_requests(conn, ctx, req)
    try:
        params = Params(req.query + "&" + ctx.defaults
                        if ctx.defaults else req.query)
    except ValueError as exc:
        send_error(conn, ctx, 400, str(exc), not req.keep_alive, req)
        return req.keep_alive
    simulated = ctx.retry_simulation and req.path.startswith("/retry/")
    if simulated and (params.uuid is None or params.succeed_after is None):
        send_error(conn, ctx, 400, "/retry/ needs uuid= and succeedAfter=",
                   not req.keep_alive, req)
        return req.keep_alive
    attempt = ctx.counter.hit(params.uuid) if params.uuid else 0
    if simulated:
        failing = attempt <= params.succeed_after
    else:
        failing = params.failing(attempt)
    status = params.response_code if failing else 200
    mode = params.mode
    if simulated and failing and not params.code_given:
        mode = "reset"
    if mode in FAULT_MODES and not failing:
        mode = None
    log(ctx, "%s %s attempt=%d -> %d mode=%s" % (
        req.method, req.target, attempt, status, mode))
    wait = params.delay + (params.delay_retry if failing else 0.0)
    if wait > 0:
        time.sleep(wait)
    if mode in FAULT_MODES:
        run_fault(conn, ctx, req, mode, status, params)
        return False
    if mode in SMUGGLE_MODES:
        send_smuggling(conn, ctx, req, mode, status)
        return req.keep_alive
    if mode == "switch101":
        conn.sendall(SWITCH_101)
        return True
    if mode == "bighead":
        size = params.size if params.size is not None else DEFAULT_BIGHEAD
        conn.sendall(response_head(ctx, status, [("x-big", "a" * size),
                                                 ("Content-Length", "2")],
                                   not req.keep_alive, req) + b"ok")
        return req.keep_alive
    if mode == "early103":
        conn.sendall(EARLY_103)
    if mode == "trickle":
        send_trickle(conn, ctx, req, status, params)
        return False
    if params.size is not None:
        body, ctype = PatternBody(params.size), "application/octet-stream"
    elif kind == "upload":
        body = json_body({"bytes": req.body_bytes, "sha256": req.sha256})
        ctype = "application/json"
    else:
        body, ctype = json_body(echo_object(ctx, req, attempt)), \
            "application/json"
    if mode == "chunked" and req.version == "HTTP/1.1":
        send_chunked(conn, ctx, req, status, body, ctype, params.chunk,
                     not req.keep_alive)
        return req.keep_alive
    if mode in ("chunked", "closedelim"):
        send_closedelim(conn, ctx, req, status, body, ctype)
        return False
    send_fixed(conn, ctx, req, status, body, ctype, not req.keep_alive,
               params.header)
    return req.keep_alive


def serve_connection(conn, ctx):
    """Per-connection thread: serve requests until close."""
    if ctx.tls:
        try:
            conn.settimeout(10)
            conn = ctx.tls.wrap_socket(conn, server_side=True)
            conn.settimeout(None)
        except (OSError, ssl.SSLError):
            conn.close()
            return
    reader = Reader(conn, ctx.traffic)
    graceful = True
    peer = None
    if ctx.tls and ctx.tls.verify_mode == ssl.CERT_REQUIRED:
        der = conn.getpeercert(binary_form=True)
        peer = ssl.DER_cert_to_PEM_cert(der) if der else ""
    try:
        while True:
            req = read_head(reader)
            if req is not None:
                req.peer_pem = peer
            if req is None or not handle_request(conn, reader, ctx, req):
                break
    except BadRequest as exc:
        log(ctx, "400: %s" % exc)
        ctx.traffic.refused()
        try:
            send_error(conn, ctx, 400, str(exc), True)
        except OSError:
            pass
    except (PeerGone, OSError):
        graceful = False
    except Exception:       # a bug: log it, never kill the server
        graceful = False
        if ctx.verbose:
            traceback.print_exc()
    finally:
        if conn.fileno() >= 0:
            if graceful:
                close_gracefully(conn)
            else:
                conn.close()


# --------------------------------------------------------------------- main

class Context:
    def __init__(self, name, verbose, defaults="", tls=None,
                 retry_simulation=False):
        self.tls = tls
        self.retry_simulation = retry_simulation
        self.name = name
        self.verbose = verbose
        self.defaults = defaults
        self.counter = AttemptCounter()
        self.traffic = Traffic()


def make_listener(host, port):
    infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC,
                               socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    family, socktype, proto, _, addr = infos[0]
    sock = socket.socket(family, socktype, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(addr)
    sock.listen(512)
    return sock


def write_ready_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def accept_loop(listener, ctx):
    while True:
        try:
            conn, _ = listener.accept()
        except (ConnectionAbortedError, InterruptedError):
            continue
        except OSError:          # e.g. EMFILE: back off, keep serving
            time.sleep(0.05)
            continue
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        threading.Thread(target=serve_connection, args=(conn, ctx),
                         daemon=True).start()


def on_signal(signum, frame):
    raise Shutdown()


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Scriptable HTTP/1.1 test backend (see module docstring).")
    p.add_argument("--port", type=int, required=True,
                   help="port to listen on (0: pick a free one)")
    p.add_argument("--host", default="127.0.0.1", help="bind address")
    p.add_argument("--name", default="sgbackend",
                   help="name reported as pod / x-backend")
    p.add_argument("--ready-file", help="write the bound port here when ready")
    p.add_argument("--defaults", default="",
                   help="query parameters every request gets unless it has them")
    p.add_argument("--retry-simulation", action="store_true",
                   help="/retry/ paths: the conformance echo's retry simulation")
    p.add_argument("--verbose", action="store_true",
                   help="log requests to stderr")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                   help="serve HTTPS with this certificate and key (PEM)")
    p.add_argument("--client-ca", metavar="FILE",
                   help="with --tls: require client certificates this CA signed")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    tls = None
    if args.tls:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls[0], args.tls[1])
        tls.set_alpn_protocols(["http/1.1"])
        if args.client_ca:
            tls.verify_mode = ssl.CERT_REQUIRED
            tls.load_verify_locations(args.client_ca)
    ctx = Context(args.name, args.verbose, args.defaults, tls,
                  args.retry_simulation)
    try:
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        listener = make_listener(args.host, args.port)
        port = listener.getsockname()[1]
        if args.ready_file:
            write_ready_file(args.ready_file, port)
        log(ctx, "listening on %s port %d" % (args.host, port))
        accept_loop(listener, ctx)
    except Shutdown:
        pass
    # Exit without interpreter finalisation: daemon connection threads may be
    # blocked in sleeps or sends, and must not be able to disturb the exit.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


if __name__ == "__main__":
    main()
