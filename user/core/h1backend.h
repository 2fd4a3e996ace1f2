/* HTTP/1.1 to a backend.
 *
 * struct sg_h1backend: one request out and one response head in, on a
 * connection: the request's bytes built and written, then heads read and
 * parsed. What follows a head is left in `in` after it.
 *
 * struct sg_h1x, the exchange (user/core/attempt.c drives one per try):
 * the request and its response reported through struct sg_exchange_ops
 * exactly as an HTTP/2 backend stream reports them (user/core/h2backend.h),
 * so that a frontend has one path for both. Its request comes as
 * messages (sg_h1x_send: the body pulled and framed, Content-Length or
 * chunked; user/http2/, and the gateway's own calls) or as bytes the owner
 * built (sg_h1x_send_bytes: user/http1/, which forwards a request's
 * framing as it came); the response's body comes decoded, unless the
 * owner of a bytes exchange takes the connection at the final head
 * (sg_h1x_take) to relay it socket to socket (splice(2), the socket
 * map). */
#ifndef SG_H1BACKEND_H
#define SG_H1BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "user/base/buf.h"
#include "user/codec/h1.h"
#include "user/codec/h1chunk.h"
#include "user/core/backend.h"
#include "user/core/exchange.h"
#include "user/base/loop.h"

struct sg_h1backend {
	/* The request as this try writes it; out_off bytes are written, and
	 * a write is pending while out_off < out_len. A buffer of up to
	 * SG_H1BACKEND_OUT_KEEP bytes (out_cap) stays for the next request. */
	char *out;
	size_t out_len, out_off, out_cap;
	/* Bytes read from the backend since the last head taken: the
	 * response head being read, then what followed it. */
	char *in;
	size_t in_len, in_cap;
	/* A byte of a response came since this try's request was built: a
	 * connection lost before any did not answer it (sg_attempt_lost). */
	bool heard;
	/* The head parsed from `in`; the owner provides its header slots. */
	struct sg_h1_resp resp;
};

/* Build this try's request in x->out: `req`'s head as
 * sg_h1_write_request_edit writes it (the route filters' edit, client_ip,
 * attempt, extra), then body[0..body_len) when the
 * body is sent whole with it. Replaces a previous one. Returns 0 or
 * -ENOMEM / -EMSGSIZE (the head did not fit). */
int sg_h1backend_build(struct sg_h1backend *x, const struct sg_h1_req *req,
		       const struct sg_h1_edit *edit, const char *client_ip, unsigned attempt,
		       const char *extra, const char *body, size_t body_len);

/* A request buffer this large or smaller is kept for the next request on
 * the connection (one head and a small body); a larger one is freed once
 * written. */
#define SG_H1BACKEND_OUT_KEEP 4096

/* Some of this try's request is not written yet. */
static inline bool sg_h1backend_pending(const struct sg_h1backend *x)
{
	return x->out_off < x->out_len;
}

/* Write what is left of x->out to u. Returns 1 when all of it is written
 * (a buffer over SG_H1BACKEND_OUT_KEEP is freed), 0 when u's socket is
 * full (wait for EPOLLOUT), or a negative errno (x->out_off says whether
 * the backend took any byte). */
int sg_h1backend_send(struct sg_h1backend *x, struct sg_backend_conn *u);

enum sg_h1backend_head {
	SG_H1BACKEND_MORE,	/* no complete head yet: wait for EPOLLIN */
	SG_H1BACKEND_HEAD,	/* x->resp is a head (1xx or final) at the start of x->in */
	SG_H1BACKEND_EOF,	/* the backend closed (*err 0) or failed (*err) first */
	SG_H1BACKEND_INVALID,	/* not an HTTP/1 response head */
	SG_H1BACKEND_TOO_LARGE, /* the head is over max bytes */
	SG_H1BACKEND_NOMEM,
};

/* The next response head: parsed from the bytes in hand, else read from u
 * (until a head is complete or the socket is empty) and parsed. A head of
 * more than `max` bytes is refused. After SG_H1BACKEND_HEAD the owner
 * either takes the head with sg_h1backend_skip_head (an interim one) or
 * relays it and the x->in_len - x->resp.head_len bytes after it. */
enum sg_h1backend_head sg_h1backend_recv_head(struct sg_h1backend *x, struct sg_backend_conn *u,
					      size_t max, int *err);

/* Drop the head just parsed from x->in, keeping the bytes after it. */
void sg_h1backend_skip_head(struct sg_h1backend *x);

/* Forget this try's bytes (the connection is gone or done); buffers stay
 * allocated for the next try, except x->out. */
void sg_h1backend_reset(struct sg_h1backend *x);

/* Free the buffers. */
void sg_h1backend_free(struct sg_h1backend *x);

/* ---- the whole exchange ---------------------------------------------------- */

/* One request and its response on connection u, reported through struct
 * sg_exchange_ops. Its fields are the exchange's own: an owner that keeps
 * one in its own storage (sg_h1x_init) reads none of them. */
struct sg_h1x {
	struct sg_loop *loop;
	struct sg_backend_conn *u;
	const struct sg_exchange_ops *ops;
	void *data;
	size_t head_max;
	const struct sg_h1_req *req;

