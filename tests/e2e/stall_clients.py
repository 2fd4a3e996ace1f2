#!/usr/bin/python3
"""stall_clients.py PORT N SIZE READ HOLD

N clients (each with a 1 MiB receive buffer) that each GET /?size=SIZE from 127.0.0.1:PORT (HTTP/1.1), read
the first READ bytes of the response as fast as they come, then stop
reading and hold their connections open for HOLD seconds (or until stdin
closes). Prints "stalled N" once every client has read its READ bytes (or
"short K" with how many did not within 60 s), then "done" at the end.
"""
import select
import socket
import sys
import time


def main():
    port, n, size, want, hold = (int(a) for a in sys.argv[1:6])
    socks = []
    got = {}
    for _ in range(n):
        # A receive buffer of its own size, as a client on another host
        # would have: autotuned here, up to tcp_rmem's maximum (32 MiB on
        # some machines), 120 of them took the host's TCP memory near its
        # pressure threshold, where receivers drop and the gateway's send
        # queues hold what they dropped, by chance.
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /?size=%d HTTP/1.1\r\nHost: stall\r\n\r\n" % size)
        s.setblocking(False)
        socks.append(s)
        got[s] = 0
    reading = set(socks)
    deadline = time.monotonic() + 60
    while reading and time.monotonic() < deadline:
        ready, _, _ = select.select(list(reading), [], [], 1)
        for s in ready:
            try:
                data = s.recv(min(262144, want - got[s]))
            except BlockingIOError:
                continue
            if not data:
                reading.discard(s)
                continue
            got[s] += len(data)
            if got[s] >= want:
                reading.discard(s)
    short = sum(1 for s in socks if got[s] < want)
    print("stalled %d" % n if not short else "short %d" % short, flush=True)
    select.select([sys.stdin], [], [], hold)
    for s in socks:
        s.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
