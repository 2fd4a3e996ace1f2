"""Echo backend for the TCP-route and tunnel scenarios.

usage: echo_server.py PORT [--eof]

Listens on 127.0.0.1:PORT and echoes every connection's bytes back, one
thread per connection. With --eof, after the client's FIN it sends "<eof>"
and half-closes, so a client can tell that its FIN went through and that
the backend's came back. Runs until killed.
"""
import socket
import sys
import threading


def serve(c, eof):
    try:
        while True:
            d = c.recv(262144)
            if not d:
                break
            c.sendall(d)
        if eof:
            c.sendall(b"<eof>")
            c.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        c.close()


def main():
    port, eof = int(sys.argv[1]), "--eof" in sys.argv[2:]
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", port))
    l.listen(128)
    while True:
        c, _ = l.accept()
        threading.Thread(target=serve, args=(c, eof), daemon=True).start()


if __name__ == "__main__":
    main()
