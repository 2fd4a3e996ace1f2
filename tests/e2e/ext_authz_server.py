#!/usr/bin/python3
"""ext_authz_server: a real Envoy external authorization service, for the
extAuthz scenarios.

usage: ext_authz_server.py --grpc PORTFILE | --http PORTFILE [--unix PATH] --log FILE
                          [--delay-ms N]

--grpc: envoy.service.auth.v3.Authorization/Check over gRPC (python3-grpcio;
the stubs are compiled from tests/e2e/proto/ext_authz.proto with grpc_tools
into a temporary directory at start). --http: the HTTP protocol
(http.server). Either listens on 127.0.0.1, an ephemeral port written to
PORTFILE (--unix: the HTTP one on unix socket PATH instead, "unix" written
to PORTFILE), and appends one JSON line per check to FILE (what it was
asked; the gRPC one its metadata_context's filter_metadata as "metadata",
null when none came; the HTTP one "conn", the number of the connection it
came on, counted from 1 as they are accepted).

Decisions, by a segment of the request's path (/g/allow/x is /allow):
  /allow...  allowed; the request gets x-authz-user: alice (replacing any),
             loses x-remove-me; the response gets x-authz-decision: allowed
             (gRPC; over HTTP the answer carries x-authz-user, which
             includeResponseHeaders copies); gRPC's dynamic_metadata is
             {user: alice, groups: [dev, ops], level: 3, ratio: 0.5,
             nested: {ok: true}, none: null}
  /deny...   denied 418 with x-denied-by: authz and body "denied by policy"
  /plain...  denied without a response (gRPC: PERMISSION_DENIED alone;
             HTTP: 403 "forbidden")
  /slow...   sleeps 5 s, then allows
  /reset...  the connection is cut without an answer (HTTP), or the call is
             aborted with UNAVAILABLE (gRPC)
  /error...  gRPC: the call fails INTERNAL; HTTP: 500 "authz broke"
  /token.../whois...  HTTP: 200 with x-auth-request-user: alice,
             x-auth-request-email: alice@example.com and a JSON body
             {"access_token": <an unsigned JWT: sub alice, aud
             target-client, exp an hour ahead>, "Node": {"Name": "node1"}}
             (an OAuth token endpoint's and Tailscale's whois answers)
  /bye...    HTTP: allowed, then the connection is closed 0.2 s later (a
             service that closes idle connections)
  /inject... gRPC: allowed with x-authz-user: "alice\r\nx-smuggled: yes"
             (a value that is no field, which the gateway must refuse)
anything else: allowed, no edits. A request with header x-token: bad is
denied as /deny is. --delay-ms N: every check is answered N ms late (the
slow service of `make bench`'s W9; checks wait in parallel, one thread
each).
"""
import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def log_line(path, obj):
    with open(path, "a") as f:
        f.write(json.dumps(obj) + "\n")


def decision(path, headers):
    if headers.get("x-token") == "bad":
        return "deny"
    for name in ("allow", "deny", "plain", "slow", "reset", "error", "token", "whois", "bye",
                 "inject"):
        if "/" + name in path:
            return name
    return "pass"


def b64url(obj):
    import base64
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def token_body():
    jwt = ".".join([b64url({"alg": "none"}),
                    b64url({"sub": "alice", "aud": "target-client", "exp": int(time.time()) + 3600}),
                    "sig"])
    return json.dumps({"access_token": jwt, "Node": {"Name": "node1"},
                       "UserProfile": {"LoginName": "alice@example.com"}})


def value_py(v):
    kind = v.WhichOneof("kind")
    if kind == "struct_value":
        return struct_py(v.struct_value)
    if kind == "list_value":
        return [value_py(x) for x in v.list_value.values]
    if kind in (None, "null_value"):
        return None
    return getattr(v, kind)


def struct_py(s):
    return {k: value_py(v) for k, v in s.fields.items()}


