#!/usr/bin/python3
"""h2backend: an HTTP/2 cleartext (prior knowledge) test backend for splicegate.

Debian's /usr/bin/python3 with python3-h2 (h2, hpack, hyperframe); one asyncio
loop, so a slow stream (delay=) never holds up another one.

Usage:
    h2backend.py --port N [--host 127.0.0.1] [--name NAME] [--ready-file PATH]
                 [--max-streams N] [--window N] [--verbose]

    --port N          port to listen on; 0 picks a free one.
    --host ADDR       address to bind (default 127.0.0.1).
    --name NAME       backend name: the "backend" field of the echo and the value
                      of the x-backend-name response header (default h2backend).
    --ready-file PATH after listen, the port (decimal, newline) is written to
                      PATH atomically (temp file + rename).
    --max-streams N   SETTINGS_MAX_CONCURRENT_STREAMS advertised (default 100).
    --window N        SETTINGS_INITIAL_WINDOW_SIZE advertised, and the
                      connection window raised to it (default 65535, the
                      protocol's default: the peer must honour small windows).
    --verbose         also log one line per request.
    --tls CERT KEY    serve TLS with this certificate and key (PEM files),
                      offering h2 and http/1.1 by ALPN; the bytes inside are
                      read as in clear text (HTTP/2 preface or HTTP/1 head).

    One line per connection goes to stdout whatever --verbose says:
        h2backend NAME: connection 3 from 127.0.0.1:40112: HTTP/2 preface
        h2backend NAME: connection 3 closed: 25 streams
    or, for a connection that did not open with the HTTP/2 client preface,
        h2backend NAME: connection from 127.0.0.1:40114: no HTTP/2 preface (HTTP/1: 'GET /stats HTTP/1.1')
    An unexpected exception is logged with "h2backend NAME: BUG:" and its
    traceback, and counted in /stats "errors" (a test may assert 0).
    SIGTERM and SIGINT exit at once with status 0.

Connections:
    A connection that opens with the 24-byte HTTP/2 client preface
    ("PRI * HTTP/2.0...") is served as HTTP/2 and numbered 1, 2, ... in
    arrival order (its "serial"). Anything else is read as one HTTP/1.x request
    head, served only for GET/HEAD .../stats and .../count (so a test can ask
    with plain curl without adding an HTTP/2 connection to the counts) and
    answered 505 "h2backend speaks HTTP/2 only (prior knowledge)" otherwise;
    HTTP/1 connections are closed after one response.
    Request bodies are acknowledged (WINDOW_UPDATE) as they arrive; response
    bodies are sent as the peer's connection and stream windows and its
    SETTINGS_MAX_FRAME_SIZE allow. A stream the peer resets is dropped. A
    GOAWAY from the peer with NO_ERROR lets the streams in flight finish (its
    last-stream-id is about streams we would have pushed, which we never do),
    then the connection is closed; with an error code it is closed at once.

Paths (matched on the last path segment, so /prefix/stats works too):
    .../stats   JSON {"connections": N, "open": O, "streams": M,
                "peak_streams": P, "http1_connections": H, "refused": R,
                "goaways": G, "errors": E}: HTTP/2 connections that sent the
                preface (ever), those still open, request streams received on
                them (every path, /stats too), the most streams in flight on
                one connection at once, connections without the preface
                (but for those that asked for /stats or /count),
                streams refused (RST_STREAM REFUSED_STREAM) because of our
                GOAWAY (goaway=refuse's own stream included), GOAWAYs we
                sent, and bugs (exceptions) seen.
    .../count?uuid=U
                JSON {"uuid": U, "attempts": n}: requests with uuid=U seen.
    gRPC:       path /echo.Echo/<anything> or a content-type starting with
                application/grpc (see below).
    anything else: the echo.

Echo (content-type application/json): {"method", "path" (:path with query),
    "authority", "scheme", "headers": [[name, value], ...] (regular request
    headers in order, names as received, i.e. lower case; pseudo-headers are
    the fields above), "trailers": [[name, value], ...], "body_bytes",
    "sha256" (of the request body), "connection" (serial), "stream" (id),
    "http2": true, "backend": NAME, "attempt" (see uuid, else 0)}.
    Every response, gRPC ones too, carries x-backend-name: NAME,
    x-backend-connection: serial and x-backend-stream: stream id.
    HEAD gets GET's headers (content-length included) and no body; 204 and
    304 get neither body nor content-length.

Query parameters (first occurrence wins; a bad value gives 400):
    status=N         status of a failing attempt (200..999, default 200);
                     responseCode=N is the same (sgbackend's name).
    uuid=U, succeedAfter=K
                     as sgbackend: each request with uuid=U counts an attempt n
                     once its request is read in full; attempts n < K are
                     "failing" (status N, goaway and delayRetry act), n >= K
                     succeed (200, no goaway). Without both, every request is
                     "failing", i.e. status=, goaway= always act.
    delay=DUR        wait DUR (Go-style: 300ms, 1s, 1.5s; bare number =
                     seconds) before answering; delayRetry=DUR adds DUR on
                     failing attempts.
    size=N           the body is N bytes of sgbackend's pattern (byte i is
                     i % 251) instead of the echo (application/octet-stream).
    trailers=1       the response ends with trailers x-trailer-one: 1 and
                     x-trailer-two: two (announced by "trailer:"); not on HEAD,
                     204 or 304.
    goaway=1         GOAWAY (NO_ERROR) with last-stream-id = this stream's id,
                     sent once the request is read (before delay=), then this
                     stream is answered as usual. Streams below it that are in
                     flight finish too; streams above it (sent before the peer
                     saw the GOAWAY) get RST_STREAM REFUSED_STREAM, which
                     RFC 9113 section 8.7 says the peer may retry anywhere;
                     when the last stream at or below it is answered the
                     connection is closed (FIN after the last byte, then the
                     peer's remaining bytes are read for up to 2 s). So the
                     answered stream is not above last-stream-id, which a
                     peer would otherwise be entitled to retry although it
                     got an answer. /stats counts the GOAWAY and the refusals.
    goaway=refuse    GOAWAY (NO_ERROR) with last-stream-id = this stream's id
                     - 2 (0 for the first stream): this stream is "never
                     processed" and is not answered (and gets RST_STREAM
                     REFUSED_STREAM); the peer should take it to a new
                     connection. The attempt is counted all the same, so with
                     uuid=U&succeedAfter=2 the retry succeeds.

gRPC (path /echo.Echo/..., or any path with content-type application/grpc*):
    The request body is read as length-prefixed messages (1 byte compressed
    flag, 4 bytes big-endian length, the message). The answer: :status 200,
    content-type application/grpc, the same messages (same flags) in the same
    framing, then trailers grpc-status: 0, grpc-message: OK.
    Request headers:
    x-grpc-fail: N   trailers-only answer (one HEADERS frame with END_STREAM:
                     :status 200, content-type, grpc-status N, grpc-message
                     "x-grpc-fail%20asked%20for%20this").
    x-grpc-repeat: K each message is echoed K times (server streaming: K
                     DATA frames per message, default 1, at most 10000).
    x-grpc-interval: DUR
                     wait DUR before each echoed message after the first.
    x-grpc-echo-metadata: 1
                     the response head carries x-echo-metadata: the request's
                     regular headers (its metadata) as JSON [[name, value],
                     ...], in order, as the echo's "headers".
    Framing that does not add up (a partial message at the end) gives a
    trailers-only answer with grpc-status 13 (INTERNAL). The query parameters
    above apply too (delay=, uuid=, goaway=); a failing attempt whose status
    is not 200 gets that HTTP status, no body, no grpc-status.
"""

