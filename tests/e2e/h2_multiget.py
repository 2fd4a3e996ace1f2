#!/usr/bin/python3
"""h2_multiget: many GETs at once on one HTTP/2 prior-knowledge connection.

usage: h2_multiget.py [--host H] --port P [--timeout SECONDS] PATH...

Sends a GET for every PATH at once (as many streams as the server's
SETTINGS_MAX_CONCURRENT_STREAMS allows, the rest as streams end), reads every
answer whole (acknowledging DATA as it comes) for at most --timeout seconds
(default 60), and prints one JSON list in PATH order: {"path", "status" (int
or null), "bytes", "sha256", "pattern": true when the body is the
size=N pattern of sgbackend and h2backend (byte i = i % 251) and N is the
size= of PATH, "error": null or why the stream did not end}.
(curl 7.88's --parallel with --http2-prior-knowledge fails its second
stream with "Error in the HTTP2 framing layer", whatever the server.)
Exit status 0 when every stream ended, 1 otherwise.
"""

import argparse
import hashlib
import json
import socket
import sys
import time
from urllib.parse import parse_qsl

import h2.config
import h2.connection
import h2.events
import h2.exceptions

PIECE = bytes(range(251))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("path", nargs="+")
    a = p.parse_args()
    deadline = time.monotonic() + a.timeout
    results = [{"path": path, "status": None, "bytes": 0, "sha256": None,
                "pattern": False, "error": "not answered"} for path in a.path]
    bodies = [bytearray() for _ in a.path]
    by_stream = {}
    pending = list(range(len(a.path)))
    sock = socket.create_connection((a.host, a.port), timeout=10)
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=True, header_encoding="latin-1"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    settled = False
    failed = None
    while failed is None and (pending or by_stream):
        if settled:
            while pending and conn.open_outbound_streams < conn.remote_settings.max_concurrent_streams:
                i = pending.pop(0)
                sid = conn.get_next_available_stream_id()
                conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"),
                                        (":authority", "%s:%d" % (a.host, a.port)),
                                        (":path", a.path[i])], end_stream=True)
                by_stream[sid] = i
            sock.sendall(conn.data_to_send())
        left = deadline - time.monotonic()
        if left <= 0:
            failed = "timeout"
            break
        sock.settimeout(left)
        try:
            data = sock.recv(262144)
        except (socket.timeout, OSError) as exc:
            failed = "recv: %s" % exc
            break
        if not data:
            failed = "connection closed"
            break
        try:
            events = conn.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            failed = "protocol error: %s" % exc
            break
        for ev in events:
            if isinstance(ev, h2.events.RemoteSettingsChanged):
                settled = True
            i = by_stream.get(getattr(ev, "stream_id", None))
            if isinstance(ev, h2.events.DataReceived):
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                if i is not None:
                    bodies[i] += ev.data
            if i is None:
                continue
            if isinstance(ev, h2.events.ResponseReceived):
                results[i]["status"] = int(dict(ev.headers)[":status"])
            elif isinstance(ev, h2.events.StreamEnded):
                results[i]["error"] = None
                del by_stream[ev.stream_id]
            elif isinstance(ev, h2.events.StreamReset):
                results[i]["error"] = "reset %s" % ev.error_code
                del by_stream[ev.stream_id]
        sock.sendall(conn.data_to_send())
    sock.close()
    for i, r in enumerate(results):
        body = bytes(bodies[i])
        r["bytes"] = len(body)
        r["sha256"] = hashlib.sha256(body).hexdigest()
        size = dict(parse_qsl(r["path"].partition("?")[2])).get("size")
        if size is not None and size.isdigit() and int(size) == len(body):
            r["pattern"] = body == (PIECE * (len(body) // 251 + 1))[:len(body)]
        if failed and r["error"] is not None:
            r["error"] = failed
    print(json.dumps(results))
    sys.exit(0 if all(r["error"] is None for r in results) else 1)


if __name__ == "__main__":
    main()
