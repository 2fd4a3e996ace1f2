"""Clients that stop reading a large response: each opens a connection,
sends GET PATH, reads the first FIRST bytes of the answer as fast as it
can (so that the kernel's buffers on the way grow as for a fast reader),
then reads nothing more and holds the connection open. Prints "stalled N"
once all N have read their FIRST bytes, then waits for a line on stdin
(or HOLD seconds) and closes them all.

usage: stalled_clients.py HOST PORT PATH N FIRST HOLD
"""
import select
import socket
import sys
import time


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    n, first, hold = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    conns, got = [], {}
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: stall.test\r\n\r\n" % path.encode())
        s.setblocking(False)
        conns.append(s)
        got[s] = 0
    deadline = time.monotonic() + 60
    waiting = set(conns)
    while waiting and time.monotonic() < deadline:
        ready, _, _ = select.select(list(waiting), [], [], 1)
        for s in ready:
            try:
                b = s.recv(1 << 20)
            except BlockingIOError:
                continue
            if not b:
                print("closed early after %d bytes" % got[s], flush=True)
                return 1
            got[s] += len(b)
            if got[s] >= first:
                waiting.discard(s)
    if waiting:
        print("only %d of %d read %d bytes" % (n - len(waiting), n, first), flush=True)
        return 1
    print("stalled %d" % n, flush=True)
    select.select([sys.stdin], [], [], hold)
    for s in conns:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
