# Request smuggling: Content-Length together with Transfer-Encoding, in the
# forms http-bad-requests.sh does not send (TE first, CL 0, a TE hidden by
# a space before the colon or by obs-fold, in HTTP/1.0), each carrying a
# whole second request in its body. Each gets 400 "bad request" with
# "connection: close", the connection closes, and the backend receives not
# one byte (sgbackend's /requests), so neither reading of the body can reach
# it.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

smuggle_scenario <<'PY'
from faultlib import *

CHUNKED = b"0\r\n\r\n" + INNER
N = b"%d" % len(CHUNKED)

def post(headers, body=CHUNKED, version=b"1.1"):
    return b"POST /cl-te HTTP/" + version + b"\r\nHost: x\r\n" + headers + b"\r\n" + body

smuggle_main([
    ("TE then CL", post(b"Transfer-Encoding: chunked\r\nContent-Length: " + N + b"\r\n")),
    ("CL 0 then TE", post(b"Content-Length: 0\r\nTransfer-Encoding: chunked\r\n")),
    ("TE then CL 0", post(b"Transfer-Encoding: chunked\r\nContent-Length: 0\r\n")),
    ("CL and 'Transfer-Encoding : chunked' (space before the colon)",
     post(b"Content-Length: " + N + b"\r\nTransfer-Encoding : chunked\r\n")),
    ("CL and an obs-folded TE",
     post(b"Content-Length: " + N + b"\r\nTransfer-Encoding:\r\n chunked\r\n")),
    ("CL and TE in HTTP/1.0",
     post(b"Content-Length: " + N + b"\r\nTransfer-Encoding: chunked\r\n", version=b"1.0")),
    ("CL and TE 'chunked, identity'",
     post(b"Content-Length: " + N + b"\r\nTransfer-Encoding: chunked, identity\r\n")),
    ("CL and TE 'CHUNKED'",
     post(b"Content-Length: " + N + b"\r\nTransfer-Encoding: CHUNKED\r\n")),
], controls=[
    ("a valid chunked request", post(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n")),
])
PY