import argparse
import asyncio
import hashlib
import json
import os
import re
import signal
import socket
import ssl
import struct
import sys
import traceback
from urllib.parse import parse_qsl, quote

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
from h2.connection import ConnectionState
from hyperframe.frame import GoAwayFrame

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
H1_HEAD_MAX = 65536
LINGER_SECONDS = 2.0          # after our FIN, how long to read what the peer sends
PATTERN_MOD = 251
PATTERN_PIECE = PATTERN_MOD * 256
PATTERN = bytes(range(PATTERN_MOD)) * (PATTERN_PIECE // PATTERN_MOD + 1)
GRPC_BODY_MAX = 64 << 20      # gRPC request bodies are kept whole: a bound
GRPC_REPEAT_MAX = 10000
_DUR_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
              "h": 3600.0}
_DUR_TERM = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|ms|s|m|h)")
_DUR_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")


# ---------------------------------------------------------------- utilities

def parse_duration(text):
    """Go-style duration ("300ms", "1.5s", "1m30s"); a bare number = seconds."""
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
    if not text.isascii() or not text.isdigit():
        raise ValueError("%s: not a non-negative integer: %r" % (name, text))
    value = int(text)
    if value < lo or (hi is not None and value > hi):
        raise ValueError("%s: %d out of range" % (name, value))
    return value


