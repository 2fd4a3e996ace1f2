"""TLS client for the tls-terminate scenarios: one connection through a
gateway listener that terminates TLS to a plaintext echo backend
(echo_server.py --eof).

usage: tls_halfclose.py PORT SNI|- CA SIZE

Verifies the gateway's certificate against CA (and the name, unless SNI is
"-": then no server_name is sent and only the chain is checked), writes
SIZE random bytes while reading, then sends close_notify (TLS half-close:
it keeps reading), and reads until the gateway ends the session. The
backend, seeing the FIN the gateway passes on, answers "<eof>" and closes,
which the gateway must pass on as close_notify before its FIN.

Prints one line: "ok SIZE clean" when the echo matched byte for byte,
"<eof>" followed, and the session ended with close_notify; "truncated"
instead of "clean" when it ended with a bare FIN; otherwise "error: ...".
"""
import hashlib
import os
import select
import socket
import ssl
import sys
import time

CHUNK = 65536


def main():
    port, sni, ca, size = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    if sni == "-":
        ctx.check_hostname = False
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_hostname=None if sni == "-" else sni)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setblocking(False)
    deadline = time.monotonic() + 30
    data = os.urandom(size)
    sent, shut, handshaken, ended = 0, False, False, None
    got, wire = bytearray(), b""  # plaintext back; records not yet sent
    while ended is None:
        if time.monotonic() > deadline:
            print("error: no end within 30 s (%d bytes back)" % len(got))
            return
        if not handshaken:
            try:
                tls.do_handshake()
                handshaken = True
            except ssl.SSLWantReadError:
                pass
        # Plaintext is encrypted only as fast as the socket takes it.
        if handshaken and not wire and sent < size:
            sent += tls.write(data[sent:sent + CHUNK])
        if handshaken and not wire and sent == size and not shut:
            try:
                tls.unwrap()  # close_notify; reading goes on
            except ssl.SSLWantReadError:
                pass
            shut = True
        wire += out.read()
        r, w, _ = select.select([sock], [sock] if wire else [], [], 1)
        if w:
            try:
                wire = wire[sock.send(wire):]
            except BlockingIOError:
                pass
        if not r:
            continue
        try:
            raw = sock.recv(262144)
        except BlockingIOError:
            continue
        except ConnectionResetError:
            # Closed unread, the ClientHello still queued: a reset.
            print("error: %s" % ("reset (%d bytes back)" % len(got) if handshaken
                                 else "closed in the handshake"))
            return
        if raw:
            inc.write(raw)
        else:
            inc.write_eof()
        if not handshaken:
            if not raw:
                print("error: closed in the handshake")
                return
            continue
        while True:
            try:
                got += tls.read(262144)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                ended = "clean"
                break
            except ssl.SSLEOFError:
                ended = "truncated"
                break
        if not raw and ended is None:
            ended = "truncated"
    if hashlib.sha256(bytes(got)).hexdigest() != hashlib.sha256(data + b"<eof>").hexdigest():
        print("error: %d bytes back, not the %d sent and <eof> (%s)" % (len(got), size, ended))
    else:
        print("ok %d %s" % (size, ended))


if __name__ == "__main__":
    try:
        main()
    except (OSError, ssl.SSLError) as e:
        print("error: %s" % e)
