#!/usr/bin/python3
"""A WebSocket (RFC 6455) backend and client, standard library only, for
tests/e2e/http-websocket.sh.

    websocket.py serve PORTFILE      echo server: answers the opening
        handshake as RFC 6455 4.2.2 says (101, Upgrade: websocket,
        Connection: Upgrade, Sec-WebSocket-Accept), then echoes every text
        or binary frame back unmasked until a close frame; writes its port
        to PORTFILE.
    websocket.py client PORT N SIZE  opens ws://127.0.0.1:PORT/chat, fails
        the connection as a browser would (RFC 6455 4.1: status 101,
        Upgrade websocket, Connection with Upgrade, the right
        Sec-WebSocket-Accept), sends N masked frames of SIZE bytes and
        checks each echo; prints "ok N" or what went wrong.
    websocket.py suite PORT PATH     the Gateway API conformance suite's
        check (tests/conformance): ws://127.0.0.1:PORT/PATH, a text frame
        and a binary frame, each echoed; prints "ok 2" or what went wrong.
"""
import base64, hashlib, os, socket, struct, sys, threading

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_of(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(4096)
        if not d:
            raise EOFError("closed in the head")
        data += d
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        fields.setdefault(k.strip().lower(), []).append(v.strip())
    return lines[0], fields, rest


def recv_exact(s, n, buf):
    while len(buf[0]) < n:
        d = s.recv(65536)
        if not d:
            raise EOFError("closed in a frame")
        buf[0] += d
    out, buf[0] = buf[0][:n], buf[0][n:]
    return out


def read_frame(s, buf):
    b0, b1 = recv_exact(s, 2, buf)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", recv_exact(s, 2, buf))[0]
    elif n == 127:
        n = struct.unpack(">Q", recv_exact(s, 8, buf))[0]
    mask = recv_exact(s, 4, buf) if b1 & 0x80 else None
    payload = recv_exact(s, n, buf)
    if mask:
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return b0 & 0x0F, payload


def frame(opcode, payload, mask):
    head = bytes([0x80 | opcode])
    m = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack(">H", n)
    else:
        head += bytes([m | 127]) + struct.pack(">Q", n)
    if mask:
        key = os.urandom(4)
        return head + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))
    return head + payload


def serve_one(c):
    try:
        line, fields, rest = read_head(c)
        key = fields.get(b"sec-websocket-key", [b""])[0]
        c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept_of(key) +
                  b"\r\n\r\n")
        buf = [rest]
        while True:
            op, payload = read_frame(c, buf)
            if op == 8:
                c.sendall(frame(8, payload, False))
                return
            c.sendall(frame(op, payload, False))
    except (EOFError, OSError):
        pass
    finally:
        c.close()


def serve(portfile):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve_one, args=(c,), daemon=True).start()


def open_ws(port, path):
    """The opening handshake to ws://127.0.0.1:PORT/PATH, checked as a
    browser checks it: (socket, read buffer), or what went wrong."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: ws.test\r\n"
              b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
              b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
    line, fields, rest = read_head(s)
    if line.split(b" ")[1:2] != [b"101"]:
        return "status: %r" % line
    if [v.lower() for v in fields.get(b"upgrade", [])] != [b"websocket"]:
        return "Upgrade: %r" % fields.get(b"upgrade")
    if not any(b"upgrade" in [t.strip().lower() for t in v.split(b",")]
               for v in fields.get(b"connection", [])):
        return "Connection: %r" % fields.get(b"connection")
    if fields.get(b"sec-websocket-accept") != [accept_of(key)]:
        return "Sec-WebSocket-Accept: %r" % fields.get(b"sec-websocket-accept")
    return s, [rest]


def exchange(s, buf, frames):
    """Each (opcode, payload) sent masked and its echo checked; then the
    close handshake. "ok N", or what went wrong."""
    for i, (opcode, payload) in enumerate(frames):
        s.sendall(frame(opcode, payload, True))
        op, echo = read_frame(s, buf)
        if op != opcode or echo != payload:
            return "frame %d: opcode %d, %d bytes back" % (i, op, len(echo))
    s.sendall(frame(8, b"\x03\xe8", True))
    op, _ = read_frame(s, buf)
    return "ok %d" % len(frames) if op == 8 else "no close frame back"


def client(port, count, size):
    ws = open_ws(port, "/chat")
    if isinstance(ws, str):
        return ws
    return exchange(*ws, [(2, bytes((i + j) % 256 for j in range(size)))
                          for i in range(count)])


def suite(port, path):
    """The Gateway API suite's WebSocket check: a text frame and a binary
    one, each echoed."""
    ws = open_ws(port, path)
    if isinstance(ws, str):
        return ws
    return exchange(*ws, [(1, b"Websocket Support!"), (2, bytes([1, 2, 3, 4, 5, 6, 7]))])


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif sys.argv[1] == "suite":
        print(suite(int(sys.argv[2]), sys.argv[3]))
    else:
        print(client(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
