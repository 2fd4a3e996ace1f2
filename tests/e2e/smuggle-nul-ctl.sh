# Bad input: NUL and other control characters in a head, which backends
# truncate or split at differently: NUL in a header value, in a header name,
# in the request target; SOH and DEL in a value; NUL in Content-Length.
# Each gets 400 "bad request" with "connection: close", the connection
# closes, and the backend receives not one byte.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

smuggle_scenario <<'PY'
from faultlib import *

smuggle_main([
    ("NUL in a header value", b"GET /nul HTTP/1.1\r\nHost: x\r\nX-A: b\x00c\r\n\r\n"),
    ("NUL in a header name", b"GET /nul HTTP/1.1\r\nHost: x\r\nX-\x00A: b\r\n\r\n"),
    ("NUL in the request target", b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("NUL in Host", b"GET /nul HTTP/1.1\r\nHost: x\x00.evil\r\n\r\n"),
    ("NUL in Content-Length",
     b"POST /nul HTTP/1.1\r\nHost: x\r\nContent-Length: 5\x000\r\n\r\nhello" + INNER),
    ("SOH in a header value", b"GET /nul HTTP/1.1\r\nHost: x\r\nX-A: b\x01c\r\n\r\n"),
    ("DEL in a header value", b"GET /nul HTTP/1.1\r\nHost: x\r\nX-A: b\x7fc\r\n\r\n"),
])
PY