	/* The request: the head, then the body pulled from ops->body and
	 * framed into `out` (a chunk each pull when chunked). */
	bool body_open; /* more body to pull */
	bool chunked;
	bool up_wait;	   /* ops->body had none: sg_h1x_resume */
	size_t head_left;  /* bytes of the head not written yet */
	bool req_written;  /* the head and the body, to its last byte */
	bool write_broken; /* the backend stopped taking the body */
	bool taken;	   /* the backend took a byte of the request */
	/* Bytes mode (sg_h1x_send_bytes): hx.out is written as it is; the
	 * owner relays the body after it (body_given), asking for EPOLLOUT
	 * with sg_h1x_want_write (owner_out); a 101 or a CONNECT's 2xx may
	 * answer (tunnel). */
	bool bytes, body_given, owner_out, tunnel;

	/* The response. */
	bool have_head;
	bool offering; /* in ops->head of a final head in bytes mode: sg_h1x_take */
	enum sg_h1_body body;
	uint64_t left; /* SG_H1_BODY_LENGTH */
	struct sg_h1_chunked chunks;
	bool keep_alive;

	/* Re-entry: callbacks may close x from inside sg_h1x_io; it is freed
	 * when the outermost call returns. */
	int busy;
	bool dead; /* closed, or a callback ended the exchange: say nothing more */

	/* Everything above is zeroed for each exchange; what follows stays
	 * (buffers emptied) in the owner's storage. */
	bool owned; /* in the owner's storage (sg_h1x_init): never freed here */
	/* The response heads in; in bytes mode, the owner's request out. */
	struct sg_h1backend hx;
	struct sg_buf out;
	struct sg_buf trailers; /* a chunked body's trailer lines, as received */
};

/* An exchange on connected connection u (its I/O callback is the owner's
 * to forward: sg_h1x_io), reporting to ops with `data`; response heads over
 * head_max bytes fail (SG_XFAIL_TOO_LARGE). NULL when out of memory. */
struct sg_h1x *sg_h1x_new(struct sg_loop *loop, struct sg_backend_conn *u,
			  const struct sg_exchange_ops *ops, void *data, size_t head_max);

/* The same in the owner's storage x, whose buffers (and the response
 * head's header slots, x->hx.resp.headers, which the owner provides) stay
 * from one exchange to the next: zeroed once, then kept. False while x's
 * last exchange is still inside a call (a retry begun from its callback):
 * the caller takes sg_h1x_new's then. */
bool sg_h1x_init(struct sg_h1x *x, struct sg_loop *loop, struct sg_backend_conn *u,
		 const struct sg_exchange_ops *ops, void *data, size_t head_max);

/* The buffers of an exchange in the owner's storage, once closed. */
void sg_h1x_free(struct sg_h1x *x);

/* Bytes mode: write x->hx.out as the owner built it
 * (sg_h1backend_build: the head and a body in hand), then read the
 * response heads: interim ones to ops->head, which are skipped after it;
 * at the final one (a 101 too, or a CONNECT's 2xx, when `tunnel`; a 101
 * without it is invalid) ops->head may take the connection
 * (sg_h1x_take), else the body comes decoded as in sg_h1x_send's mode.
 * ops->written when the bytes are out; `body_given`: the owner relays the
 * request body itself after them. req must stay valid until the exchange
 * is closed. */
void sg_h1x_send_bytes(struct sg_h1x *x, const struct sg_h1_req *req, bool body_given, bool tunnel);

/* The owner's body relay (body_given) has bytes for the connection: ask
 * for EPOLLOUT (ops->writable), or no longer. */
void sg_h1x_want_write(struct sg_h1x *x, bool want);

/* Inside ops->head of a final head in bytes mode: whether the connection
 * is offered. */
static inline bool sg_h1x_offering(const struct sg_h1x *x)
{
	return x && x->offering;
}

/* Take the offered connection: its bytes after the head, *n of them, valid
 * until ops->head returns, are returned, and *body is how the response's
 * body is framed (sg_h1_response_body_for); nothing more is said, and the
 * connection's I/O (its callback and interest) is the owner's. */
char *sg_h1x_take(struct sg_h1x *x, size_t *n, enum sg_h1_body *body);

/* Send `req` as sg_h1_write_request_edit writes it (edit, client_ip,
 * attempt); body: ops->body gives the body, sent with Content-Length when
 * the request has one, else chunked. The response is read meanwhile (a
 * backend may answer before the body is over). Returns 0 or a negative
 * errno (no callback was made). req must stay valid until the exchange is
 * closed. */
int sg_h1x_send(struct sg_h1x *x, const struct sg_h1_req *req, const struct sg_h1_edit *edit,
		const char *client_ip, unsigned attempt, bool body);

/* ops->body has bytes (or the end) again. */
void sg_h1x_resume(struct sg_h1x *x);

/* The owner took response bytes (ops->room may say yes again). */
void sg_h1x_consume(struct sg_h1x *x);

/* The connection's events (revents from the loop). */
void sg_h1x_io(struct sg_h1x *x, uint32_t revents);

/* Whether the connection may carry another request: the response ended by
 * its framing, with nothing after it, and the whole request was written
 * (a body the owner relays itself: as far as the exchange knows). */
bool sg_h1x_reusable(const struct sg_h1x *x);

/* The owner is done with x: no callback follows, and x is freed (once the
 * call that made a callback, if any, returns). The connection is the
 * owner's; its I/O interest is cleared. NULL is ignored. */
void sg_h1x_close(struct sg_h1x *x);

#endif
