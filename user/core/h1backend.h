/* HTTP/1.1 to a backend, in two shapes.
 *
 * struct sg_h1backend, for a frontend that relays bytes (user/http1/proxy.c:
 * splice(2), the socket map): this try's request head (and a body kept
 * whole for replay) built and written to the backend connection, then the
 * response head read and parsed there. What follows the head (the body) is
 * the frontend's to relay: its first bytes are left in `in` after the head.
 * The request body streamed after the head, the response body and the
 * decisions on a response (interim, 101, retry) are the frontend's.
 *
 * struct sg_h1x, for a frontend that relays messages (user/http2/h2proxy.c, by
 * way of user/core/attempt.c): the whole exchange on one connection, the request
 * body pulled and framed (Content-Length or chunked), the response head
 * and decoded body reported through struct sg_exchange_ops exactly as an
 * HTTP/2 backend stream reports them (user/core/h2backend.h), so the frontend
 * has one path for both. */
#ifndef SG_H1BACKEND_H
#define SG_H1BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "user/codec/h1.h"
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

/* ---- the whole exchange (message mode) ---------------------------------- */

struct sg_h1x;

/* An exchange on connected connection u (its I/O callback is the owner's
 * to forward: sg_h1x_io), reporting to ops with `data`; response heads over
 * head_max bytes fail (SG_XFAIL_TOO_LARGE). NULL when out of memory. */
struct sg_h1x *sg_h1x_new(struct sg_loop *loop, struct sg_backend_conn *u,
			  const struct sg_exchange_ops *ops, void *data, size_t head_max);

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
 * its framing, with nothing after it, and the whole request was written. */
bool sg_h1x_reusable(const struct sg_h1x *x);

/* The owner is done with x: no callback follows, and x is freed (once the
 * call that made a callback, if any, returns). The connection is the
 * owner's; its I/O interest is cleared. NULL is ignored. */
void sg_h1x_close(struct sg_h1x *x);

#endif
