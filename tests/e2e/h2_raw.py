#!/usr/bin/python3
"""A raw HTTP/2 client for the h2-* e2e scenarios: frames written by hand on a
plain socket (standard library only; Debian's /usr/bin/python3), so a test can
behave as no real client would: never acknowledge a PING, never open a
flow-control window.

    h2_raw.py keepalive PORT SECONDS (--ack | --silent)
        Sends the preface and an empty SETTINGS. --ack then acknowledges the
        gateway's SETTINGS and every PING; --silent sends nothing more. Reads
        for at most SECONDS. Prints JSON: {"pings": [seconds since start...],
        "goaway": {"at", "last_stream", "error", "debug"} or null,
        "eof_at": seconds or null, and "eof_wall": time.time() at the close}.

    h2_raw.py rapidreset PORT PATH PAIRS
        Rapid reset (CVE-2023-44487): sends the preface, then up to PAIRS
        HEADERS (GET PATH, END_STREAM) each followed at once by RST_STREAM
        (CANCEL), 100 pairs per write, until the gateway stops it or all are
        sent; then reads for up to 2 s. Prints JSON: {"pairs_sent": N,
        "goaway": {"at", "last_stream", "error", "debug"} or null,
        "eof": true|false}.

    h2_raw.py resetreconnect PORT PATH CONNS PAIRS [SOURCE]
        A rapid-reset attacker that reconnects: CONNS connections one after
        another (from address SOURCE, default 127.0.0.1), each sending the
        preface, PAIRS HEADERS+RST_STREAM pairs in one write and a PING, then
        reading until the PING's ACK, a GOAWAY or EOF (2 s at most) before
        it closes. Prints one JSON list, an object per connection:
        {"goaway": the GOAWAY's error code or null, "acked": true|false}.

    h2_raw.py stallmany PORT PATH STREAMS SECONDS
        Like stall, with STREAMS GETs for PATH at once; prints the DATA
        payload bytes received over all of them as {"data_bytes": N}.

    h2_raw.py stall PORT PATH SECONDS
        Sends the preface, SETTINGS with INITIAL_WINDOW_SIZE 0 (no DATA may
        come), a GET for PATH, then for SECONDS acknowledges SETTINGS and
        PINGs but opens no window. Prints JSON: {"status": the :status byte
        seen in the HEADERS block (HPACK static index, past any table size
        update, or null),
        "data_bytes": DATA payload bytes received, "eof_at": ...}.
"""

import json
import socket
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
ACK, END_STREAM, END_HEADERS = 0x1, 0x1, 0x4


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload


def literal(name, value):
    """HPACK literal field without indexing, new name, no Huffman."""
    def string(s):
        b = s.encode()
        assert len(b) < 127
        return bytes([len(b)]) + b
    return b"\x00" + string(name) + string(value)


def first_field(block):
    """The first byte of a header block's first field: past any dynamic
    table size updates (RFC 7541 §6.3, 001xxxxx, a 5-bit prefix integer)
    an encoder puts first."""
    i = 0
    while i < len(block) and block[i] & 0xe0 == 0x20:
        more = block[i] & 0x1f == 0x1f
        i += 1
        while more and i < len(block):
            more = block[i] & 0x80
            i += 1
    return block[i] if i < len(block) else None


class Conn:
    def __init__(self, port, source="127.0.0.1"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5,
                                             source_address=(source, 0))
        self.buf = b""
        self.t0 = time.monotonic()

    def now(self):
        return round(time.monotonic() - self.t0, 3)

    def send(self, data):
        self.sock.sendall(data)

    def frames(self, until):
        """Yield (type, flags, stream, payload) until `until` (monotonic);
        yields None once at EOF."""
        while True:
            while len(self.buf) >= 9:
                n = struct.unpack(">I", b"\0" + self.buf[:3])[0]
                if len(self.buf) < 9 + n:
                    break
                hd, self.buf = self.buf[:9 + n], self.buf[9 + n:]
                yield hd[3], hd[4], struct.unpack(">I", hd[5:9])[0] & 0x7fffffff, hd[9:]
            left = until - time.monotonic()
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                return
            except ConnectionResetError:
                d = b""
            if not d:
                yield None
                return
            self.buf += d


def keepalive(port, seconds, ack):
    c = Conn(port)
    c.send(PREFACE + frame(SETTINGS, 0, 0))
    out = {"pings": [], "goaway": None, "eof_at": None}
    for f in c.frames(c.t0 + seconds):
        if f is None:
            out["eof_at"] = c.now()
            out["eof_wall"] = time.time()
            break
        ftype, flags, _, payload = f
        if ftype == PING and not flags & ACK:
            out["pings"].append(c.now())
            if ack:
                c.send(frame(PING, ACK, 0, payload))
        elif ftype == SETTINGS and not flags & ACK and ack:
            c.send(frame(SETTINGS, ACK, 0))
        elif ftype == GOAWAY:
            last, err = struct.unpack(">II", payload[:8])
            out["goaway"] = {"at": c.now(), "last_stream": last, "error": err,
                             "debug": payload[8:].decode("latin-1")}
    print(json.dumps(out))


