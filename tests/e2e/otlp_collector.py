"""A test OTLP/HTTP collector: decodes ExportTraceServiceRequest bodies
(protobuf, by hand after opentelemetry-proto's trace.proto and
common.proto; or OTLP's JSON encoding when the POST's content-type is
application/json) and writes one JSON line per span to OUT, in the same
shape whichever the encoding.

usage: otlp_collector.py PORT OUT [--status N | --grpc] [--tls CERT KEY]

--status N answers every POST with N (default 200), so a test can play a
collector that fails. --grpc: OTLP/gRPC instead (TraceService/Export over
h2c, python3-grpcio with a generic handler: the bytes are decoded here
too). --tls CERT KEY: either over TLS with that certificate (gRPC: h2 by
ALPN). Runs until killed.
"""
import http.server
import json
import struct
import sys


def fields(b):
    """(field, wire, value) of one message: ints, bytes, or 8/4-byte ints."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 1:
            v = struct.unpack_from("<Q", b, i)[0]
            i += 8
        elif w == 5:
            v = struct.unpack_from("<I", b, i)[0]
            i += 4
        elif w == 2:
            n, i = varint(b, i)
            v = b[i:i + n]
            i += n
        else:
            raise ValueError("wire type %d" % w)
        yield f, w, v


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return v, i


def any_value(b):
    for f, _, v in fields(b):
        if f == 1:
            return v.decode()
        if f == 3:
            return v - (1 << 64) if v >= 1 << 63 else v
    return ""


def key_value(b):
    k, val = "", None
    for f, _, v in fields(b):
        if f == 1:
            k = v.decode()
        elif f == 2:
            val = any_value(v)
    return k, val


def span(b):
    s = {"attributes": {}, "events": [], "parent": "", "status": {}}
    for f, _, v in fields(b):
        if f == 1:
            s["trace_id"] = v.hex()
        elif f == 2:
            s["span_id"] = v.hex()
        elif f == 3:
            s["trace_state"] = v.decode()
        elif f == 4:
            s["parent"] = v.hex()
        elif f == 5:
            s["name"] = v.decode()
        elif f == 6:
            s["kind"] = v
        elif f == 7:
            s["start"] = v
        elif f == 8:
            s["end"] = v
        elif f == 9:
            k, val = key_value(v)
            s["attributes"][k] = val
        elif f == 11:
            ev = {}
            for g, _, x in fields(v):
                if g == 1:
                    ev["time"] = x
                elif g == 2:
                    ev["name"] = x.decode()
            s["events"].append(ev)
        elif f == 15:
            for g, _, x in fields(v):
                s["status"]["message" if g == 2 else "code"] = (
                    x.decode() if g == 2 else x)
        elif f == 16:
            s["flags"] = v
    return s


def export_request(body):
    out = []
    for f, _, rs in fields(body):
        if f != 1:
            continue
        service = None
        resource = {}
        for g, _, x in fields(rs):
            if g == 1:  # Resource
                for h, _, kv in fields(x):
                    if h == 1:
                        k, val = key_value(kv)
                        resource[k] = val
                        if k == "service.name":
                            service = val
            elif g == 2:  # ScopeSpans
                scope = None
                for h, _, y in fields(x):
                    if h == 1:
                        scope = dict((n, z.decode()) for n, _, z in fields(y)).get(1)
                    elif h == 2:
                        s = span(y)
                        s["service"] = service
                        s["resource"] = resource
                        s["scope"] = scope
                        out.append(s)
    return out


def json_any_value(v):
    """An AnyValue in OTLP JSON: intValue is a decimal string."""
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return int(v["intValue"])
    raise ValueError("AnyValue %r" % v)


def json_attributes(kvs):
    return dict((kv["key"], json_any_value(kv["value"])) for kv in kvs)


def json_span(j):
    """A Span in OTLP JSON (lowerCamelCase, hex ids, integer enums, 64-bit
    integers as strings; defaults left out) as span() gives one."""
    known = {"traceId", "spanId", "traceState", "parentSpanId", "flags", "name", "kind",
             "startTimeUnixNano", "endTimeUnixNano", "attributes", "events", "status"}
    if set(j) - known:
        raise ValueError("unknown span fields %r" % (set(j) - known))
    for k in ("startTimeUnixNano", "endTimeUnixNano"):
        if not isinstance(j[k], str):
            raise ValueError("%s is not a string: %r" % (k, j[k]))
    s = {"attributes": json_attributes(j.get("attributes", [])),
         "events": [{"time": int(e["timeUnixNano"]), "name": e["name"]}
                    for e in j.get("events", [])],
         "parent": j.get("parentSpanId", ""),
         "status": dict(j.get("status", {})),
         "trace_id": j["traceId"], "span_id": j["spanId"], "name": j["name"],
         "kind": j.get("kind", 0), "start": int(j["startTimeUnixNano"]),
         "end": int(j["endTimeUnixNano"]), "flags": j.get("flags", 0)}
    if "traceState" in j:
        s["trace_state"] = j["traceState"]
    for k in ("trace_id", "span_id", "parent"):
        bytes.fromhex(s[k])  # hex, as OTLP's JSON writes ids (not base64)
    return s


def json_export_request(body):
    out = []
    for rs in json.loads(body)["resourceSpans"]:
        resource = json_attributes(rs.get("resource", {}).get("attributes", []))
        for ss in rs.get("scopeSpans", []):
            for j in ss.get("spans", []):
                s = json_span(j)
                s["service"] = resource.get("service.name")
                s["resource"] = resource
                s["scope"] = ss.get("scope", {}).get("name")
                out.append(s)
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(n)
        json_body = self.headers.get("content-type") == "application/json"
        with open(OUT, "a") as f:
            f.write(json.dumps({"request": {
                "path": self.path,
                "content-type": self.headers.get("content-type"),
                "x-tenant": self.headers.get("x-tenant"),
            }}) + "\n")
            if STATUS == 200:
                for s in (json_export_request if json_body else export_request)(body):
                    f.write(json.dumps({"span": s}) + "\n")
        self.send_response(STATUS)
        self.send_header("content-type", "application/json" if json_body
                         else "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def serve_grpc(port, tls):
    from concurrent import futures
    import grpc
    import time

    def export(body, context):
        try:
            return record(body, context)
        except Exception:
            import traceback
            traceback.print_exc()
            raise

    def record(body, context):
        md = dict(context.invocation_metadata())
        with open(OUT, "a") as f:
            f.write(json.dumps({"request": {"path": "grpc", "x-tenant": md.get("x-tenant")}})
                    + "\n")
            for s in export_request(body):
                f.write(json.dumps({"span": s}) + "\n")
        return b""

    handler = grpc.method_handlers_generic_handler(
        "opentelemetry.proto.collector.trace.v1.TraceService",
        {"Export": grpc.unary_unary_rpc_method_handler(export)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    if tls:
        with open(tls[0], "rb") as c, open(tls[1], "rb") as k:
            creds = grpc.ssl_server_credentials([(k.read(), c.read())])
        server.add_secure_port("127.0.0.1:%d" % port, creds)
    else:
        server.add_insecure_port("127.0.0.1:%d" % port)
    server.start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    PORT, OUT = int(sys.argv[1]), sys.argv[2]
    STATUS, GRPC, TLS = 200, False, None
    args = sys.argv[3:]
    while args:
        if args[0] == "--status":
            STATUS, args = int(args[1]), args[2:]
        elif args[0] == "--grpc":
            GRPC, args = True, args[1:]
        elif args[0] == "--tls":
            TLS, args = (args[1], args[2]), args[3:]
        else:
            sys.exit("unknown argument " + args[0])
    if GRPC:
        serve_grpc(PORT, TLS)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    if TLS:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(TLS[0], TLS[1])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
