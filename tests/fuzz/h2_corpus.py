#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_h2_frames.c into
tests/fuzz/corpus/h2_frames/: small valid (and a few deliberately invalid)
client byte streams, frames and HPACK written by hand (standard library only).

Each file is what the harness reads: a flags byte, a seed byte, for an h2c
upgrade a length byte and the HTTP2-Settings value, then the client's bytes
(after the preface the harness sends itself when flag 0x01 is set).

    tests/fuzz/h2_corpus.py [DIR]
"""

import os
import struct
import sys

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, \
    WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIO = 0x1, 0x1, 0x4, 0x8, 0x20

# Harness flags (fuzz_h2_frames.c).
F_PREFACE, F_UPGRADE, F_UPGRADE_HEAD = 0x01, 0x02, 0x04


def policy(n):
    return n << 3


def split(n):
    return n << 5


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload


def hint(value, prefix, first=0):
    """HPACK integer with a PREFIX-bit prefix (RFC 7541 §5.1)."""
    top = (1 << prefix) - 1
    if value < top:
        return bytes([first | value])
    out, value = [first | top], value - top
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes(out + [value])


def hstr(s):
    s = s.encode() if isinstance(s, str) else s
    return hint(len(s), 7) + s


def indexed(i):
    return hint(i, 7, 0x80)


def literal(name, value, index=False):
    """New name; with incremental indexing when INDEX, else without."""
    return (b"\x40" if index else b"\x00") + hstr(name) + hstr(value)


def literal_idx(i, value, index=False):
    """Name from table entry I."""
    return (hint(i, 6, 0x40) if index else hint(i, 4)) + hstr(value)


GET = indexed(2) + indexed(6) + indexed(4) + literal_idx(1, "a.example")
POST = indexed(3) + indexed(6) + indexed(4) + literal_idx(1, "a.example")


def settings(*pairs):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


HELLO = settings() + frame(SETTINGS, ACK, 0)


def seeds():
    s = {}
    s["get"] = HELLO + frame(HEADERS, END_STREAM | END_HEADERS, 1, GET)
    s["post-content-length"] = HELLO + \
        frame(HEADERS, END_HEADERS, 1, POST + literal_idx(28, "5")) + \
        frame(DATA, END_STREAM, 1, b"hello")
    s["post-streamed-padded"] = HELLO + frame(HEADERS, END_HEADERS, 1, POST) + \
        frame(DATA, 0, 1, b"abc") + \
        frame(DATA, PADDED, 1, b"\x04" + b"def" + b"\0" * 4) + \
        frame(DATA, END_STREAM, 1, b"")
    s["window-update"] = HELLO + frame(HEADERS, END_HEADERS, 1, POST) + \
        frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 20)) + \
        frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 1 << 16)) + \
        frame(DATA, END_STREAM, 1, b"x" * 100)
    s["ping"] = HELLO + frame(PING, 0, 0, b"12345678") + frame(PING, ACK, 0, b"\0" * 8)
    s["rst-stream"] = HELLO + frame(HEADERS, END_HEADERS, 1, POST) + \
        frame(RST_STREAM, 0, 1, struct.pack(">I", 8)) + \
        frame(HEADERS, END_STREAM | END_HEADERS, 3, GET)
    s["goaway"] = HELLO + frame(HEADERS, END_STREAM | END_HEADERS, 1, GET) + \
        frame(GOAWAY, 0, 0, struct.pack(">II", 1, 0) + b"bye")
    s["continuation"] = HELLO + \
        frame(HEADERS, END_STREAM, 1, indexed(2) + indexed(6)) + \
        frame(CONTINUATION, 0, 1, indexed(4)) + \
        frame(CONTINUATION, END_HEADERS, 1, literal_idx(1, "a.example"))
    # Fields inserted into the dynamic table, then used by index (62 is
    # the newest entry), and a table size update.
    s["hpack-dynamic"] = HELLO + \
        frame(HEADERS, END_STREAM | END_HEADERS, 1,
              GET + literal("x-trace", "abc", index=True) +
              literal_idx(32, "a=1", index=True)) + \
        frame(HEADERS, END_STREAM | END_HEADERS, 3,
              hint(256, 5, 0x20) + GET + indexed(62) + indexed(63))
    # RFC 7541 C.4.1: a request with Huffman-coded :authority.
    s["hpack-huffman"] = HELLO + frame(
        HEADERS, END_STREAM | END_HEADERS, 1,
        bytes.fromhex("828684418cf1e3c2e5f23a6ba0ab90f4ff"))
    s["priority"] = HELLO + \
        frame(HEADERS, END_STREAM | END_HEADERS | PRIO, 1,
              struct.pack(">IB", 0, 15) + GET) + \
        frame(PRIORITY, 0, 3, struct.pack(">IB", 1, 200)) + \
        frame(HEADERS, END_STREAM | END_HEADERS, 3, GET)
    s["trailers"] = HELLO + frame(HEADERS, END_HEADERS, 1, POST) + \
        frame(DATA, 0, 1, b"body") + \
        frame(HEADERS, END_STREAM | END_HEADERS, 1, literal("x-checksum", "1"))
    s["many-streams"] = HELLO + b"".join(
        frame(HEADERS, END_STREAM | END_HEADERS, i, GET) for i in range(1, 40, 2))
    s["cookies-host"] = HELLO + frame(
        HEADERS, END_STREAM | END_HEADERS, 1,
        indexed(2) + indexed(6) + literal_idx(4, "/a?b=c") + literal_idx(38, "h.example") +
        literal_idx(32, "a=1") + literal_idx(32, "b=2") + literal("accept", "*/*"))
    s["expect-continue"] = HELLO + frame(
        HEADERS, END_HEADERS, 1,
        POST + literal_idx(28, "3") + literal("expect", "100-continue")) + \
        frame(DATA, END_STREAM, 1, b"abc")
    s["connect"] = HELLO + frame(
        HEADERS, END_HEADERS, 1, literal(":method", "CONNECT") + literal_idx(1, "b:443"))
    s["settings-all"] = settings((1, 0), (2, 0), (3, 10), (4, 1 << 20), (5, 1 << 15),
                                 (6, 8192), (9, 1)) + frame(SETTINGS, ACK, 0) + \
        frame(HEADERS, END_STREAM | END_HEADERS, 1, GET)
    s["rst-then-data"] = HELLO + frame(HEADERS, END_HEADERS, 1, POST) + \
        frame(RST_STREAM, 0, 1, struct.pack(">I", 0)) + frame(DATA, 0, 1, b"late")
    return s


def files():
    out = {}
    for name, body in seeds().items():
        out[name] = bytes([F_PREFACE, 0]) + body
    s = seeds()
    # The client's own preface; and a client that is not HTTP/2 at all.
    out["own-preface"] = bytes([0, 1]) + PREFACE + s["get"]
    out["not-h2"] = bytes([0, 2]) + b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    # Other policies, other reads, other choices.
    out["get-small-window"] = bytes([F_PREFACE | policy(1), 3]) + s["post-content-length"]
    out["post-large-windows"] = bytes([F_PREFACE | policy(2) | split(2), 4]) + \
        s["window-update"]
    out["many-streams-max"] = bytes([F_PREFACE | policy(3) | split(3), 5]) + s["many-streams"]
    out["get-bytewise"] = bytes([F_PREFACE | split(1), 6]) + s["continuation"]
    # h2c upgrade: HTTP2-Settings MAX_CONCURRENT_STREAMS 100,
    # INITIAL_WINDOW_SIZE 33554432, ENABLE_PUSH 0; then the preface.
    up = b"AAMAAABkAAQCAAAAAAIAAAAA"
    out["upgrade"] = bytes([F_PREFACE | F_UPGRADE, 7, len(up)]) + up + HELLO + \
        frame(HEADERS, END_STREAM | END_HEADERS, 3, GET)
    out["upgrade-head"] = bytes([F_PREFACE | F_UPGRADE | F_UPGRADE_HEAD, 8, len(up)]) + up + \
        HELLO + frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 100))
    return out


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "h2_frames")
    os.makedirs(d, exist_ok=True)
    for name, body in sorted(files().items()):
        with open(os.path.join(d, name), "wb") as f:
            f.write(body)


if __name__ == "__main__":
    main()
