"""A small pet store HTTP API for mcp-openapi.sh, the operations of
agentgateway's examples/mcp-openapi document that the scenario calls,
under its server path /api/v3.

usage: petstore.py PORT LOG

Listens on 127.0.0.1:PORT. Each request is logged to LOG as one JSON line:
{"method", "target" (path and query as sent), "headers" (those named
x-*, api_key, authorization and content-type, lower-cased, in name order), "body" (as text)}.
  GET  /api/v3/pet/{id}            the pet (200), 404 {"message":"Pet not found"}
                                   for an id it lacks, 500 text "db down" for 666,
                                   3 MiB of JSON for 777, 2 MiB of 0x01 bytes with
                                   500 for 888, with 200 for 889
  GET  /api/v3/pet/findByStatus    the pets of each ?status= (a JSON array)
  POST /api/v3/pet                 the JSON body back with "id": 10 (200)
  DELETE /api/v3/pet/{id}          200 with an empty body
  GET  /api/v3/store/inventory     {"available": N, ...} from the pets
  GET  /api/v3/user/logout         200 text/plain "logged out"
Anything else: 404 text "no route".
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
pets = {
    1: {"id": 1, "name": "doggie", "status": "available"},
    2: {"id": 2, "name": "kitty", "status": "sold"},
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        heads = dict(sorted((k.lower(), v) for k, v in self.headers.items()
                            if k.lower().startswith("x-") or
                            k.lower() in ("api_key", "authorization", "content-type")))
        with lock:
            with open(sys.argv[2], "a") as log:
                log.write(json.dumps({"method": self.command, "target": self.path,
                                      "headers": heads,
                                      "body": body.decode("utf-8", "replace")}) + "\n")
        path, _, query = self.path.partition("?")
        parts = path.split("/")
        if self.command == "GET" and path == "/api/v3/pet/findByStatus":
            want = [kv.split("=", 1)[1] for kv in query.split("&") if kv.startswith("status=")]
            return self.answer(200, json.dumps([p for p in pets.values() if p["status"] in want]))
        if self.command == "GET" and path == "/api/v3/store/inventory":
            inv = {}
            for p in pets.values():
                inv[p["status"]] = inv.get(p["status"], 0) + 1
            return self.answer(200, json.dumps(inv))
        if self.command == "GET" and path == "/api/v3/user/logout":
            return self.answer(200, "logged out", "text/plain")
        if self.command == "POST" and path == "/api/v3/pet":
            pet = json.loads(body)
            pet["id"] = 10
            return self.answer(200, json.dumps(pet))
        if len(parts) == 5 and parts[:4] == ["", "api", "v3", "pet"]:
            if parts[4] == "666":
                return self.answer(500, "db down", "text/plain")
            if parts[4] == "777":
                return self.answer(200, json.dumps({"big": "x" * (3 << 20)}))
            if parts[4] in ("888", "889"):
                return self.answer(500 if parts[4] == "888" else 200, b"\x01" * (2 << 20),
                                   "text/plain")
            pid = int(parts[4]) if parts[4].isdigit() else -1
            if pid not in pets:
                return self.answer(404, json.dumps({"message": "Pet not found"}))
            if self.command == "DELETE":
                return self.answer(200, b"")
            if self.command == "GET":
                return self.answer(200, json.dumps(pets[pid]))
        return self.answer(404, "no route", "text/plain")

    do_GET = do_POST = do_PUT = do_DELETE = handle_one


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