def stall(port, path, seconds):
    c = Conn(port)
    block = b"\x82\x86" + literal(":path", path) + literal(":authority", "127.0.0.1")
    c.send(PREFACE + frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 0)) +
           frame(HEADERS, END_STREAM | END_HEADERS, 1, block))
    out = {"status": None, "data_bytes": 0, "eof_at": None}
    for f in c.frames(c.t0 + seconds):
        if f is None:
            out["eof_at"] = c.now()
            break
        ftype, flags, stream, payload = f
        if ftype == PING and not flags & ACK:
            c.send(frame(PING, ACK, 0, payload))
        elif ftype == SETTINGS and not flags & ACK:
            c.send(frame(SETTINGS, ACK, 0))
        elif ftype == HEADERS and stream == 1 and payload:
            out["status"] = first_field(payload)
        elif ftype == DATA and stream == 1:
            out["data_bytes"] += len(payload)
    print(json.dumps(out))


def rapid_reset(port, path, pairs):
    c = Conn(port)
    block = b"\x82\x86" + literal(":path", path) + literal(":authority", "127.0.0.1")
    c.send(PREFACE + frame(SETTINGS, 0, 0))
    sent, stream = 0, 1
    try:
        while sent < pairs:
            batch = b""
            for _ in range(min(100, pairs - sent)):
                batch += frame(HEADERS, END_STREAM | END_HEADERS, stream, block)
                batch += frame(RST_STREAM, 0, stream, struct.pack(">I", 8))
                stream += 2
            c.send(batch)
            sent += min(100, pairs - sent)
    except (BrokenPipeError, ConnectionResetError):
        pass
    out = {"pairs_sent": sent, "goaway": None, "eof": False}
    try:
        for f in c.frames(time.monotonic() + 2):
            if f is None:
                out["eof"] = True
                break
            ftype, flags, _, payload = f
            if ftype == GOAWAY:
                last, err = struct.unpack(">II", payload[:8])
                out["goaway"] = {"at": c.now(), "last_stream": last, "error": err,
                                 "debug": payload[8:].decode("latin-1")}
    except OSError:
        out["eof"] = True
    print(json.dumps(out))


def reset_reconnect(port, path, conns, pairs, source):
    block = b"\x82\x86" + literal(":path", path) + literal(":authority", "127.0.0.1")
    out = []
    for _ in range(conns):
        c = Conn(port, source)
        batch = PREFACE + frame(SETTINGS, 0, 0)
        for i in range(pairs):
            batch += frame(HEADERS, END_STREAM | END_HEADERS, 1 + 2 * i, block)
            batch += frame(RST_STREAM, 0, 1 + 2 * i, struct.pack(">I", 8))
        got = {"goaway": None, "acked": False}
        try:
            c.send(batch + frame(PING, 0, 0, b"resetrec"))
            for f in c.frames(time.monotonic() + 2):
                if f is None:
                    break
                ftype, flags, _, payload = f
                if ftype == GOAWAY:
                    got["goaway"] = struct.unpack(">II", payload[:8])[1]
                    break
                if ftype == PING and flags & ACK:
                    got["acked"] = True
                    break
        except OSError:
            pass
        c.sock.close()
        out.append(got)
    print(json.dumps(out))


def stall_many(port, path, streams, seconds):
    c = Conn(port)
    block = b"\x82\x86" + literal(":path", path) + literal(":authority", "127.0.0.1")
    heads = b"".join(frame(HEADERS, END_STREAM | END_HEADERS, 1 + 2 * i, block)
                     for i in range(streams))
    c.send(PREFACE + frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 0)) + heads)
    got = 0
    for f in c.frames(c.t0 + seconds):
        if f is None:
            break
        ftype, flags, _, payload = f
        if ftype == PING and not flags & ACK:
            c.send(frame(PING, ACK, 0, payload))
        elif ftype == SETTINGS and not flags & ACK:
            c.send(frame(SETTINGS, ACK, 0))
        elif ftype == DATA:
            got += len(payload)
    print(json.dumps({"data_bytes": got}))


def main(argv):
    if argv[1] == "stallmany":
        stall_many(int(argv[2]), argv[3], int(argv[4]), float(argv[5]))
    elif argv[1] == "resetreconnect":
        reset_reconnect(int(argv[2]), argv[3], int(argv[4]), int(argv[5]),
                        argv[6] if len(argv) > 6 else "127.0.0.1")
    elif argv[1] == "rapidreset":
        rapid_reset(int(argv[2]), argv[3], int(argv[4]))
    elif argv[1] == "keepalive":
        keepalive(int(argv[2]), float(argv[3]), argv[4] == "--ack")
    elif argv[1] == "stall":
        stall(int(argv[2]), argv[3], float(argv[4]))
    else:
        sys.exit("usage: see the docstring")


if __name__ == "__main__":
    main(sys.argv)
