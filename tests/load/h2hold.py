#!/usr/bin/python3
"""h2hold: the HTTP/2 part of `make load` (scripts/load.sh).

Opens --conns h2c connections (prior knowledge) to 127.0.0.1:--port, sends
one GET --path on stream 1 of each and reads its whole response, holds them
all --idle-ms, reads the proxy's RSS (VmRSS of --pid), then asks each once
more on stream 3. Prints one line:

  RESULT held=H answered=A errors=E rss_base_kb=B rss_idle_kb=I rss_per_conn_b=P

answered counts responses with :status 200 and a body of --body-len bytes
(two rounds: at most 2 x conns); errors is conns*2 - answered. Uses
Debian's python3-h2 (the hyper-h2 state machine; the sockets are ours).
"""
import argparse
import resource
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def ask(sock, conn, stream, path, body_len):
    """One GET on `stream`; True when it ends with 200 and body_len bytes."""
    conn.send_headers(stream, [(":method", "GET"), (":scheme", "http"),
                               (":authority", "load"), (":path", path)], end_stream=True)
    sock.sendall(conn.data_to_send())
    status, body, done = None, 0, False
    while not done:
        data = sock.recv(65536)
        if not data:
            return False
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == stream:
                status = dict(ev.headers).get(b":status")
            elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == stream:
                body += len(ev.data)
                conn.acknowledge_received_data(ev.flow_controlled_length, stream)
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == stream:
                done = True
            elif isinstance(ev, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
                return False
        out = conn.data_to_send()
        if out:
            sock.sendall(out)
    return status == b"200" and body == body_len


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--path", default="/100b")
    ap.add_argument("--body-len", type=int, default=100)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--idle-ms", type=int, default=3000)
    ap.add_argument("--deadline-s", type=int, default=600)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    cfg = h2.config.H2Configuration(client_side=True, header_encoding=None)
    end = time.monotonic() + a.deadline_s
    base = rss_kb(a.pid)
    conns, answered = [], 0
    for i in range(a.conns):
        if time.monotonic() > end:
            break
        try:
            s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
            c = h2.connection.H2Connection(config=cfg)
            c.initiate_connection()
            s.sendall(c.data_to_send())
            answered += ask(s, c, 1, a.path, a.body_len)
            conns.append((s, c))
        except OSError as e:
            print(f"connection {i}: {e}", file=sys.stderr)
    time.sleep(a.idle_ms / 1000)
    idle = rss_kb(a.pid)
    for i, (s, c) in enumerate(conns):
        if time.monotonic() > end:
            break
        try:
            answered += ask(s, c, 3, a.path, a.body_len)
        except OSError as e:
            print(f"connection {i}, round 2: {e}", file=sys.stderr)
    held = len(conns)
    errors = a.conns * 2 - answered
    per = (idle - base) * 1024 // max(held, 1)
    print(f"RESULT held={held} answered={answered} errors={errors} rss_base_kb={base} "
          f"rss_idle_kb={idle} rss_per_conn_b={per}")
    for s, _ in conns:
        s.close()
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
