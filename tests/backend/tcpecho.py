#!/usr/bin/python3
"""tcpecho: the Gateway API conformance TCP echo for splicegate's tests.

A port of echo-basic's TCP server (kubernetes-sigs/gateway-api-conformance-images
echo-basic/tcpserver/tcpserver.go, v0.1.0), the conformance suite's tcp-backend.
Standard library only; runs on Debian's /usr/bin/python3.

Usage:
    tcpecho.py --port N [--tls-port N --tls CERT KEY] [--host ADDR]
               [--name POD] [--namespace NS]
               [--ready-file PATH] [--tls-ready-file PATH]

    --port N            the plain listener (upstream: 3000); 0 picks a free port.
    --tls-port N        the TLS listener (upstream: 8443), with --tls only.
    --tls CERT KEY      serve TLS (1.2 at least) on --tls-port with this
                        certificate and key (PEM files), no ALPN (as upstream).
    --host ADDR         address to bind (default 127.0.0.1).
    --name POD          the "pod" of the TEST answer (default "tcp-backend").
    --namespace NS      its "namespace" (default "").
    --ready-file PATH   after bind+listen, the plain port (decimal, newline) is
                        written to PATH atomically (temp file + rename).
    --tls-ready-file PATH  likewise the TLS port.

Per connection, as upstream: on the TLS listener the handshake first (10 s at
most; a failed one closes the connection), then the server speaks first,
"Gateway API Test TCP Server\\n", and answers each line the client sends:
    PING    -> "PONG"
    IS_TLS  -> "true" or "false": whether the connection came to the TLS
               listener (a gateway that ended TLS in front of the plain
               listener gets "false")
    TEST    -> one line of JSON (upstream's TCPAssertions):
               {"namespace", "ingress": "", "service": "", "pod",
                "tcpport", "tlsport" (the bound ports; tlsport left out
                without --tls), "isTLS",
                "tls": {"version" ("TLS 1.3" as Go names it), "serverName"
                        (the SNI the client sent, "" for none),
                        "cipherSuite"}   (only on the TLS listener)}
    anything else is ignored.
Each answer ends with "\\n". A line ends at "\\n", a "\\r" before it is dropped
(Go's bufio.ScanLines); a line longer than 64 KiB ends the connection (Go's
Scanner stops there). The server closes when the client does. One thread per
connection. SIGTERM and SIGINT make the process exit with status 0 at once.
"""

import argparse
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time

WELCOME = b"Gateway API Test TCP Server\n"
MAX_LINE = 65536
HANDSHAKE_SECONDS = 10.0


class Shutdown(Exception):
    pass


class Context:
    def __init__(self, name, namespace, tcp_port, tls_port, tls):
        self.name = name
        self.namespace = namespace
        self.tcp_port = tcp_port
        self.tls_port = tls_port
        self.tls = tls


# The SNI of the handshake running in this thread (set by the SNI callback,
# which OpenSSL calls from inside do_handshake, in the connection's thread).
SNI = threading.local()


def on_sni(sslsock, server_name, sslctx):
    SNI.name = server_name or ""
    return None


def test_payload(ctx, sock, is_tls):
    p = {"namespace": ctx.namespace, "ingress": "", "service": "",
         "pod": ctx.name, "tcpport": str(ctx.tcp_port)}
    if ctx.tls_port is not None:
        p["tlsport"] = str(ctx.tls_port)
    p["isTLS"] = is_tls
    if is_tls:
        version = sock.version() or ""
        cipher = sock.cipher()
        p["tls"] = {"version": version.replace("TLSv", "TLS "),
                    "serverName": getattr(SNI, "name", ""),
                    "cipherSuite": cipher[0] if cipher else ""}
    return (json.dumps(p, separators=(",", ":")) + "\n").encode()


def serve_connection(conn, ctx, is_tls):
    sock = conn
    try:
        if is_tls:
            SNI.name = ""
            conn.settimeout(HANDSHAKE_SECONDS)
            sock = ctx.tls.wrap_socket(conn, server_side=True,
                                       do_handshake_on_connect=False)
            sock.do_handshake()
            sock.settimeout(None)
        payload = test_payload(ctx, sock, is_tls)
        sock.sendall(WELCOME)
        f = sock.makefile("rb")
        while True:
            line = f.readline(MAX_LINE + 1)
            if not line:
                break
            if not line.endswith(b"\n") and len(line) > MAX_LINE:
                break
            text = line.rstrip(b"\n")
            if text.endswith(b"\r"):
                text = text[:-1]
            if text == b"TEST":
                sock.sendall(payload)
            elif text == b"IS_TLS":
                sock.sendall(b"true\n" if is_tls else b"false\n")
            elif text == b"PING":
                sock.sendall(b"PONG\n")
    except (OSError, ValueError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


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


def accept_loop(listener, ctx, is_tls):
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
        threading.Thread(target=serve_connection, args=(conn, ctx, is_tls),
                         daemon=True).start()


def on_signal(signum, frame):
    raise Shutdown()


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Gateway API conformance TCP echo (see module docstring).")
    p.add_argument("--port", type=int, required=True,
                   help="plain port (0: pick a free one)")
    p.add_argument("--tls-port", type=int, default=0,
                   help="TLS port, with --tls (0: pick a free one)")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                   help="serve TLS on --tls-port with this certificate and key")
    p.add_argument("--host", default="127.0.0.1", help="bind address")
    p.add_argument("--name", default="tcp-backend", help="pod name reported")
    p.add_argument("--namespace", default="", help="namespace reported")
    p.add_argument("--ready-file", help="write the plain port here when ready")
    p.add_argument("--tls-ready-file",
                   help="write the TLS port here when ready")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    tls = None
    if args.tls:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        tls.load_cert_chain(args.tls[0], args.tls[1])
        tls.sni_callback = on_sni
    try:
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        plain = make_listener(args.host, args.port)
        secure = make_listener(args.host, args.tls_port) if tls else None
        ctx = Context(args.name, args.namespace, plain.getsockname()[1],
                      secure.getsockname()[1] if secure else None, tls)
        if secure:
            threading.Thread(target=accept_loop, args=(secure, ctx, True),
                             daemon=True).start()
            if args.tls_ready_file:
                write_ready_file(args.tls_ready_file, ctx.tls_port)
        if args.ready_file:
            write_ready_file(args.ready_file, ctx.tcp_port)
        accept_loop(plain, ctx, False)
    except Shutdown:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


if __name__ == "__main__":
    main()
