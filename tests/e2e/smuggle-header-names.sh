# Request smuggling: header names that are not tokens, which llhttp takes
# and a backend may read as another header (RFC 9112 §5.1 says to refuse
# whitespace before the colon with 400): a space or tab before the colon
# (also on Transfer-Encoding and Content-Length), a space inside the name,
# a separator in the name, an empty name. Each gets 400 "bad request" with
# "connection: close", the connection closes, and the backend receives not
# one byte.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

smuggle_scenario <<'PY'
from faultlib import *

smuggle_main([
    ("a space before the colon", b"GET /names HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n"),
    ("a tab before the colon", b"GET /names HTTP/1.1\r\nHost: x\r\nX-A\t: b\r\n\r\n"),
    ("'Content-Length : N'",
     b"POST /names HTTP/1.1\r\nHost: x\r\nContent-Length : %d\r\n\r\n" % len(INNER) + INNER),
    ("'Transfer-Encoding : chunked' without Content-Length",
     b"POST /names HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n" + INNER),
    ("a space inside the name", b"GET /names HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n"),
    ("a separator in the name", b"GET /names HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n"),
    ("an empty name", b"GET /names HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n"),
])
PY
