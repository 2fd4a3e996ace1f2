"""A scriptable MCP server over streamable HTTP for mcp-http.sh: what
server-everything never does (answers in plain JSON, fails, sends too
much, forgets its session), on demand.

usage: mcp_fake.py PORT LOG [CERT KEY]

Listens on 127.0.0.1:PORT (over TLS with CERT and KEY) and serves POST and
DELETE at any path. Answers
are application/json (not an SSE stream). initialize answers protocol
version 2025-06-18 with Mcp-Session-Id "fake-<n>"; later requests without
a session of its own get 400, notifications 202. tools/list lists the
tools below; tools/call NAME:
  whoami    the text "session=<Mcp-Session-Id> version=<MCP-Protocol-Version>"
            as this request carried them
  fail      500 with a JSON-RPC error "boom"
  garbage   200 application/json that is not JSON
  huge      200 text/event-stream with one event of 5 MiB
  linger    200 text/event-stream with the response, the stream then kept
            open for 20 s (MCP says a server should end it; not all do)
  forget    the session is dropped, and this request gets 404
  creds     the text "authorization=<Authorization> cookie=<Cookie> path=<path>"
            as this request carried them
Each request is logged to LOG as one line: METHOD SESSION JSON-RPC-METHOD
cN, N numbering the connection it came on (HTTP/1.1 keep-alive: a
connection carries requests until its client closes it).
"""
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOOLS = ["whoami", "fail", "garbage", "huge", "linger", "forget", "creds"]
lock = threading.Lock()
sessions = set()
count = [0]
conns = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        with lock:
            conns[0] += 1
            self.conn = conns[0]

    def note(self, what):
        with lock, open(sys.argv[2], "a") as f:
            f.write("%s c%d\n" % (what, self.conn))

    def answer(self, status, body=b"", ctype="application/json", sid=None):
        self.send_response(status)
        if body:
            self.send_header("Content-Type", ctype)
        if sid:
            self.send_header("Mcp-Session-Id", sid)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def result(self, mid, result, sid=None):
        self.answer(200, json.dumps({"jsonrpc": "2.0", "id": mid, "result": result}).encode(),
                    sid=sid)

    def do_DELETE(self):
        sid = self.headers.get("Mcp-Session-Id", "-")
        self.note("DELETE %s -" % sid)
        with lock:
            known = sid in sessions
            sessions.discard(sid)
        self.answer(200 if known else 404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        sid = self.headers.get("Mcp-Session-Id")
        msg = json.loads(body)
        method = msg.get("method", "-")
        self.note("POST %s %s" % (sid or "-", method))
        if method == "initialize":
            with lock:
                count[0] += 1
                sid = "fake-%d" % count[0]
                sessions.add(sid)
            self.result(msg["id"], {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                                    "serverInfo": {"name": "fake", "version": "1"}}, sid)
            return
        with lock:
            known = sid in sessions
        if not known:
            self.answer(400, b'{"jsonrpc":"2.0","id":null,"error":{"code":-32000,'
                        b'"message":"Bad Request: no such session"}}')
            return
        if "id" not in msg:
            self.answer(202)
            return
        if method == "tools/list":
            self.result(msg["id"], {"tools": [{"name": t, "inputSchema": {"type": "object"}}
                                              for t in TOOLS]})
            return
        name = msg.get("params", {}).get("name")
        if name == "whoami":
            text = "session=%s version=%s" % (sid, self.headers.get("MCP-Protocol-Version"))
            self.result(msg["id"], {"content": [{"type": "text", "text": text}]})
        elif name == "creds":
            text = "authorization=%s cookie=%s path=%s" % (
                self.headers.get("Authorization"), self.headers.get("Cookie"), self.path)
            self.result(msg["id"], {"content": [{"type": "text", "text": text}]})
        elif name == "fail":
            self.answer(500, json.dumps({"jsonrpc": "2.0", "id": msg["id"], "error": {
                "code": -32603, "message": "boom"}}).encode())
        elif name == "garbage":
            self.answer(200, b"this is not JSON")
        elif name == "huge":
            data = json.dumps({"jsonrpc": "2.0", "id": msg["id"],
                               "result": {"content": [{"type": "text", "text": "x" * (5 << 20)}]}})
            self.answer(200, ("event: message\ndata: %s\n\n" % data).encode(),
                        ctype="text/event-stream")
        elif name == "linger":
            data = json.dumps({"jsonrpc": "2.0", "id": msg["id"],
                               "result": {"content": [{"type": "text", "text": "lingered"}]}})
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write((": a comment\n\nevent: message\ndata: %s\n\n" % data).encode())
            self.wfile.flush()
            time.sleep(20)
            self.close_connection = True
        elif name == "forget":
            with lock:
                sessions.discard(sid)
            self.answer(404)
        else:
            self.answer(200, json.dumps({"jsonrpc": "2.0", "id": msg["id"], "error": {
                "code": -32602, "message": "no such tool"}}).encode())


ThreadingHTTPServer.daemon_threads = True
httpd = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
httpd.serve_forever()
