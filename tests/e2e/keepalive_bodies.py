#!/usr/bin/python3
"""keepalive_bodies.py HOST PORT REQUESTS CONNECTIONS

REQUESTS requests spread over CONNECTIONS keep-alive connections (one thread
each) to sgbackend behind the gateway: even ones download size=N bytes of
its pattern (byte i is i % 251) and compare them, odd ones upload N pattern
bytes to /upload and compare the sha256 it reports. N is log-uniform in
[0, 8 MiB] from a fixed seed. Every response must be 200 with the exact
body, on the same connection (a reconnect is an error). Prints
"N requests, M MiB down, K MiB up" and exits 0, or prints the first error
and exits 1.
"""
import hashlib
import http.client
import json
import random
import sys
import threading

MAX = 8 << 20
PATTERN = bytes(i % 251 for i in range(251)) * (MAX // 251 + 1)


def sizes(seed, count):
    rnd = random.Random(seed)
    return [min(MAX, int(2 ** rnd.uniform(0, 23)) - 1) for _ in range(count)]


class Worker(threading.Thread):
    def __init__(self, host, port, index, count):
        super().__init__(daemon=True)
        self.host, self.port, self.index, self.count = host, port, index, count
        self.error = None
        self.down = self.up = 0

    def run(self):
        try:
            self.work()
        except Exception as e:  # report, do not hang the test
            self.error = "connection %d: %r" % (self.index, e)

    def work(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.connect()
        sock = conn.sock
        for i, n in enumerate(sizes(self.index, self.count)):
            if i % 2 == 0:
                conn.request("GET", "/bytes?size=%d" % n)
                r = conn.getresponse()
                body = r.read()
                if r.status != 200 or body != PATTERN[:n]:
                    raise AssertionError("GET size=%d: status %d, %d bytes%s" % (
                        n, r.status, len(body),
                        "" if len(body) != n else " (content differs)"))
                self.down += n
            else:
                data = memoryview(PATTERN)[:n]
                conn.request("POST", "/upload", body=data,
                             headers={"Content-Length": str(n)})
                r = conn.getresponse()
                got = json.loads(r.read())
                want = hashlib.sha256(data).hexdigest()
                if r.status != 200 or got.get("bytes") != n or got.get("sha256") != want:
                    raise AssertionError("POST %d bytes: status %d, %r" % (n, r.status, got))
                self.up += n
            if conn.sock is not sock:
                raise AssertionError("request %d: the connection was not kept alive" % i)
        conn.close()


def main():
    host, port, total, nconn = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    workers = [Worker(host, port, i, total // nconn + (i < total % nconn)) for i in range(nconn)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    errors = [w.error for w in workers if w.error]
    if errors:
        print("; ".join(errors))
        return 1
    print("%d requests, %d MiB down, %d MiB up" % (
        total, sum(w.down for w in workers) >> 20, sum(w.up for w in workers) >> 20))
    return 0


if __name__ == "__main__":
    sys.exit(main())