def grpc_main(args):
    import grpc
    from concurrent import futures
    from grpc_tools import protoc

    out = tempfile.mkdtemp(prefix="ext_authz_pb")
    rc = protoc.main(["protoc", "-I" + os.path.join(HERE, "proto"), "--python_out=" + out,
                      "--grpc_python_out=" + out, os.path.join(HERE, "proto", "ext_authz.proto")])
    if rc != 0:
        sys.exit("protoc failed")
    sys.path.insert(0, out)
    import ext_authz_pb2 as pb
    import ext_authz_pb2_grpc as pbg

    class Authz(pbg.AuthorizationServicer):
        def Check(self, req, ctx):
            h = req.attributes.request.http
            headers = dict(h.headers)
            d = decision(h.path, headers)
            time.sleep(args.delay_ms / 1000)
            log_line(args.log, {
                "path": h.path, "method": h.method, "host": h.host, "scheme": h.scheme,
                "protocol": h.protocol, "headers": headers, "body": h.body,
                "raw_body": h.raw_body.decode("latin-1"), "size": h.size,
                "source": req.attributes.source.address.socket_address.address,
                "source_port": req.attributes.source.address.socket_address.port_value,
                "destination": req.attributes.destination.address.socket_address.address,
                "destination_port":
                    req.attributes.destination.address.socket_address.port_value,
                "context": dict(req.attributes.context_extensions),
                "metadata": ({k: struct_py(v) for k, v in
                              req.attributes.metadata_context.filter_metadata.items()}
                             if req.attributes.HasField("metadata_context") else None),
                "time": req.attributes.request.time.seconds})
            if d == "slow":
                time.sleep(5)
            if d == "reset":
                ctx.abort(grpc.StatusCode.UNAVAILABLE, "going away")
            if d == "error":
                ctx.abort(grpc.StatusCode.INTERNAL, "authz broke")
            r = pb.CheckResponse()
            if d == "allow":
                ok = r.ok_response
                hv = ok.headers.add()
                hv.header.key, hv.header.value = "x-authz-user", "alice"
                hv.append.value = False
                ok.headers_to_remove.append("x-remove-me")
                rv = ok.response_headers_to_add.add()
                rv.header.key, rv.header.value = "x-authz-decision", "allowed"
                md = r.dynamic_metadata.fields
                md["user"].string_value = "alice"
                for g in ("dev", "ops"):
                    md["groups"].list_value.values.add().string_value = g
                md["level"].number_value = 3
                md["ratio"].number_value = 0.5
                md["nested"].struct_value.fields["ok"].bool_value = True
                md["none"].null_value = 0
            elif d == "inject":
                hv = r.ok_response.headers.add()
                hv.header.key, hv.header.value = "x-authz-user", "alice\r\nx-smuggled: yes"
            elif d == "deny":
                r.status.code = 7
                r.denied_response.status.code = 418
                dv = r.denied_response.headers.add()
                dv.header.key, dv.header.value = "x-denied-by", "authz"
                r.denied_response.body = "denied by policy"
            elif d == "plain":
                r.status.code = 7
            return r

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    pbg.add_AuthorizationServicer_to_server(Authz(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with open(args.grpc + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.grpc + ".tmp", args.grpc)
    server.wait_for_termination()


def http_main(args):
    import socketserver
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    conns = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def setup(self):
            super().setup()
            with lock:
                conns[0] += 1
                self.conn_no = conns[0]

        def answer(self, status, body, extra=()):
            b = body.encode()
            self.send_response(status)
            for k, v in extra:
                self.send_header(k, v)
            self.send_header("content-length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def handle_any(self):
            n = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(n) if n else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            d = decision(self.path, headers)
            time.sleep(args.delay_ms / 1000)
            log_line(args.log, {"path": self.path, "method": self.command,
                                "headers": headers, "body": body.decode("latin-1"),
                                "conn": self.conn_no})
            if d == "slow":
                time.sleep(5)
            if d == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.connection.close()
                self.close_connection = True
                return
            if d == "allow":
                self.answer(200, "", [("x-authz-user", "alice"), ("x-other", "no")])
            elif d == "deny":
                self.answer(418, "denied by policy", [("x-denied-by", "authz")])
            elif d == "plain":
                self.answer(403, "forbidden")
            elif d == "error":
                self.answer(500, "authz broke")
            elif d in ("token", "whois"):
                self.answer(200, token_body(), [("content-type", "application/json"),
                                                ("x-auth-request-user", "alice"),
                                                ("x-auth-request-email", "alice@example.com")])
            elif d == "bye":
                self.answer(200, "")
                conn = self.connection
                threading.Timer(0.2, lambda: conn.shutdown(socket.SHUT_RDWR)).start()
            else:
                self.answer(200, "")

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

    class Server(ThreadingHTTPServer):
        request_queue_size = 256  # listen(2)'s backlog: many checks may connect at once

    class UnixServer(socketserver.ThreadingUnixStreamServer):
        request_queue_size = 256

    if args.unix:
        srv = UnixServer(args.unix, Handler)
    else:
        srv = Server(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(args.http + ".tmp", "w") as f:
        f.write("unix" if args.unix else str(srv.server_address[1]))
    os.rename(args.http + ".tmp", args.http)
    srv.serve_forever()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grpc")
    ap.add_argument("--http")
    ap.add_argument("--unix")
    ap.add_argument("--log", required=True)
    ap.add_argument("--delay-ms", type=int, default=0)
    args = ap.parse_args()
    if args.grpc:
        grpc_main(args)
    else:
        http_main(args)


if __name__ == "__main__":
    main()
