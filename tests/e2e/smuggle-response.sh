# Response smuggling: the backend's response framing disagrees with itself,
# and its body hides a whole second response (sgbackend modes clte, twocl).
# - Content-Length beside Transfer-Encoding: chunked (RFC 9112 §6.3: chunked
#   wins; an intermediary removes Content-Length): the client gets one 200
#   framed by chunks only (no Content-Length), body exactly "hello", and the
#   backend connection is never reused, so the hidden response reaches no
#   one: the next request on the same client connection gets its own answer.
# - Two different Content-Lengths: an invalid response, so 503 "upstream call
#   failed: invalid response: Protocol error" (README), nothing of the body,
#   and again the next request gets its own answer.
# Run with a keep-alive client connection, so a split would show.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

smuggle_scenario <<'PY'
from faultlib import *

backend = int(sys.argv[1])

def next_is_own(c, what):
    reused = metric("splicegate_pool_reuse_total")
    r = get(c, "/own")
    report(r.status == 200 and b'"path": "/own"' in r.body and r.header("x-smuggled") is None,
           "%s: the next request on the connection gets its own response (%r)" % (what, r))
    report(metric("splicegate_pool_reuse_total") == reused,
           "%s: the backend connection was not reused" % what)

# Control: after an ordinary response the backend connection is reused.
c = Conn()
get(c, "/first")
reused = metric("splicegate_pool_reuse_total")
get(c, "/second")
report(metric("splicegate_pool_reuse_total") == reused + 1,
       "control: after an ordinary response the next request reuses the backend connection")
c.close()

c = Conn()
t0 = backend_traffic(backend)
r = get(c, "/resp?mode=clte")
report(r.status == 200 and r.complete and r.body == b"hello"
       and r.all("content-length") == [] and r.header("transfer-encoding") == "chunked",
       "CL beside TE: one 200, chunked only, body exactly 'hello' (got %r %r, headers %r)"
       % (r, r.body[:80], r.headers))
next_is_own(c, "CL beside TE")
c.close()
t1 = backend_traffic(backend)
report(t1["heads"] - t0["heads"] == 2,
       "CL beside TE: the backend saw the two requests (%d)" % (t1["heads"] - t0["heads"]))

c = Conn()
r = get(c, "/resp?mode=twocl")
want = b"upstream call failed: invalid response: Protocol error"
report(r.status == 503 and r.body == want and r.complete,
       "two Content-Lengths: 503 %r (got %r %r)" % (want.decode(), r, r.body[:80]))
next_is_own(c, "two Content-Lengths")
report(c.after(0.5) == "open", "two Content-Lengths: nothing else arrived")
c.close()

c = Conn()
r = get(c, "/ok")
c.close()
report(r.status == 200 and r.complete, "the gateway keeps serving other clients (%r)" % r)
PY
