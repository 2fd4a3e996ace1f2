#!/usr/bin/python3
"""h2_idle: requests on one HTTP/2 prior-knowledge connection with idle
pauses between them, during which the client keeps reading (as browsers and
HTTP/2 libraries do: SETTINGS and PINGs are acknowledged).

usage: h2_idle.py --port P --path PATH --rounds N --idle SECONDS [--tls]

With --tls the connection is TLS with ALPN h2 (the certificate is not
checked; the run fails unless the server selects h2).

Each round sends a GET for PATH (the client's HPACK table indexes its
fields, as hyper-h2 does by default), reads the whole answer (acknowledging
DATA as it comes), then reads for SECONDS. Prints JSON: {"answers": [one
{"status", "bytes", "pattern"} per round: pattern is true when the body is
sgbackend's size=N pattern, byte i = i % 251], "table_sizes": [every
SETTINGS_HEADER_TABLE_SIZE the server announced after the first, in
order], "goaway": the error code of a GOAWAY or null, "error": null or
why the run stopped}. Exit status 0 when every round was answered.
"""

import argparse
import json
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.settings


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--idle", type=float, default=1.5)
    ap.add_argument("--tls", action="store_true")
    a = ap.parse_args()

    out = {"answers": [], "table_sizes": [], "goaway": None, "error": None}
    sock = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    if a.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        sock = ctx.wrap_socket(sock, server_hostname="idle.test")
        if sock.selected_alpn_protocol() != "h2":
            out["error"] = f"ALPN selected {sock.selected_alpn_protocol()!r}, not h2"
            print(json.dumps(out))
            return 1
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=True, header_encoding=None))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    first_settings = True
    state = {}

    def handle(events):
        nonlocal first_settings
        for ev in events:
            if isinstance(ev, h2.events.RemoteSettingsChanged):
                t = ev.changed_settings.get(h2.settings.SettingCodes.HEADER_TABLE_SIZE)
                if t is not None and not first_settings:
                    out["table_sizes"].append(t.new_value)
                first_settings = False
            elif isinstance(ev, h2.events.ResponseReceived):
                state["status"] = int(dict(ev.headers)[b":status"])
            elif isinstance(ev, h2.events.DataReceived):
                d = ev.data
                off = state["bytes"]
                state["pattern"] = state["pattern"] and all(
                    b == (off + i) % 251 for i, b in enumerate(d))
                state["bytes"] += len(d)
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                state["done"] = True
            elif isinstance(ev, h2.events.StreamReset):
                raise RuntimeError(f"stream reset: {ev.error_code}")
            elif isinstance(ev, h2.events.ConnectionTerminated):
                out["goaway"] = int(ev.error_code)
                raise RuntimeError("GOAWAY")

    def read_until(deadline, stop):
        while not stop() and time.monotonic() < deadline:
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                data = sock.recv(65536)
            except socket.timeout:
                break
            if not data:
                raise RuntimeError("connection closed")
            handle(conn.receive_data(data))
            pending = conn.data_to_send()
            if pending:
                sock.sendall(pending)

    try:
        for _ in range(a.rounds):
            state.update(status=None, bytes=0, pattern=True, done=False)
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"),
                                    (":authority", "idle.test"), (":path", a.path),
                                    ("user-agent", "h2_idle")], end_stream=True)
            sock.sendall(conn.data_to_send())
            read_until(time.monotonic() + 10, lambda: state["done"])
            if not state["done"]:
                raise RuntimeError("no whole answer within 10 s")
            out["answers"].append({k: state[k] for k in ("status", "bytes", "pattern")})
            read_until(time.monotonic() + a.idle, lambda: False)
    except (OSError, RuntimeError) as e:
        out["error"] = str(e)
    print(json.dumps(out))
    return 0 if len(out["answers"]) == a.rounds else 1


if __name__ == "__main__":
    sys.exit(main())
