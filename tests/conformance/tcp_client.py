#!/usr/bin/python3
"""tcp_client: one attempt of the conformance suite's TCP client
(gateway-api conformance/utils/tcp/tcp.go, WaitForValidTCPResponse) against
the TCP echo (tests/backend/tcpecho.py, upstream's tcp-backend), through
the gateway. Standard library only; runs on Debian's /usr/bin/python3.

usage: tcp_client.py --port N [--host 127.0.0.1] [--sni NAME --ca FILE]
                     [--timeout SECONDS] [--send-once N]

Connects to HOST:PORT, with TLS when --sni is given, configured as the
suite's tls.Config{ServerName: NAME, RootCAs: the CA FILE, MinVersion: TLS
1.2}: SNI NAME, the server's certificate verified against FILE and for
NAME, no ALPN. Then, as the suite does, it reads the echo's welcome line
first (the echo speaks first), sends "PING\\n", "IS_TLS\\n" and "TEST\\n",
each after the answer to the one before, and prints one JSON object:
    {"welcome", "ping", "is_tls": the lines read, newline kept (null when
     none came), "test": the TEST answer parsed (null if none or not
     JSON), "error": what stopped the exchange, or null}
Exit status 0 when all four answers came, 1 otherwise. Every read and write
waits TIMEOUT seconds at most (default 10, the suite's RequestTimeout).

With --send-once N it makes N of the suite's EchoSendOnce exchanges
instead (plain TCP: the welcome line, then "TEST\\n" and its JSON answer),
10 at a time as TestWeightedDistribution's senders, and prints one line
per exchange: the answer's "pod", or "!" and why the exchange failed.
"""

import argparse
import json
import socket
import ssl
import sys

MAX_LINE = 65536


def exchange(args, out):
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    try:
        if args.sni is not None:
            ctx = ssl.create_default_context(cafile=args.ca)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            sock = ctx.wrap_socket(sock, server_hostname=args.sni)
        f = sock.makefile("rb")

        def line():
            b = f.readline(MAX_LINE + 1)
            if not b.endswith(b"\n"):
                raise EOFError("the connection ended before a whole line (%r)"
                               % b[:200])
            return b.decode("latin-1")

        out["welcome"] = line()
        sock.sendall(b"PING\n")
        out["ping"] = line()
        sock.sendall(b"IS_TLS\n")
        out["is_tls"] = line()
        sock.sendall(b"TEST\n")
        t = line()
        try:
            out["test"] = json.loads(t)
        except ValueError:
            raise ValueError("the TEST answer is not JSON: %r" % t[:200])
    finally:
        try:
            sock.close()
        except OSError:
            pass


def send_once(args):
    try:
        with socket.create_connection((args.host, args.port),
                                      timeout=args.timeout) as sock:
            f = sock.makefile("rb")
            welcome = f.readline(MAX_LINE + 1)
            if welcome != b"Gateway API Test TCP Server\n":
                return "!welcome %r" % welcome[:200]
            sock.sendall(b"TEST\n")
            pod = json.loads(f.readline(MAX_LINE + 1) or b"null")
            pod = pod.get("pod") if isinstance(pod, dict) else None
            return pod if pod else "!no pod in the TEST answer"
    except (OSError, ValueError) as e:
        return "!%s: %s" % (type(e).__name__, e)


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Conformance TCP client, one attempt (see module docstring).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sni", help="connect with TLS, this SNI (and name checked)")
    p.add_argument("--ca", help="CA file trusted for the TLS connection")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--send-once", type=int, metavar="N",
                   help="N EchoSendOnce exchanges, 10 at a time; one line each")
    args = p.parse_args(argv)
    if args.send_once:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(10) as pool:
            for line in pool.map(lambda _: send_once(args), range(args.send_once)):
                print(line)
        return 0
    out = {"welcome": None, "ping": None, "is_tls": None, "test": None,
           "error": None}
    try:
        exchange(args, out)
    except (OSError, EOFError, ValueError) as e:  # ssl.SSLError, timeouts: OSError
        out["error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(out))
    return 0 if out["error"] is None else 1


if __name__ == "__main__":
    sys.exit(main())
