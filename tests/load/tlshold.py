#!/usr/bin/python3
"""tlshold: the HTTPS part of `make load` (scripts/load.sh).

Opens --conns TLS connections (TLS 1.3, ALPN http/1.1, certificate not
checked: the gateway's is self-signed) to 127.0.0.1:--port, sends one
keep-alive GET --path on each and reads its whole response, holds them all
--idle-ms, reads the gateway's RSS (VmRSS of --pid), then asks each once
more. Prints one line:

  RESULT held=H answered=A errors=E rss_base_kb=B rss_idle_kb=I rss_per_conn_b=P

answered counts the responses that were "200" with a body of --body-len
bytes (two rounds: at most 2 x conns); errors is conns*2 - answered. The
RSS base is read before the first connection. Exit status 0 when errors is
0. Standard library only (Debian's /usr/bin/python3).
"""
import argparse
import resource
import socket
import ssl
import sys
import time


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def response(sock, body_len):
    """Reads one response; True when it is a 200 with body_len bytes."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            return False
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while length is not None and len(rest) < length:
        d = sock.recv(65536)
        if not d:
            return False
        rest += d
    return head.startswith(b"HTTP/1.1 200") and length == body_len and len(rest) == body_len


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--path", default="/100b")
    ap.add_argument("--body-len", type=int, default=100)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--idle-ms", type=int, default=3000)
    ap.add_argument("--deadline-s", type=int, default=600)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    req = f"GET {a.path} HTTP/1.1\r\nHost: load\r\n\r\n".encode()
    end = time.monotonic() + a.deadline_s
    base = rss_kb(a.pid)
    conns, good = [], {}
    for i in range(a.conns):
        if time.monotonic() > end:
            break
        try:
            raw = socket.create_connection(("127.0.0.1", a.port), timeout=10)
            s = ctx.wrap_socket(raw, server_hostname="load.test")
            s.sendall(req)
            if response(s, a.body_len):
                good[i] = 1
            conns.append((i, s))
        except OSError as e:
            print(f"connection {i}: {e}", file=sys.stderr)
    time.sleep(a.idle_ms / 1000)
    idle = rss_kb(a.pid)
    for i, s in conns:
        if time.monotonic() > end:
            break
        try:
            s.sendall(req)
            if response(s, a.body_len) and good.get(i):
                good[i] = 2
        except OSError as e:
            print(f"connection {i}, round 2: {e}", file=sys.stderr)
    held = len(conns)
    answered = sum(good.values())
    errors = a.conns * 2 - answered
    per = (idle - base) * 1024 // max(held, 1)
    print(f"RESULT held={held} answered={answered} errors={errors} rss_base_kb={base} "
          f"rss_idle_kb={idle} rss_per_conn_b={per}")
    for _, s in conns:
        s.close()
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
