#!/usr/bin/python3
"""grpc_client: one gRPC-framed call over HTTP/2 prior knowledge (python3-h2).

usage: grpc_client.py [--host H] --port P [--path /echo.Echo/Echo]
                      [--authority A] [-H 'name: value']... [--big N]...
                      [--timeout SECONDS] [MESSAGE]...

Opens one cleartext HTTP/2 connection to H:P (default 127.0.0.1), sends one
POST to PATH with content-type application/grpc and te: trailers (plus the -H
headers), the MESSAGEs (UTF-8) and then one message of N pattern bytes
(byte i = i % 251) per --big N, each in gRPC's framing (flag 0, 4-byte
big-endian length), within the server's flow-control windows; then reads the
answer until the stream ends, is reset, or the connection ends, for at most
--timeout seconds (default 20). Prints one JSON object:

  {"status": 200 or null, "headers": [[name, value], ...] (the response
   head, :status included), "trailers": [[name, value], ...] ([] for a
   trailers-only answer), "trailers_only": bool (grpc-status in the head,
   which ended the stream), "grpc_status": "0" or null (from the trailers,
   or the head when trailers-only), "grpc_message": as received (still
   percent-encoded) or null, "messages": [text (UTF-8, errors replaced;
   messages over 200 bytes as "<N bytes sha256 HEX>")], "message_times":
   [seconds from the request's start to each message's arrival],
   "body_bytes": total DATA payload bytes, "framing_error": null or why the
   DATA did not split into whole messages, "reset": null or the RST_STREAM
   error code's name, "goaway": null or the GOAWAY error code's name,
   "error": null or why the call did not end cleanly, "time": seconds}

Exit status 0 when the stream ended cleanly (whatever grpc-status), 1 when it
did not (reset, connection lost, timeout), 2 on usage errors.
"""

import argparse
import hashlib
import json
import socket
import struct
import sys
import time

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions


