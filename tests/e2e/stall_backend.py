#!/usr/bin/python3
"""stall_backend.py PORT STALL_SECONDS

An HTTP/1.1 upload sink that stops reading: for each connection it reads
the request head, then reads nothing for STALL_SECONDS (the client's bytes
pile up wherever the path lets them), then reads the Content-Length body
and answers 200 with {"bytes": N, "sha256": HEX}. One thread per
connection; prints "ready" once listening.
"""
import hashlib
import json
import socket
import sys
import threading
import time


def serve(conn, stall):
    with conn:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(1)  # byte by byte: never read past the head
            if not chunk:
                return
            head += chunk
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        time.sleep(stall)
        h = hashlib.sha256()
        got = 0
        while got < length:
            chunk = conn.recv(min(1 << 20, length - got))
            if not chunk:
                return
            h.update(chunk)
            got += len(chunk)
        body = json.dumps({"bytes": got, "sha256": h.hexdigest()}).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


def main():
    port, stall = int(sys.argv[1]), float(sys.argv[2])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, stall), daemon=True).start()


if __name__ == "__main__":
    main()
