#!/usr/bin/python3
"""h2hold: the HTTP/2 part of `make load` (scripts/load.sh).

Opens --conns h2c connections (prior knowledge) to 127.0.0.1:--port, sends
one GET --path on stream 1 of each and reads its whole response, holds them
all --idle-ms (reading what they bring meanwhile, as HTTP/2 libraries and
browsers do: a server's SETTINGS or PING is acknowledged), reads the
proxy's RSS (VmRSS of --pid), then asks each once more on stream 3; prints holdlib's RESULT line (answered: responses with
:status 200 and a body of --body-len bytes, at most 2 x conns). Uses
Debian's python3-h2 (the hyper-h2 state machine; the sockets are ours).
"""
import socket
import sys

import h2.config
import h2.connection
import h2.events

import holdlib


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
    a = holdlib.args()
    cfg = h2.config.H2Configuration(client_side=True, header_encoding=None)

    def open_conn(port):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        c = h2.connection.H2Connection(config=cfg)
        c.initiate_connection()
        s.sendall(c.data_to_send())
        return s, c

    def ask_round(sc, rnd):
        return ask(sc[0], sc[1], 2 * rnd - 1, a.path, a.body_len)

    def tend(conns):
        for sock, conn in conns:
            sock.setblocking(False)
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            finally:
                sock.settimeout(10)
            if data:
                conn.receive_data(data)
                out = conn.data_to_send()
                if out:
                    sock.sendall(out)

    return holdlib.hold(a, open_conn, ask_round, lambda sc: sc[0].close(), tend)


if __name__ == "__main__":
    sys.exit(main())
