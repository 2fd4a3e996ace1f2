# Request smuggling: Content-Length values a backend could read otherwise
# than the gateway (http-bad-requests.sh already sends two differing lines
# and a negative one): the same value twice, a list, a sign, hex, inner
# space, empty, past 2^63, overflowing, trailing garbage. Each gets 400
# "bad request" with "connection: close", the connection closes, and the
# backend receives not one byte. Leading zeros ("005") are a valid length
# (RFC 9110 §8.6: 1*DIGIT) and are forwarded.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

smuggle_scenario <<'PY'
from faultlib import *

BODY = b"hello" + INNER

def post(cl_lines):
    return b"POST /cl HTTP/1.1\r\nHost: x\r\n" + cl_lines + b"\r\n" + BODY

smuggle_main([
    ("the same Content-Length twice", post(b"Content-Length: 5\r\nContent-Length: 5\r\n")),
    ("Content-Length: 5, 5", post(b"Content-Length: 5, 5\r\n")),
    ("Content-Length: +5", post(b"Content-Length: +5\r\n")),
    ("Content-Length: 0x5", post(b"Content-Length: 0x5\r\n")),
    ("Content-Length: 1 0", post(b"Content-Length: 1 0\r\n")),
    ("Content-Length: (empty)", post(b"Content-Length: \r\n")),
    ("Content-Length: 9223372036854775808 (2^63)", post(b"Content-Length: 9223372036854775808\r\n")),
    ("Content-Length: 99999999999999999999999", post(b"Content-Length: 99999999999999999999999\r\n")),
    ("Content-Length: 5abc", post(b"Content-Length: 5abc\r\n")),
    ("Content-Length: 5;", post(b"Content-Length: 5;\r\n")),
], controls=[
    ("Content-Length: 005", b"POST /cl HTTP/1.1\r\nHost: x\r\nContent-Length: 005\r\n\r\nhello"),
])
PY
