#!/usr/bin/python3
"""A client that keeps sending after a request the gateway refuses, for the
lingering-close checks: sends HEAD (a request with Content-Length and
Transfer-Encoding, which gets 400), waits 0.2 s (the gateway has answered
and lingers), then sends BYTES more in 64 KiB writes, then its FIN, and
reads the answer to EOF.

    linger_client.py PORT BYTES
        Prints JSON: {"sent": N, "send_error": "..." or null,
        "answer": the first line received, "bytes": bytes received,
        "error": a read error or null}.
"""
import json
import socket
import sys
import time

port, total = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
out = {"sent": 0, "send_error": None, "answer": "", "bytes": 0, "error": None}
junk = b"x" * 65536
time.sleep(0.2)
try:
    while out["sent"] < total:
        out["sent"] += s.send(junk[:min(65536, total - out["sent"])])
    s.shutdown(socket.SHUT_WR)
except OSError as e:
    out["send_error"] = str(e)
got = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
except OSError as e:
    out["error"] = str(e)
out["answer"] = got.split(b"\r\n", 1)[0].decode("latin-1")
out["bytes"] = len(got)
print(json.dumps(out))
