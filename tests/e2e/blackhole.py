#!/usr/bin/python3
"""A backend whose connects never complete, for the connect-timeout
scenarios: a loopback listener with backlog 0 that never accepts, its
accept queue filled by its own idle connections. Linux drops SYNs to a
listener whose accept queue is full, so connect() just waits.

    blackhole.py PORTFILE
        Writes the listener's port to PORTFILE (atomically) once the queue
        is full, then sleeps until killed.
"""
import os
import socket
import sys
import time

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(0)
port = listener.getsockname()[1]
held = []
for _ in range(2):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    held.append(s)
time.sleep(0.2)
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % port)
os.rename(tmp, sys.argv[1])
time.sleep(3600)
