/* What a backend exchange says to the request it carries: one interface
 * for an HTTP/1 connection (user/core/h1backend.h, sg_h1x) and a stream on a
 * shared HTTP/2 connection (user/core/h2backend.h). An HTTP/1 exchange may
 * also offer its connection's bytes at the final response head, for an
 * owner that relays them socket to socket (sg_h1x_take). user/core/attempt.c
 * sits between them and the frontend: it turns failures into retries or
 * an answer and passes the response through (struct sg_attempt_ops).
 *
 * Every callback may be made from inside any call into the exchange; after
 * `failed` or `end` none follows. */
#ifndef SG_EXCHANGE_H
#define SG_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "user/codec/h1.h"
#include "user/codec/h2.h"

/* Why a try failed before its response head. */
enum sg_xfail {
	SG_XFAIL_CONNECT,   /* the connection could not be made (err) */
	SG_XFAIL_REFUSED,   /* the backend did not process the request: REFUSED_STREAM,
			     * or above a GOAWAY's last stream: safe to send again */
	SG_XFAIL_UNSENT,    /* writing the request failed (err) before the backend took a
			     * byte of it: on a pooled connection it never saw it */
	SG_XFAIL_WRITE,	    /* writing the request failed (err) after some of it */
	SG_XFAIL_RESET,	    /* the stream was reset, the connection lost or closed (err,
			     * 0 for EOF) */
	SG_XFAIL_LOST,	    /* an HTTP/1 connection was lost or closed (err, 0 for EOF)
			     * before a byte of the response came */
	SG_XFAIL_INVALID,   /* the response head is not a valid HTTP response */
	SG_XFAIL_TOO_LARGE, /* the response head is over the bound (not retried) */
	SG_XFAIL_NOMEM,	    /* out of memory (not retried) */
	SG_XFAIL_TLS,	    /* the TLS handshake failed (the exchange says why) */
};

struct sg_exchange_ops {
	/* The connection is up: send the request (HTTP/2 only: an HTTP/1
	 * connection's connect is user/core/attempt.c's). */
	void (*ready)(void *data);
	/* No response head will come. */
	void (*failed)(void *data, enum sg_xfail why, int err);
	/* A response head: interim ones (1xx but 101) first, if any, then
	 * the final one, as an HTTP/1 head; for HTTP/2 its framing is the
	 * frames' (content_length as the backend said, never chunked). end:
	 * the response ended with it (no body, no trailers: gRPC's
	 * trailers-only answer), and `end` follows. Valid during the call. */
	void (*head)(void *data, const struct sg_h1_resp *resp, bool end);
	/* Response body bytes, decoded; give them back with the exchange's
	 * consume once passed on (flow control). */
	void (*data)(void *data, const char *p, size_t n);
	/* The response ended: trailers t[0..n) (n 0: none), err 0; or it was
	 * cut after its head (err: ECONNRESET for a reset, EPIPE for a lost
	 * connection or a body cut short, EPROTO for bad framing). Valid
	 * during the call. */
	void (*end)(void *data, const struct sg_h2_field *t, size_t n, int err);
	/* Request body: copy up to len bytes to buf, setting *eof after the
	 * last; -EAGAIN when none is there yet (then the exchange's resume). */
	ssize_t (*body)(void *data, char *buf, size_t len, bool *eof);
	/* Optional: the request's trailers, asked for once its body ended;
	 * returns their number and *t (0: none). */
	size_t (*trailers)(void *data, const struct sg_h2_field **t);
	/* Optional: whether the owner takes more response bytes now (an
	 * HTTP/1 exchange stops reading until consume says so; an HTTP/2
	 * stream's window does the same). NULL: always. */
	bool (*room)(void *data);
	/* Optional: room for the next `want` response body bytes in the
	 * owner's own buffer, for an HTTP/1 exchange to read them there
	 * rather than into its own and have `data` copy them; they come to
	 * `data` with p at the returned place. NULL: read them elsewhere. */
	char *(*space)(void *data, size_t want);

	/* An HTTP/1 exchange in bytes mode (user/core/h1backend.h,
	 * sg_h1x_send_bytes) only. */
	/* The owner's request bytes are all written; a body it said it
	 * relays itself is its to write now. */
	void (*written)(void *data);
	/* That body relay's turn: the connection takes bytes again (EPOLLOUT,
	 * asked for with sg_h1x_want_write). */
	void (*writable)(void *data);
	/* Optional: the connection read EOF before a response head; true when
	 * bytes the kernel passes to it (the socket map) are still on their
	 * way, and the owner reads again later (sg_h1x_io with EPOLLIN). */
	bool (*early_eof)(void *data);
};

#endif
