#!/usr/bin/python3
"""ratelimit_server: a real Envoy rate limit service over gRPC, backed by
Redis as envoyproxy/ratelimit is, for the global rate limit scenarios.

usage: ratelimit_server.py --config FILE --redis PORT --port-file FILE --log FILE [--host ADDR]

envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit (python3-grpcio;
the stubs are compiled from tests/e2e/proto/rls.proto with grpc_tools into a
temporary directory at start), on --host (127.0.0.1), an ephemeral port written to
--port-file. --config is envoyproxy/ratelimit's configuration format (domain;
descriptors of key, optional value, optional rate_limit {unit,
requests_per_unit}, nested descriptors). A request's descriptor is matched
entry by entry down the tree (a node with the entry's value first, else one
with its key and no value), and the node its last entry reaches limits it
when it has a rate_limit: a fixed-window counter in Redis (INCRBY and EXPIRE
on a key of domain, entries and window start), as envoyproxy/ratelimit's
fixed window cache does. Each call appends one JSON line to --log (the
domain and descriptors it was asked about, and its overall code).

Test hooks beyond envoyproxy/ratelimit, by descriptor entry:
  key "sleep"   the service sleeps <value> seconds before it answers
  key "extras"  the answer carries response header x-rls: <value> and
                request header x-rls-request: <value>, and an OVER_LIMIT
                answer the raw body "over the limit: <value>"
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time

import redis
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
UNIT_CODES = {"second": 1, "minute": 2, "hour": 3, "day": 4}


def find(nodes, key, value):
    exact = [n for n in nodes if n.get("key") == key and str(n.get("value", "")) == value
             and "value" in n]
    if exact:
        return exact[0]
    wild = [n for n in nodes if n.get("key") == key and "value" not in n]
    return wild[0] if wild else None


def limit_of(cfg, entries):
    nodes = cfg.get("descriptors", [])
    node = None
    for e in entries:
        node = find(nodes, e.key, e.value)
        if node is None:
            return None
        nodes = node.get("descriptors", [])
    return node.get("rate_limit") if node else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--redis", type=int, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args()

    import grpc
    from concurrent import futures
    from grpc_tools import protoc

    out = tempfile.mkdtemp(prefix="rls_pb")
    rc = protoc.main(["protoc", "-I" + os.path.join(HERE, "proto"), "--python_out=" + out,
                      "--grpc_python_out=" + out, os.path.join(HERE, "proto", "rls.proto")])
    if rc != 0:
        sys.exit("protoc failed")
    sys.path.insert(0, out)
    import rls_pb2 as pb
    import rls_pb2_grpc as pbg

    with open(args.config) as f:
        cfg = yaml.safe_load(f)
    db = redis.Redis(host="127.0.0.1", port=args.redis)
    lock = threading.Lock()

    class Service(pbg.RateLimitServiceServicer):
        def ShouldRateLimit(self, req, ctx):
            resp = pb.RateLimitResponse(overall_code=pb.RateLimitResponse.OK)
            extras = None
            now = time.time()
            for d in req.descriptors:
                for e in d.entries:
                    if e.key == "extras":
                        extras = e.value
                    if e.key == "sleep":
                        time.sleep(float(e.value))
                st = resp.statuses.add(code=pb.RateLimitResponse.OK)
                rl = limit_of(cfg, d.entries) if req.domain == cfg.get("domain") else None
                if not rl:
                    continue
                unit = UNITS[rl["unit"]]
                n = int(rl["requests_per_unit"])
                window = int(now // unit) * unit
                key = "%s_%s_%d" % (req.domain, "_".join(
                    "%s_%s" % (e.key, e.value) for e in d.entries), window)
                pipe = db.pipeline()
                pipe.incrby(key, req.hits_addend or 1)
                pipe.expire(key, unit)
                count = pipe.execute()[0]
                st.current_limit.requests_per_unit = n
                st.current_limit.unit = UNIT_CODES[rl["unit"]]
                st.limit_remaining = max(n - count, 0)
                st.duration_until_reset.seconds = int(window + unit - now) or 1
                if count > n:
                    st.code = pb.RateLimitResponse.OVER_LIMIT
                    resp.overall_code = pb.RateLimitResponse.OVER_LIMIT
            if extras is not None:
                resp.response_headers_to_add.add(key="x-rls", value=extras)
                resp.request_headers_to_add.add(key="x-rls-request", value=extras)
                if resp.overall_code == pb.RateLimitResponse.OVER_LIMIT:
                    resp.raw_body = ("over the limit: " + extras).encode()
            with lock, open(args.log, "a") as f:
                f.write(json.dumps({
                    "domain": req.domain,
                    "descriptors": [[[e.key, e.value] for e in d.entries]
                                    for d in req.descriptors],
                    "code": resp.overall_code}) + "\n")
            return resp

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    pbg.add_RateLimitServiceServicer_to_server(Service(), server)
    port = server.add_insecure_port(args.host + ":0")
    server.start()
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
