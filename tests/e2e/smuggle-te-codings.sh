# Request smuggling: a Transfer-Encoding other than one plain "chunked".
# The gateway decodes no other coding, and a backend that does not know one
# may not see chunks where the gateway does (RFC 9112 §6.1): "gzip",
# "identity", "chunked, identity", "identity, chunked", "gzip, chunked",
# "xchunked", "chunked, chunked", chunked on two lines, an empty value, a
# quoted one, one after a vertical tab, ", chunked", and any
# Transfer-Encoding in HTTP/1.0. Each gets 400 "bad request" with
# "connection: close", the connection closes, and the backend receives not
# one byte. "CHUNKED" (codings are case-insensitive) is forwarded.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

smuggle_scenario <<'PY'
from faultlib import *

BODY = b"0\r\n\r\n" + INNER

def post(te_lines, version=b"1.1"):
    return b"POST /te HTTP/" + version + b"\r\nHost: x\r\n" + te_lines + b"\r\n" + BODY

smuggle_main([
    ("TE gzip", post(b"Transfer-Encoding: gzip\r\n")),
    ("TE identity", post(b"Transfer-Encoding: identity\r\n")),
    ("TE 'chunked, identity'", post(b"Transfer-Encoding: chunked, identity\r\n")),
    ("TE 'identity, chunked'", post(b"Transfer-Encoding: identity, chunked\r\n")),
    ("TE 'gzip, chunked'", post(b"Transfer-Encoding: gzip, chunked\r\n")),
    ("TE xchunked", post(b"Transfer-Encoding: xchunked\r\n")),
    ("TE 'chunked, chunked'", post(b"Transfer-Encoding: chunked, chunked\r\n")),
    ("TE chunked on two lines",
     post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
    ("TE identity line, then chunked line",
     post(b"Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n")),
    ("TE empty", post(b"Transfer-Encoding: \r\n")),
    ("TE '\"chunked\"'", post(b"Transfer-Encoding: \"chunked\"\r\n")),
    ("TE vertical tab, chunked", post(b"Transfer-Encoding: \x0bchunked\r\n")),
    ("TE ', chunked'", post(b"Transfer-Encoding: , chunked\r\n")),
    ("TE chunked in HTTP/1.0", post(b"Transfer-Encoding: chunked\r\n", version=b"1.0")),
], controls=[
    ("TE CHUNKED", post(b"Transfer-Encoding: CHUNKED\r\n")[:-len(INNER)]),
])
PY
