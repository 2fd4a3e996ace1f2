"""A scriptable MCP server over stdio for mcp-stream.sh: a target that
sends the client more than server-everything ever does, on demand.

usage: mcp_stdio_fake.py [--hang-init FILE] [--notes FILE]

One JSON-RPC message a line on stdin and stdout. initialize answers the
protocol version asked (none while FILE of --hang-init exists: a target
that never finishes its handshake); notifications get nothing (each one's
method is appended, a line, to FILE of --notes). tools/list lists the
tools below; tools/call NAME (arguments in brackets):
  flood    5000 notifications/message at once, then the result "flooded"
  big      [n, size] n notifications/message of `size` bytes of data each,
           then the result "sent"
  later    [n, size] the result "sent", then as big's notifications: no
           call claims them, the gateway sends them on the session's GET
           stream (a POST must accept an event stream, which carries what
           its target sends during the call)
  ask      a request roots/list to the client; its answer's first root's
           uri (or its error's message) is the result's text
  hello    the result "hello"
  pid      the result: this process's pid (mcp-sessions.sh maps sessions
           to the gateway's children with it)
  wait     no answer ever: a call that waits until its target is gone
  exit     the process exits (status 3) without an answer
  init     the result "NAME VERSION STATE": the clientInfo name and the
           protocol version of the initialize this process got, and
           "initialized" once notifications/initialized came (else "new")
completion/complete answers one value: its ref's name (or uri) as it came.
notifications/cancelled answers its requestId with the error -32800.
"""
import json
import os
import sys

TOOLS = ["flood", "big", "later", "ask", "hello", "pid", "wait", "exit", "init"]
out = sys.stdout
seen = {"init": None, "initialized": False}
opts = dict(zip(sys.argv[1::2], sys.argv[2::2]))


def send(msg):
    out.write(json.dumps(msg) + "\n")
    out.flush()


def result(mid, text):
    send({"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": text}]}})


def log(data):
    return {"jsonrpc": "2.0", "method": "notifications/message",
            "params": {"level": "info", "data": data}}


def call(mid, name, args):
    if name == "flood":
        line = json.dumps(log("flood")) + "\n"
        out.write(line * 5000)
        out.flush()
        result(mid, "flooded")
    elif name == "big":
        for i in range(int(args.get("n", 1))):
            send(log("%d:%s" % (i, "x" * int(args.get("size", 1)))))
        result(mid, "sent")
    elif name == "later":
        result(mid, "sent")
        for i in range(int(args.get("n", 1))):
            send(log("%d:%s" % (i, "x" * int(args.get("size", 1)))))
    elif name == "ask":
        send({"jsonrpc": "2.0", "id": "roots-1", "method": "roots/list"})
        for line in sys.stdin:
            msg = json.loads(line)
            if msg.get("id") == "roots-1" and "method" not in msg:
                if "result" in msg:
                    roots = msg["result"].get("roots", [])
                    result(mid, roots[0]["uri"] if roots else "no roots")
                else:
                    result(mid, "error: " + msg["error"]["message"])
                return
    elif name == "hello":
        result(mid, "hello")
    elif name == "pid":
        result(mid, str(os.getpid()))
    elif name == "wait":
        pass
    elif name == "exit":
        os._exit(3)
    elif name == "init":
        p = seen["init"] or {}
        result(mid, "%s %s %s" % (p.get("clientInfo", {}).get("name"), p.get("protocolVersion"),
                                  "initialized" if seen["initialized"] else "new"))
    else:
        send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32602, "message": "no such tool"}})


for line in sys.stdin:
    msg = json.loads(line)
    method, mid = msg.get("method"), msg.get("id")
    if method == "notifications/initialized":
        seen["initialized"] = True
    if method == "notifications/cancelled":  # the cancelled request: an error
        send({"jsonrpc": "2.0", "id": msg.get("params", {}).get("requestId"),
              "error": {"code": -32800, "message": "cancelled"}})
    if mid is None and method and "--notes" in opts:
        with open(opts["--notes"], "a") as f:
            f.write(method + "\n")
    if mid is None or method is None:
        continue
    if method == "initialize" and os.path.exists(opts.get("--hang-init", "")):
        continue
    if method == "initialize":
        seen["init"] = msg.get("params")
        send({"jsonrpc": "2.0", "id": mid, "result": {
            "protocolVersion": msg["params"]["protocolVersion"],
            "capabilities": {"tools": {}, "logging": {}},
            "serverInfo": {"name": "stdio-fake", "version": "1"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": mid, "result": {"tools": [
            {"name": t, "inputSchema": {"type": "object"}} for t in TOOLS]}})
    elif method == "tools/call":
        p = msg.get("params", {})
        call(mid, p.get("name"), p.get("arguments") or {})
    elif method == "ping":
        send({"jsonrpc": "2.0", "id": mid, "result": {}})
    elif method == "completion/complete":  # the values: the prompt's name, as it came
        ref = msg.get("params", {}).get("ref", {})
        send({"jsonrpc": "2.0", "id": mid, "result": {"completion": {
            "values": [ref.get("name") or ref.get("uri")]}}})
    else:
        send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": "no " + method}})
