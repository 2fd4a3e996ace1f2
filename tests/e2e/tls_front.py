"""A TLS terminator in front of a plain HTTP server, for mcp-target-policies.sh:
an MCP server (server-everything) reached over TLS through it.

usage: tls_front.py PORT BACKEND_PORT CERT KEY LOG

Listens on 127.0.0.1:PORT over TLS (CERT and KEY) and carries each
connection's bytes both ways to 127.0.0.1:BACKEND_PORT. What clients send
is logged to LOG, one line each: the request lines ("GET /sse?k=v
HTTP/1.1") and Authorization header lines, as they pass.
"""
import re
import socket
import ssl
import sys
import threading

LINE = re.compile(rb"^(?:[A-Z]+ \S+ HTTP/1\.1|authorization: .*)$", re.I | re.M)
lock = threading.Lock()


def pipe(src, dst, log):
    seen = b""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
            if log:
                seen = (seen + data)[-8192:]
                lines = seen.split(b"\r\n")
                seen = lines.pop()
                with lock, open(sys.argv[5], "ab") as f:
                    for ln in lines:
                        if LINE.match(ln):
                            f.write(ln + b"\n")
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn):
    try:
        conn.do_handshake()
        back = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    except OSError:
        conn.close()
        return
    threading.Thread(target=pipe, args=(back, conn, False), daemon=True).start()
    pipe(conn, back, True)


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[3], sys.argv[4])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(64)
while True:
    c, _ = srv.accept()
    tc = ctx.wrap_socket(c, server_side=True, do_handshake_on_connect=False)
    threading.Thread(target=serve, args=(tc,), daemon=True).start()