def pattern(n):
    piece = bytes(range(251))
    return (piece * (n // 251 + 1))[:n]


def frame(payload):
    return struct.pack(">BI", 0, len(payload)) + payload


def describe(payload):
    if len(payload) > 200:
        return "<%d bytes sha256 %s>" % (len(payload), hashlib.sha256(payload).hexdigest())
    return payload.decode("utf-8", "replace")


def code_name(code):
    try:
        return h2.errors.ErrorCodes(code).name
    except ValueError:
        return str(code)


def pairs(headers):
    return [[n.decode("latin-1") if isinstance(n, bytes) else n,
             v.decode("latin-1") if isinstance(v, bytes) else v] for n, v in headers]


def lookup(headers, name):
    for n, v in headers:
        if n == name:
            return v
    return None


class Call:
    def __init__(self, args):
        self.args = args
        self.out = {"status": None, "headers": [], "trailers": [], "trailers_only": False,
                    "grpc_status": None, "grpc_message": None, "messages": [],
                    "message_times": [], "body_bytes": 0, "framing_error": None,
                    "reset": None, "goaway": None, "error": None, "time": None}
        self.buf = b""
        self.ended = False
        self.closed_send = False
        self.goaway_last = 0
        self.start = time.monotonic()

    def run(self):
        a = self.args
        deadline = self.start + a.timeout
        sock = socket.create_connection((a.host, a.port), timeout=min(a.timeout, 10))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding="latin-1"))
        conn.initiate_connection()
        sid = conn.get_next_available_stream_id()
        headers = [(":method", "POST"), (":scheme", "http"),
                   (":authority", a.authority or "%s:%d" % (a.host, a.port)),
                   (":path", a.path), ("content-type", "application/grpc"),
                   ("te", "trailers"), ("user-agent", "splicegate-grpc-client/1")]
        for h in a.header:
            name, _, value = h.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        conn.send_headers(sid, headers)
        body = b"".join(frame(m.encode("utf-8")) for m in a.message)
        body += b"".join(frame(pattern(n)) for n in a.big)
        sent = 0
        sock.sendall(conn.data_to_send())
        while not self.ended:
            # Send what the windows allow, then read. (An answer may come
            # before the whole body went: then the rest is not sent.)
            try:
                while sent < len(body) and not self.ended:
                    room = min(conn.local_flow_control_window(sid),
                               conn.max_outbound_frame_size, len(body) - sent)
                    if room <= 0:
                        break
                    conn.send_data(sid, body[sent:sent + room])
                    sent += room
                if sent == len(body) and not self.closed_send and not self.ended:
                    conn.end_stream(sid)
                    self.closed_send = True
            except h2.exceptions.H2Error as exc:
                self.out["error"] = "sending the request body: %s" % exc
                break
            data = conn.data_to_send()
            if data:
                sock.sendall(data)
            left = deadline - time.monotonic()
            if left <= 0:
                self.out["error"] = "timeout after %.1f s" % a.timeout
                break
            sock.settimeout(left)
            try:
                data = sock.recv(65536)
            except socket.timeout:
                self.out["error"] = "timeout after %.1f s" % a.timeout
                break
            except OSError as exc:
                self.out["error"] = "recv: %s" % exc
                break
            if not data:
                if not self.ended:
                    self.out["error"] = "connection closed before the stream ended"
                break
            try:
                events = conn.receive_data(data)
            except h2.exceptions.ProtocolError as exc:
                self.out["error"] = "protocol error: %s" % exc
                break
            for ev in events:
                self.on_event(conn, sid, ev)
            if self.out["goaway"] is not None and not self.ended and \
                    self.out["reset"] is None and self.goaway_last < sid:
                self.out["error"] = "GOAWAY with last-stream-id %d below our stream %d" % (
                    self.goaway_last, sid)
                break
            if self.out["reset"] is not None:
                self.out["error"] = "stream reset: %s" % self.out["reset"]
                break
        try:
            conn.close_connection()
            sock.sendall(conn.data_to_send())
        except (OSError, h2.exceptions.ProtocolError):
            pass
        sock.close()
        if self.buf:
            self.out["framing_error"] = "%d bytes left over after the last whole message" % len(
                self.buf)
        self.out["time"] = round(time.monotonic() - self.start, 3)
        return self.ended and self.out["error"] is None

    def on_event(self, conn, sid, ev):
        if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
            self.out["headers"] = pairs(ev.headers)
            status = lookup(self.out["headers"], ":status")
            self.out["status"] = int(status) if status else None
            if ev.stream_ended is not None:
                self.out["trailers_only"] = True
                self.grpc_from(self.out["headers"])
        elif isinstance(ev, h2.events.TrailersReceived) and ev.stream_id == sid:
            self.out["trailers"] = pairs(ev.headers)
            self.grpc_from(self.out["trailers"])
        elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == sid:
            self.out["body_bytes"] += len(ev.data)
            conn.acknowledge_received_data(ev.flow_controlled_length, sid)
            self.split(ev.data)
        elif isinstance(ev, h2.events.DataReceived):
            conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
            self.ended = True
        elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
            self.out["reset"] = code_name(ev.error_code)
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.out["goaway"] = code_name(ev.error_code)
            self.goaway_last = ev.last_stream_id if ev.last_stream_id is not None else 0

    def grpc_from(self, headers):
        self.out["grpc_status"] = lookup(headers, "grpc-status")
        self.out["grpc_message"] = lookup(headers, "grpc-message")

    def split(self, data):
        self.buf += data
        now = round(time.monotonic() - self.start, 3)
        while len(self.buf) >= 5:
            flag, length = struct.unpack_from(">BI", self.buf)
            if len(self.buf) < 5 + length:
                break
            if flag not in (0, 1):
                self.out["framing_error"] = "compressed flag %d" % flag
            self.out["messages"].append(describe(self.buf[5:5 + length]))
            self.out["message_times"].append(now)
            self.buf = self.buf[5 + length:]


def main():
    p = argparse.ArgumentParser(description="one gRPC-framed call over h2c prior knowledge")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/echo.Echo/Echo")
    p.add_argument("--authority")
    p.add_argument("-H", "--header", action="append", default=[])
    p.add_argument("--big", type=int, action="append", default=[])
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("message", nargs="*")
    args = p.parse_args()
    call = Call(args)
    try:
        ok = call.run()
    except OSError as exc:
        call.out["error"] = "connect: %s" % exc
        ok = False
    print(json.dumps(call.out))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
