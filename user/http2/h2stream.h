/* An HTTP/2 stream as a request, for the HTTP/2 frontend (user/http2/):
 * what the connection's session callbacks (h2proxy.c) do to a stream. */
#ifndef SG_H2STREAM_H
#define SG_H2STREAM_H

#include "user/http2/h2conn.h"

/* A stream the client opened (id), listed in c's; NULL when out of memory.
 * Closed (logged, its backend and flow-control bytes let go) once, when the
 * session closes it or the connection goes; give_back: return the bytes
 * received and not consumed to the session's flow control. */
struct h2stream *h2c_stream_new(struct h2conn *c, int32_t id);
void h2c_stream_close(struct h2stream *s, bool give_back);
/* A request field, kept for the head (64 KiB at most); -1: out of memory. */
int h2c_add_field(struct h2stream *s, const char *name, size_t nlen, const char *value,
		  size_t vlen);
/* Every field is in: answer a bad head, else begin the request. */
void h2c_head_complete(struct h2stream *s);
/* The first try starts (or waits for the session to return, or a dial). */
void h2c_stream_start(struct h2stream *s);
/* Start the first tries that waited, while the dials allow. */
void h2c_start_waiting(struct h2conn *c);
/* Reset the stream with `code` and be done with it. */
void h2c_reset_stream(struct h2stream *s, uint32_t code);
/* n body bytes moved either way (the watchdog's progress). */
void h2c_moved(struct h2stream *s, size_t n);
/* Give n request body bytes back to the client's flow control. */
void h2c_give_back(struct h2stream *s, size_t n);
/* n more bytes of a body held whole for the route's expressions (its
 * request's, or its response's): false when the connection's held bodies
 * would pass its budget. h2c_unhold lets the stream's go (its bodies are
 * done with). */
bool h2c_hold(struct h2stream *s, size_t n);
void h2c_unhold(struct h2stream *s);
/* The streamed body outgrew the replay bound: tries end with this one. */
void h2c_stop_retaining(struct h2stream *s);
/* Response bytes the stream buffers; after its buffer changed from
 * `before` bytes, the connection's budget follows; n bytes left it, so the
 * backend may send as many more. */
size_t h2c_buffered(const struct h2stream *s);
void h2c_rebudget(struct h2stream *s, size_t before);
void h2c_backend_may_send(struct h2stream *s, size_t n);

#endif
