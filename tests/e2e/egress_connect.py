#!/usr/bin/python3
"""egress_connect: a TLS client through an egress proxy's CONNECT, for the
tls-egress-proxy and https-egress-dynamic-ca scenarios.

    egress_connect.py PROXY_PORT NAME [SNI|-] [CAFILE]

Sends "CONNECT NAME:443", reads the proxy's answer head, then starts a TLS
handshake with SNI (NAME unless given; "-": none), verifying the server's
certificate against CAFILE when given (and its name), else not at all.
Prints the answer's status line, then "handshake <CN of subject> <CN of
issuer> <SANs, comma-separated>" (the subject fields only with CAFILE),
"refused <alert>" for a TLS alert, or "closed" when the proxy closed.
"""
import socket
import ssl
import sys


def main():
    port, name = int(sys.argv[1]), sys.argv[2]
    sni = sys.argv[3] if len(sys.argv) > 3 else name
    cafile = sys.argv[4] if len(sys.argv) > 4 else None
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n" % (name.encode(), name.encode()))
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        b = s.recv(1)
        if not b:
            break
        head += b
    status = head.split(b"\r\n")[0].decode()
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
    else:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    try:
        t = ctx.wrap_socket(s, server_hostname=None if sni == "-" else sni)
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
        print(status, "closed")
        return
    except ssl.SSLError as e:
        print(status, "refused", e.reason)
        return
    except OSError:
        print(status, "closed")
        return
    if not cafile:
        print(status, "handshake")
        return
    c = t.getpeercert()
    print(status, "handshake", dict(x[0] for x in c["subject"])["commonName"],
          dict(x[0] for x in c["issuer"])["commonName"],
          ",".join(v for _, v in c["subjectAltName"]))


main()
