"""Echo backend for the TCP-route and tunnel scenarios.

usage: echo_server.py PORT [--eof | --count]

Listens on 127.0.0.1:PORT and echoes every connection's bytes back, one
thread per connection. With --eof, after the client's FIN it sends "<eof>"
and half-closes, so a client can tell that its FIN went through and that
the backend's came back. With --count it echoes nothing: after the
client's FIN it sends how many bytes it read (decimal) and closes, so a
stream goes one way only. Runs until killed.
"""
import socket
import sys
import threading


def serve(c, eof, count):
    try:
        got = 0
        while True:
            d = c.recv(262144)
            if not d:
                break
            got += len(d)
            if not count:
                c.sendall(d)
        if count:
            c.sendall(str(got).encode())
        elif eof:
            c.sendall(b"<eof>")
            c.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        c.close()


def main():
    port, eof, count = int(sys.argv[1]), "--eof" in sys.argv[2:], "--count" in sys.argv[2:]
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", port))
    l.listen(128)
    while True:
        c, _ = l.accept()
        threading.Thread(target=serve, args=(c, eof, count), daemon=True).start()


if __name__ == "__main__":
    main()