def last_segment(path):
    path = path.split("?", 1)[0]
    return path.rstrip("/").rsplit("/", 1)[-1] if path.startswith("/") else ""


def pattern_pieces(length):
    """The size=N body: byte i is i % 251, as memoryview pieces."""
    view = memoryview(PATTERN)
    pos = 0
    while pos < length:
        n = min(PATTERN_PIECE - PATTERN_MOD, length - pos)
        start = pos % PATTERN_MOD
        yield view[start:start + n]
        pos += n


def grpc_frame(flag, payload):
    return struct.pack(">BI", flag, len(payload)) + payload


def grpc_split(body):
    """[(flag, payload)] of a gRPC body; ValueError when it does not add up."""
    out, pos = [], 0
    while pos < len(body):
        if len(body) - pos < 5:
            raise ValueError("a partial gRPC message header at byte %d" % pos)
        flag, length = struct.unpack_from(">BI", body, pos)
        pos += 5
        if len(body) - pos < length:
            raise ValueError("gRPC message of %d bytes cut short" % length)
        out.append((flag, body[pos:pos + length]))
        pos += length
    return out


def grpc_message(text):
    """grpc-message's percent-encoding (gRPC's PROTOCOL-HTTP2.md)."""
    return quote(text, safe="!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~")


class Params:
    """The query parameters that steer an answer."""

    def __init__(self, query):
        q = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            q.setdefault(key, value)
        self.uuid = q.get("uuid") or None
        self.delay = parse_duration(q["delay"]) if "delay" in q else 0.0
        self.delay_retry = (parse_duration(q["delayRetry"])
                            if "delayRetry" in q else 0.0)
        code = q.get("status", q.get("responseCode"))
        self.status = (parse_int(code, "status", 200, 999)
                       if code is not None else 200)
        self.succeed_after = (parse_int(q["succeedAfter"], "succeedAfter", 0)
                              if "succeedAfter" in q else None)
        self.size = parse_int(q["size"], "size", 0) if "size" in q else None
        self.trailers = q.get("trailers") in ("1", "true", "yes")
        self.goaway = q.get("goaway") or None
        if self.goaway not in (None, "1", "refuse"):
            raise ValueError("goaway: expected 1 or refuse, got %r" % self.goaway)

    def failing(self, attempt):
        return not (self.uuid is not None and self.succeed_after is not None
                    and attempt >= self.succeed_after)


# ----------------------------------------------------------------- shared

class Backend:
    """State shared by all connections (one asyncio loop: no locks)."""

    def __init__(self, args):
        self.name = args.name
        self.verbose = args.verbose
        self.max_streams = args.max_streams
        self.window = args.window
        self.counts = {}
        self.serial = 0
        self.stats = {"connections": 0, "open": 0, "streams": 0,
                      "peak_streams": 0, "http1_connections": 0, "refused": 0,
                      "goaways": 0, "errors": 0}

    def log(self, msg):
        try:
            sys.stdout.write("h2backend %s: %s\n" % (self.name, msg))
            sys.stdout.flush()
        except (OSError, ValueError):
            pass

    def bug(self, where):
        self.stats["errors"] += 1
        self.log("BUG: %s\n%s" % (where, traceback.format_exc().rstrip()))

    def hit(self, uuid):
        n = self.counts.get(uuid, 0) + 1
        self.counts[uuid] = n
        return n

    def count_reply(self, query):
        uuid = None
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key == "uuid":
                uuid = value
                break
        if not uuid:
            return None
        return {"uuid": uuid, "attempts": self.counts.get(uuid, 0)}


