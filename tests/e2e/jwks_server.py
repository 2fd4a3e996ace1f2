#!/usr/bin/env python3
# A JWKS endpoint for the remote-JWKS scenario: serves FILE's bytes as
# they are at each request (so a scenario rotates keys, or serves garbage,
# by rewriting FILE), over HTTPS with CERT/KEY when given, with
# Cache-Control max-age AGE; appends a line per request to LOG.
#   jwks_server.py PORTFILE FILE LOG [CERT KEY]
import http.server
import ssl
import sys
import time

portfile, path, log = sys.argv[1:4]


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        with open(log, "a") as f:
            f.write("%.3f %s\n" % (time.time(), self.path))
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "public, max-age=3600")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
if len(sys.argv) > 5:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
