# Request smuggling: line endings a backend may split otherwise than the
# gateway: bare LF after the request line, in a header line, as the final
# line and everywhere, bare CR inside a head. Each gets 400 "bad request"
# with "connection: close", the connection closes, and the backend receives
# not one byte.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

smuggle_scenario <<'PY'
from faultlib import *

smuggle_main([
    ("bare LF everywhere", b"GET /lf HTTP/1.1\nHost: x\n\n"),
    ("bare LF after the request line", b"GET /lf HTTP/1.1\nHost: x\r\n\r\n"),
    ("bare LF ending one header line", b"GET /lf HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n"),
    ("bare LF as the final line", b"GET /lf HTTP/1.1\r\nHost: x\r\n\n"),
    ("bare LF hiding a Content-Length",
     b"POST /lf HTTP/1.1\r\nHost: x\r\nX-A: b\nContent-Length: %d\r\n\r\n" % len(INNER) + INNER),
    ("bare CR inside a header line", b"GET /lf HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n"),
    ("bare CR ending the request line", b"GET /lf HTTP/1.1\rHost: x\r\n\r\n"),
])
PY
