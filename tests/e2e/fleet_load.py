#!/usr/bin/python3
"""fleet_load: a bounded HTTP/1.1 load through one address, for the fleet
scenario's global rate limit.

usage: fleet_load.py HOST PORT PATH CONNS RATE SECONDS

CONNS keep-alive connections, each its own TCP connection (so that a load
balancer in TCP mode spreads them over its servers), each sending GET PATH
at RATE requests a second, from the start of the next whole second for
SECONDS whole seconds: at most CONNS * RATE * SECONDS requests, and about
SECONDS + 2 s of wall time (every request is bounded by a 5 s timeout). A
connection that fails is made again and the failure counted.

Prints one JSON object: {"start": S, "seconds": N, "windows": {"<second>":
{"<status>": n, ...}}, "errors": n}, each request counted in the whole
second (Unix time) it was sent in, which is the window a fixed-window rate
limit service counts it in, give or take the time to reach it; a request
sent late, past S + N, falls in a window after them.
"""
import http.client
import json
import sys
import threading
import time


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    conns, rate, seconds = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
    start = int(time.time()) + 1
    end = start + seconds
    lock = threading.Lock()
    windows = {}
    errors = [0]

    def worker(k):
        conn = None
        # the connections' requests interleave over each second
        due = start + k / (conns * rate)
        while True:
            now = time.time()
            if due >= end or now >= end + 2:
                break
            if now < due:
                time.sleep(due - now)
            due += 1.0 / rate
            sent = time.time()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=5)
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                status = str(resp.status)
                if resp.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                status = None
                if conn is not None:
                    conn.close()
                conn = None
            with lock:
                if status is None:
                    errors[0] += 1
                else:
                    w = windows.setdefault(str(int(sent)), {})
                    w[status] = w.get(status, 0) + 1
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"start": start, "seconds": seconds, "windows": windows,
                      "errors": errors[0]}))


if __name__ == "__main__":
    main()
