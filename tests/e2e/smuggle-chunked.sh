# Request smuggling: malformed chunked framing that arrives with the head:
# a size that is not hex, negative, "0x"-prefixed, empty or past 2^62, data
# without its CRLF, bare LF line ends, a bare CR in an extension. Each gets
# 400 "bad request" with "connection: close", the connection closes, and
# the backend receives not one byte: the framing is checked before any
# backend is asked. What follows a well-formed last chunk is the next
# request, which the gateway parses and forwards itself (control).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/faultlib.sh"

smuggle_scenario <<'PY'
from faultlib import *

def post(body):
    return b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body

smuggle_main([
    ("chunk size 'zz' (not hex)", post(b"zz\r\nhello\r\n0\r\n\r\n" + INNER)),
    ("chunk size 'fffffffffffffffffff' (overflow)", post(b"fffffffffffffffffff\r\nhello\r\n0\r\n\r\n")),
    ("chunk size '10000000000000000' (2^64)", post(b"10000000000000000\r\nhello\r\n0\r\n\r\n")),
    ("chunk size '-5'", post(b"-5\r\nhello\r\n0\r\n\r\n" + INNER)),
    ("chunk size '0x5'", post(b"0x5\r\nhello\r\n0\r\n\r\n" + INNER)),
    ("chunk size ' 5' (leading space)", post(b" 5\r\nhello\r\n0\r\n\r\n" + INNER)),
    ("empty chunk-size line", post(b"\r\nhello\r\n0\r\n\r\n" + INNER)),
    ("chunk data without its CRLF", post(b"5\r\nhelloX0\r\n\r\n" + INNER)),
    ("chunk data followed by LF only", post(b"5\r\nhello\n0\r\n\r\n" + INNER)),
    ("chunk-size line ending in bare LF", post(b"5\nhello\r\n0\r\n\r\n" + INNER)),
    ("last chunk ending in bare LF", post(b"5\r\nhello\r\n0\n\n" + INNER)),
    ("bare CR in a chunk extension", post(b"5;a=\rb\r\nhello\r\n0\r\n\r\n" + INNER)),
    ("obs-fold in a trailer", post(b"5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n" + INNER)),
], controls=[
    ("a chunked body with extensions and a trailer",
     post(b"5;ext=1\r\nhello\r\n0\r\nX-Trailer: yes\r\n\r\n")),
])
# The control above forwards one request; the next one, pipelined right
# behind a last chunk, is the gateway's own parse, and is answered in turn.
c = Conn()
c.send(post(b"5\r\nhello\r\n0\r\n\r\n") + INNER)
first, second = c.response(), c.response()
c.close()
report(first.status == 200 and second.status == 200 and b'"path": "/smuggled"' in second.body,
       "a request right behind the last chunk is the next request, answered in order "
       "(%r, %r)" % (first, second))
PY
