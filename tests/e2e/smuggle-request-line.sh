# Bad input: request lines and heads the gateway must refuse itself: a
# request line over the 64 KiB head limit gets 414 "uri too long", 300
# header lines (past the parser's array as well as http1MaxHeaders) 431
# "request header fields too large"; methods that are no method (lower case, a separator, empty, a
# tab for the space), versions other than HTTP/1.0 and 1.1, a space in the
# target, no Host in HTTP/1.1 and two Hosts get 400 "bad request". Each
# with "connection: close", then the connection closes, and the backend
# receives not one byte.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

smuggle_scenario <<'PY'
from faultlib import *

HEADERS_300 = b"".join(b"X-H%d: %d\r\n" % (i, i) for i in range(300))
smuggle_main([
    ("a 70 KiB request line", b"GET /" + b"a" * 71680 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ("300 header lines", b"GET /many HTTP/1.1\r\nHost: x\r\n" + HEADERS_300 + b"\r\n", 431),
    ("method in lower case", b"get /m HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("method with a separator", b"G(T /m HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("empty method", b" /m HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("a tab between method and target", b"GET\t/m HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("HTTP/2.0", b"GET /m HTTP/2.0\r\nHost: x\r\n\r\n"),
    ("HTTP/1.2", b"GET /m HTTP/1.2\r\nHost: x\r\n\r\n"),
    ("http/1.1 in lower case", b"GET /m http/1.1\r\nHost: x\r\n\r\n"),
    ("a space in the target", b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("HTTP/1.1 without Host", b"GET /m HTTP/1.1\r\n\r\n"),
    ("two Hosts", b"GET /m HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"),
], controls=[
    ("a 10 KiB request line", b"GET /" + b"a" * 10240 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
])
PY
