#!/usr/bin/env python3
# Seed 000, step 3: the user's script, unchanged.
"""Demonstrate idle timeout: one run where it fires (idle too long), one where it does not."""
import pycurl
import socket
import time

URL = "http://localhost:8080/headers"
HEADERS = ["Host: idle.example"]
IDLE_TIMEOUT_SEC = 1  # match proxy config

# ACTIVESOCKET in newer pycurl/libcurl; LASTSOCKET in older (deprecated but common)
sock_info = getattr(pycurl, "ACTIVESOCKET", getattr(pycurl, "LASTSOCKET", None))
if sock_info is None:
    raise RuntimeError("pycurl has no ACTIVESOCKET or LASTSOCKET; upgrade pycurl/libcurl")


def connect_idle_then_send(sleep_sec: float) -> bool:
    """Connect with CONNECT_ONLY, sleep, then send request. Returns True if request succeeded."""
    c = pycurl.Curl()
    c.setopt(pycurl.URL, URL)
    c.setopt(pycurl.HTTPHEADER, HEADERS)
    c.setopt(pycurl.CONNECT_ONLY, 1)
    c.perform()

    time.sleep(sleep_sec)

    fd = c.getinfo(sock_info)
    if fd == -1:
        c.close()
        return False
    s = socket.socket(fileno=fd)
    try:
        s.sendall(b"GET /headers HTTP/1.1\r\nHost: idle.example\r\n\r\n")
        data = s.recv(4096).decode()
        # Check we got an HTTP response (e.g. 200)
        if data.strip().startswith("HTTP/"):
            return True
        return False
    except (BrokenPipeError, ConnectionResetError, OSError):
        return False
    finally:
        c.close()


def normal_request() -> bool:
    """Do a normal GET (connect + request + response in one go). No idle period."""
    c = pycurl.Curl()
    c.setopt(pycurl.URL, URL)
    c.setopt(pycurl.HTTPHEADER, HEADERS)
    c.setopt(pycurl.WRITEFUNCTION, lambda _: None)  # discard body
    try:
        c.perform()
        code = c.getinfo(pycurl.RESPONSE_CODE)
        c.close()
        return 200 <= code < 400
    except pycurl.error:
        c.close()
        return False

def main():
    # Scenario 1: idle LONGER than timeout -> connection closed, send fails
    print("=== 1. Idle timeout HIT (sleep > 1s) ===")
    print("Connect, then wait 2s with no data (proxy closes connection after 1s)...")
    ok = connect_idle_then_send(2.0)
    if ok:
        print("Unexpected: request succeeded (idle timeout may not be 1s or proxy didn't close).\n")
    else:
        print("Result: connection was closed by proxy (idle timeout worked).\n")
    # Scenario 2: normal request (no idle period) -> succeeds
    # No CONNECT_ONLY; we send the request immediately as part of perform().
    print("=== 2. Idle timeout NOT hit (normal request) ===")
    print("Send a normal GET (connect + request in one step; connection never idle)...")
    ok = normal_request()
    if ok:
        print("Result: request succeeded (connection was still open).\n")
    else:
        print("Unexpected: request failed (check URL and proxy).\n")


if __name__ == "__main__":
    main()