class Stream:
    """One request stream; owned by its Conn's streams dict."""

    def __init__(self, sid, headers):
        self.id = sid
        self.pseudo = {}
        self.headers = []
        for name, value in headers:
            name = name.decode("latin-1")
            value = value.decode("latin-1")
            if name.startswith(":"):
                self.pseudo.setdefault(name, value)
            else:
                self.headers.append([name, value])
        self.trailers = []
        self.body_bytes = 0
        self.sha = hashlib.sha256()
        self.keep = self.header("content-type").startswith("application/grpc") \
            or self.pseudo.get(":path", "").startswith("/echo.Echo/")
        self.body = bytearray()
        self.too_big = False
        self.task = None
        self.done = False

    def header(self, name):
        for n, v in self.headers:
            if n == name:
                return v
        return ""

    def data(self, chunk):
        self.body_bytes += len(chunk)
        self.sha.update(chunk)
        if self.keep:
            if len(self.body) + len(chunk) > GRPC_BODY_MAX:
                self.too_big = True
            else:
                self.body += chunk


class StreamGone(Exception):
    """The stream was reset or the connection lost while answering."""


# -------------------------------------------------------------- connection

class Conn(asyncio.Protocol):
    """One accepted connection: HTTP/2 after the preface, else one HTTP/1 answer."""

    def __init__(self, backend):
        self.b = backend
        self.loop = asyncio.get_running_loop()
        self.transport = None
        self.peer = "?"
        self.mode = None          # None (sniffing), "h2", "h1", "closing"
        self.buf = b""
        self.h2 = None
        self.serial = 0
        self.streams = {}
        self.nstreams = 0
        self.waiters = {}         # stream id -> [future]: flow-control window
        self.writable = None      # None, or a future while the transport is paused
        self.goaway_last = None   # our GOAWAY's last-stream-id
        self.peer_goaway = False
        self.lost = False

    # ---- asyncio callbacks

    def connection_made(self, transport):
        self.transport = transport
        peer = transport.get_extra_info("peername")
        if peer:
            self.peer = "%s:%s" % (peer[0], peer[1])
        sock = transport.get_extra_info("socket")
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass

    def data_received(self, data):
        try:
            if self.mode == "h2":
                self.h2_input(data)
            elif self.mode is None:
                self.sniff(data)
            elif self.mode == "h1":
                self.h1_input(data)
            # "closing": the peer's late bytes are read and dropped
        except Exception:
            self.b.bug("connection %d from %s" % (self.serial, self.peer))
            self.abort()

    def eof_received(self):
        if self.mode == "h1" and self.buf:
            self.b.log("connection from %s: HTTP/1 head cut short" % self.peer)
        return False              # close our side too

    def connection_lost(self, exc):
        self.lost = True
        if self.mode in ("h2", "closing") and self.serial:
            self.b.stats["open"] -= 1
            self.b.log("connection %d closed: %d streams" % (self.serial, self.nstreams))
        for st in list(self.streams.values()):
            if st.task is not None and not st.task.done():
                st.task.cancel()
        self.streams.clear()
        self.wake_all()
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    def pause_writing(self):
        if self.writable is None or self.writable.done():
            self.writable = self.loop.create_future()

    def resume_writing(self):
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    # ---- sniffing: the HTTP/2 preface or an HTTP/1 head

    def sniff(self, data):
        self.buf += data
        n = min(len(self.buf), len(PREFACE))
        if self.buf[:n] != PREFACE[:n]:
            self.mode = "h1"
            data, self.buf = self.buf, b""
            self.h1_input(data)
            return
        if n < len(PREFACE):
            return
        self.mode = "h2"
        self.b.serial += 1
        self.serial = self.b.serial
        self.b.stats["connections"] += 1
        self.b.stats["open"] += 1
        self.b.log("connection %d from %s: HTTP/2 preface" % (self.serial, self.peer))
        cfg = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self.h2 = h2.connection.H2Connection(config=cfg)
        # Our SETTINGS as the first frame: h2 sends local_settings' values.
        self.h2.local_settings = h2.settings.Settings(client=False, initial_values={
            h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: self.b.max_streams,
            h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 65536,
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: self.b.window,
        })
        self.h2.initiate_connection()
        if self.b.window > 65535:
            self.h2.increment_flow_control_window(self.b.window - 65535)
        data, self.buf = self.buf, b""
        self.h2_input(data)

    # ---- HTTP/1: /stats and /count only

    def h1_input(self, data):
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buf) > H1_HEAD_MAX:
                self.h1_answer("HTTP/1.1", 431, "text/plain", b"head too large\n", False)
            return
        line = self.buf[:self.buf.find(b"\r\n")].decode("latin-1")
        self.buf = b""
        self.mode = "closing"
        self.b.log("connection from %s: no HTTP/2 preface (HTTP/1: %r)"
                   % (self.peer, line[:200]))
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self.h1_answer("HTTP/1.1", 400, "text/plain", b"bad request line\n", False)
            return
        method, target, version = parts
        path, _, query = target.partition("?")
        kind = last_segment(path)
        head = method == "HEAD"
        if method in ("GET", "HEAD") and kind == "stats":
            self.h1_answer(version, 200, "application/json", self.stats_body(), head)
        elif method in ("GET", "HEAD") and kind == "count":
            reply = self.b.count_reply(query)
            if reply is None:
                self.h1_answer(version, 400, "text/plain", b"/count needs uuid=\n", head)
            else:
                self.h1_answer(version, 200, "application/json",
                               (json.dumps(reply) + "\n").encode(), head)
        else:
            self.h1_answer(version, 505, "text/plain",
                           b"h2backend speaks HTTP/2 only (prior knowledge)\n", head)

    def h1_answer(self, version, status, ctype, body, head):
        if status != 200:
            self.b.stats["http1_connections"] += 1
        out = ("%s %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n"
               "x-backend-name: %s\r\nconnection: close\r\n\r\n"
               % (version, status, {200: "OK", 400: "Bad Request",
                                    431: "Request Header Fields Too Large",
                                    505: "HTTP Version Not Supported"}[status],
                  ctype, len(body), self.b.name)).encode("latin-1")
        self.transport.write(out if head else out + body)
        self.mode = "closing"
        self.close_gently()

    def stats_body(self):
        return (json.dumps(self.b.stats) + "\n").encode()

    # ---- closing

    def close_gently(self):
        """FIN after what is queued, read the peer's rest for a while, close.

        Closing with unread bytes in the receive queue makes the kernel send
        RST, which can destroy the response still in flight to the peer.
        """
        if self.lost or self.transport.is_closing():
            return
        try:
            if self.transport.can_write_eof():
                self.transport.write_eof()
        except OSError:
            pass
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def abort(self):
        if self.transport is not None and not self.lost:
            self.transport.abort()

    # ---- HTTP/2 input

    def h2_input(self, data):
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            self.b.log("connection %d: protocol error from the peer: %s"
                       % (self.serial, exc))
            self.flush()
            self.mode = "closing"
            self.close_gently()
            return
        for ev in events:
            self.on_event(ev)
        self.flush()

    def on_event(self, ev):
        if isinstance(ev, h2.events.RequestReceived):
            self.on_request(ev)
        elif isinstance(ev, h2.events.DataReceived):
            st = self.streams.get(ev.stream_id)
            if st is not None:
                st.data(ev.data)
            if ev.flow_controlled_length:
                self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.TrailersReceived):
            st = self.streams.get(ev.stream_id)
            if st is not None:
                st.trailers = [[n.decode("latin-1"), v.decode("latin-1")]
                               for n, v in ev.headers]
        elif isinstance(ev, h2.events.StreamEnded):
            st = self.streams.get(ev.stream_id)
            if st is not None and st.task is None:
                st.task = self.loop.create_task(self.serve(st))
        elif isinstance(ev, h2.events.StreamReset):
            st = self.streams.pop(ev.stream_id, None)
            if st is not None and st.task is not None and not st.task.done():
                st.task.cancel()
            self.wake(ev.stream_id)
            self.maybe_finish()
        elif isinstance(ev, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
            if getattr(ev, "stream_id", 0):
                self.wake(ev.stream_id)
            else:
                self.wake_all()
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.on_peer_goaway(ev)

    def on_request(self, ev):
        sid = ev.stream_id
        self.b.stats["streams"] += 1
        self.nstreams += 1
        if self.goaway_last is not None and sid > self.goaway_last:
            self.refuse(sid)
            return
        if self.peer_goaway:
            self.refuse(sid)
            return
        self.streams[sid] = Stream(sid, ev.headers)
        # h2's own count, the one SETTINGS_MAX_CONCURRENT_STREAMS limits.
        n = self.h2.open_inbound_streams
        if n > self.b.stats["peak_streams"]:
            self.b.stats["peak_streams"] = n

    def on_peer_goaway(self, ev):
        if self.h2.state_machine.state == ConnectionState.CLOSED and \
                ev.error_code == h2.errors.ErrorCodes.NO_ERROR and self.streams:
            # h2 stops all sending once a GOAWAY arrives; a client's GOAWAY
            # only announces that it takes no more pushed streams, so the
            # requests it already sent are answered: back to open.
            self.h2.state_machine.state = ConnectionState.SERVER_OPEN
            self.peer_goaway = True
            self.b.log("connection %d: GOAWAY from the peer, finishing %d streams"
                       % (self.serial, len(self.streams)))
            return
        self.b.log("connection %d: GOAWAY from the peer (%s), closing"
                   % (self.serial, getattr(ev.error_code, "name", ev.error_code)))
        for st in list(self.streams.values()):
            if st.task is not None and not st.task.done():
                st.task.cancel()
        self.streams.clear()
        self.wake_all()
        self.mode = "closing"
        self.close_gently()

    def refuse(self, sid):
        self.b.stats["refused"] += 1
        try:
            self.h2.reset_stream(sid, h2.errors.ErrorCodes.REFUSED_STREAM)
        except h2.exceptions.H2Error:
            pass

    # ---- HTTP/2 output helpers

    def flush(self):
        if self.lost or self.h2 is None:
            return
        data = self.h2.data_to_send()
        if data:
            self.transport.write(data)

    async def drained(self):
        while self.writable is not None and not self.writable.done():
            await self.writable
        if self.lost:
            raise StreamGone()

    def wake(self, sid):
        for fut in self.waiters.pop(sid, []):
            if not fut.done():
                fut.set_result(None)

    def wake_all(self):
        for sid in list(self.waiters):
            self.wake(sid)

    def check(self, st):
        if self.lost or self.streams.get(st.id) is not st:
            raise StreamGone()

    async def send_headers(self, st, headers, end=False):
        self.check(st)
        self.h2.send_headers(st.id, headers, end_stream=end)
        self.flush()
        await self.drained()

    async def send_data(self, st, data, end=False):
        """Send data (bytes-like) within the peer's windows and frame size."""
        view = memoryview(data)
        while True:
            self.check(st)
            if not view:
                if end:
                    self.h2.end_stream(st.id)
                    self.flush()
                return
            room = min(self.h2.local_flow_control_window(st.id),
                       self.h2.max_outbound_frame_size, len(view))
            if room <= 0:
                fut = self.loop.create_future()
                self.waiters.setdefault(st.id, []).append(fut)
                await fut
                continue
            last = end and room == len(view)
            self.h2.send_data(st.id, view[:room].tobytes(), end_stream=last)
            view = view[room:]
            self.flush()
            await self.drained()
            if last:
                return

    def send_goaway(self, last):
        """GOAWAY written beside h2, which would stop all sending after its own."""
        self.flush()
        self.goaway_last = last
        self.b.stats["goaways"] += 1
        self.transport.write(GoAwayFrame(0, last_stream_id=last, error_code=0,
                                         additional_data=b"h2backend goaway").serialize())
        self.b.log("connection %d: GOAWAY last-stream-id %d" % (self.serial, last))
        for sid in [s for s in self.streams if s > last]:
            st = self.streams.pop(sid)
            if st.task is not None and not st.task.done() and \
                    st.task is not asyncio.current_task():
                st.task.cancel()
            self.refuse(sid)
        self.flush()

    def maybe_finish(self):
        """After a GOAWAY (ours or the peer's): close once no stream is left."""
        if self.lost or self.mode != "h2":
            return
        if (self.goaway_last is not None or self.peer_goaway) and not self.streams:
            self.mode = "closing"
            self.flush()
            self.close_gently()

    # ---- serving one stream

    async def serve(self, st):
        try:
            await self.answer(st)
        except (StreamGone, asyncio.CancelledError):
            pass
        except Exception:
            self.b.bug("connection %d stream %d" % (self.serial, st.id))
            if not self.lost and self.streams.get(st.id) is st:
                try:
                    self.h2.reset_stream(st.id, h2.errors.ErrorCodes.INTERNAL_ERROR)
                    self.flush()
                except h2.exceptions.H2Error:
                    pass
        finally:
            if self.streams.get(st.id) is st:
                del self.streams[st.id]
            self.waiters.pop(st.id, None)
            self.maybe_finish()

    def base_headers(self, st, status):
        return [(":status", str(status)), ("x-backend-name", self.b.name),
                ("x-backend-connection", str(self.serial)),
                ("x-backend-stream", str(st.id))]

    async def answer_fixed(self, st, status, ctype, body):
        headers = self.base_headers(st, status) + [("content-type", ctype),
                                                   ("content-length", str(len(body)))]
        head = st.pseudo.get(":method") == "HEAD"
        await self.send_headers(st, headers, end=head)
        if not head:
            await self.send_data(st, body, end=True)

    async def answer(self, st):
        path = st.pseudo.get(":path", "")
        query = path.partition("?")[2]
        kind = last_segment(path)
        if self.b.verbose:
            self.b.log("connection %d stream %d: %s %s" % (
                self.serial, st.id, st.pseudo.get(":method"), path))
        if kind == "stats":
            await self.answer_fixed(st, 200, "application/json", self.stats_body())
            return
        if kind == "count":
            reply = self.b.count_reply(query)
            if reply is None:
                await self.answer_fixed(st, 400, "text/plain", b"/count needs uuid=\n")
            else:
                await self.answer_fixed(st, 200, "application/json",
                                        (json.dumps(reply) + "\n").encode())
            return
        try:
            p = Params(query)
        except ValueError as exc:
            await self.answer_fixed(st, 400, "text/plain", (str(exc) + "\n").encode())
            return
        attempt = self.b.hit(p.uuid) if p.uuid else 0
        failing = p.failing(attempt)
        if failing and p.goaway == "refuse":
            self.send_goaway(max(st.id - 2, 0))
            return
        if failing and p.goaway == "1" and self.goaway_last is None:
            self.send_goaway(st.id)
        wait = p.delay + (p.delay_retry if failing else 0.0)
        if wait > 0:
            await asyncio.sleep(wait)
        status = p.status if failing else 200
        if st.keep:
            await self.answer_grpc(st, status)
            return
        await self.answer_http(st, p, status, attempt)

    async def answer_http(self, st, p, status, attempt):
        method = st.pseudo.get(":method", "")
        if p.size is not None:
            ctype, length, body = "application/octet-stream", p.size, None
        else:
            body = (json.dumps(self.echo(st, attempt)) + "\n").encode()
            ctype, length = "application/json", len(body)
        headers = self.base_headers(st, status)
        bodyless = status in (204, 304)
        if not bodyless:
            headers += [("content-type", ctype), ("content-length", str(length))]
        trailers = p.trailers and method != "HEAD" and not bodyless
        if trailers:
            headers.append(("trailer", "x-trailer-one, x-trailer-two"))
        if method == "HEAD" or bodyless:
            await self.send_headers(st, headers, end=True)
            return
        await self.send_headers(st, headers)
        if body is not None:
            await self.send_data(st, body, end=not trailers)
        else:
            for piece in pattern_pieces(length):
                await self.send_data(st, piece)
            if not trailers:
                await self.send_data(st, b"", end=True)
        if trailers:
            await self.send_headers(st, [("x-trailer-one", "1"),
                                         ("x-trailer-two", "two")], end=True)

    def echo(self, st, attempt):
        return {"method": st.pseudo.get(":method"), "path": st.pseudo.get(":path"),
                "authority": st.pseudo.get(":authority"),
                "scheme": st.pseudo.get(":scheme"), "headers": st.headers,
                "trailers": st.trailers, "body_bytes": st.body_bytes,
                "sha256": st.sha.hexdigest(), "connection": self.serial,
                "stream": st.id, "http2": True, "backend": self.b.name,
                "attempt": attempt}

    async def answer_grpc(self, st, status):
        if status != 200:
            await self.send_headers(st, self.base_headers(st, status), end=True)
            return
        head = self.base_headers(st, 200) + [("content-type", "application/grpc")]
        if st.header("x-grpc-echo-metadata") == "1":
            head.append(("x-echo-metadata", json.dumps(st.headers, separators=(",", ":"))))
        fail = st.header("x-grpc-fail")
        try:
            if st.too_big:
                raise ValueError("request body over %d bytes" % GRPC_BODY_MAX)
            messages = grpc_split(bytes(st.body))
            repeat = parse_int(st.header("x-grpc-repeat") or "1", "x-grpc-repeat",
                               1, GRPC_REPEAT_MAX)
            interval = parse_duration(st.header("x-grpc-interval") or "0")
        except ValueError as exc:
            await self.send_headers(st, head + [("grpc-status", "13"),
                                                ("grpc-message", grpc_message(str(exc)))],
                                    end=True)
            return
        if fail:
            await self.send_headers(st, head + [
                ("grpc-status", fail),
                ("grpc-message", grpc_message("x-grpc-fail asked for this"))], end=True)
            return
        await self.send_headers(st, head)
        first = True
        for flag, payload in messages:
            for _ in range(repeat):
                if not first and interval > 0:
                    await asyncio.sleep(interval)
                first = False
                await self.send_data(st, grpc_frame(flag, payload))
        await self.send_headers(st, [("grpc-status", "0"), ("grpc-message", "OK")],
                                end=True)


# --------------------------------------------------------------------- main

def write_ready_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="HTTP/2 cleartext test backend (see the module docstring).")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--name", default="h2backend")
    p.add_argument("--ready-file")
    p.add_argument("--max-streams", type=int, default=100)
    p.add_argument("--window", type=int, default=65535)
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = p.parse_args(argv)
    if not 1 <= args.max_streams < 2**31:
        p.error("--max-streams: 1 .. 2^31-1")
    if not 1 <= args.window < 2**31:
        p.error("--window: 1 .. 2^31-1")
    return args


async def serve(args):
    backend = Backend(args)
    loop = asyncio.get_running_loop()
    ctx = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        ctx.set_alpn_protocols(["h2", "http/1.1"])
    server = await loop.create_server(lambda: Conn(backend), args.host, args.port,
                                      reuse_address=True, backlog=512, ssl=ctx)
    port = server.sockets[0].getsockname()[1]
    if args.ready_file:
        write_ready_file(args.ready_file, port)
    backend.log("listening on %s port %d" % (args.host, port))
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    await stop


def main(argv=None):
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


if __name__ == "__main__":
    main()
