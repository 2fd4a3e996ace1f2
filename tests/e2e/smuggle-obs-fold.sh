# Request smuggling: obs-fold (a header line continued on the next line
# after a space or tab), which RFC 9112 §5.2 lets a server refuse and which
# a backend may unfold otherwise: in an ordinary header, in
# Transfer-Encoding beside a Content-Length, and whitespace before the
# first header line. Each gets 400 "bad request" with "connection: close",
# the connection closes, and the backend receives not one byte.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

smuggle_scenario <<'PY'
from faultlib import *

smuggle_main([
    ("obs-fold with a space", b"GET /fold HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n"),
    ("obs-fold with a tab", b"GET /fold HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\tc\r\n\r\n"),
    ("obs-fold of Transfer-Encoding beside Content-Length",
     b"POST /fold HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n"
     b"Content-Length: %d\r\n\r\n" % (5 + len(INNER)) + b"0\r\n\r\n" + INNER),
    ("obs-fold of Content-Length",
     b"POST /fold HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n %d\r\n\r\n" % len(INNER) + INNER),
    ("whitespace before the first header line", b"GET /fold HTTP/1.1\r\n Host: x\r\n\r\n"),
])
PY
