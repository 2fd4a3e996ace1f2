#!/usr/bin/python3
"""grpc_unary: a real gRPC server and client (python3-grpcio), bytes in and out.

usage: grpc_unary.py serve --ready-file FILE
       grpc_unary.py call --port P --path /e.E/Method [--stream] [MESSAGE]

serve: an h2c gRPC server on 127.0.0.1 (a free port, written to FILE) with a
generic handler:
  /e.E/Echo      unary: answers the request's bytes, status OK
  /e.E/Missing   unary: aborts NOT_FOUND, details "no such thing: <request>"
                 (no message: gRPC's trailers-only answer)
  /e.E/Partial   server streaming: answers "part:<request>", then aborts
                 NOT_FOUND, details "gone after one" (the status in trailers
                 after a message)

call: one call to 127.0.0.1:P through grpcio's own client (unary, or server
streaming with --stream), printed as one JSON object: {"code": "OK" or the
status code's name, "details": text or null, "messages": [texts],
"initial": {name: value} (the response head's metadata), "trailing":
{name: value}}. Exit status 0 whatever the status.
"""

import argparse
import json
import os
import sys
import time
from concurrent import futures

import grpc


def echo(request, context):
    return request


def missing(request, context):
    context.abort(grpc.StatusCode.NOT_FOUND, "no such thing: " + request.decode())


def partial(request, context):
    yield b"part:" + request
    context.abort(grpc.StatusCode.NOT_FOUND, "gone after one")


class Handler(grpc.GenericRpcHandler):
    def service(self, details):
        if details.method == "/e.E/Echo":
            return grpc.unary_unary_rpc_method_handler(echo)
        if details.method == "/e.E/Missing":
            return grpc.unary_unary_rpc_method_handler(missing)
        if details.method == "/e.E/Partial":
            return grpc.unary_stream_rpc_method_handler(partial)
        return None


def serve(args):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((Handler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with open(args.ready_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(args.ready_file + ".tmp", args.ready_file)
    while True:
        time.sleep(3600)


def metadata(md):
    return {k: (v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in (md or ())}


def call(args):
    channel = grpc.insecure_channel("127.0.0.1:%d" % args.port,
                                    options=[("grpc.enable_http_proxy", 0)])
    msg = args.message.encode()
    out = {"code": "OK", "details": None, "messages": [], "initial": {}, "trailing": {}}
    try:
        if args.stream:
            it = channel.unary_stream(args.path)(msg, timeout=10)
            try:
                for m in it:
                    out["messages"].append(m.decode("utf-8", "replace"))
            finally:
                out["initial"] = metadata(it.initial_metadata())
                out["trailing"] = metadata(it.trailing_metadata())
                out["code"] = it.code().name
                out["details"] = it.details() or None
        else:
            resp, c = channel.unary_unary(args.path).with_call(msg, timeout=10)
            out["messages"].append(resp.decode("utf-8", "replace"))
            out["initial"] = metadata(c.initial_metadata())
            out["trailing"] = metadata(c.trailing_metadata())
            out["details"] = c.details() or None
    except grpc.RpcError as e:
        out["code"] = e.code().name
        out["details"] = e.details() or None
        out["initial"] = metadata(e.initial_metadata())
        out["trailing"] = metadata(e.trailing_metadata())
    print(json.dumps(out, sort_keys=True))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--ready-file", required=True)
    c = sub.add_parser("call")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--path", required=True)
    c.add_argument("--stream", action="store_true")
    c.add_argument("message", nargs="?", default="")
    args = p.parse_args()
    return serve(args) if args.cmd == "serve" else call(args)


if __name__ == "__main__":
    sys.exit(main())
