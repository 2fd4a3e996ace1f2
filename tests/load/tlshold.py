#!/usr/bin/python3
"""tlshold: the HTTPS part of `make load` (scripts/load.sh).

Opens --conns TLS connections (TLS 1.3, ALPN http/1.1, certificate not
checked: the gateway's is self-signed) to 127.0.0.1:--port, sends one
keep-alive GET --path on each and reads its whole response, holds them all
--idle-ms, reads the gateway's RSS (VmRSS of --pid), then asks each once
more; prints holdlib's RESULT line (answered: responses that were "200"
with a body of --body-len bytes, at most 2 x conns). Standard library only.
"""
import socket
import ssl
import sys

import holdlib


def response(sock, body_len):
    """Reads one response; True when it is a 200 with body_len bytes."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            return False
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while length is not None and len(rest) < length:
        d = sock.recv(65536)
        if not d:
            return False
        rest += d
    return head.startswith(b"HTTP/1.1 200") and length == body_len and len(rest) == body_len


def main():
    a = holdlib.args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    req = f"GET {a.path} HTTP/1.1\r\nHost: load\r\n\r\n".encode()

    def open_conn(port):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        return ctx.wrap_socket(raw, server_hostname="load.test")

    def ask(s, rnd):
        s.sendall(req)
        return response(s, a.body_len)

    return holdlib.hold(a, open_conn, ask, lambda s: s.close())


if __name__ == "__main__":
    sys.exit(main())
