/* Reading a request on an HTTP/1 connection (user/http1/h1head.h): the
 * head is parsed where it arrived, in the client's input buffer; a body
 * small enough to be sent again (PROXY_REPLAY_MAX), or one a route reads
 * (request.body), is read whole behind it before the first try, a chunked
 * one decoded in place; then the request module takes it
 * (user/core/request.h) and the first try starts. The connection itself
 * (events, keep-alive, the lingering close) is proxy.c's. */
#include "user/http1/h1head.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "user/codec/h1.h"
#include "user/codec/h1chunk.h"
#include "user/codec/h2head.h"
#include "user/core/request.h"
#include "user/http1/h1tunnel.h"
#include "user/http2/h2proxy.h"
#include "user/relay/sockmap.h"
#include "user/tls/tls.h"

/* The request goes to its route's backends: the first try starts. */
static void forward(struct client *c)
{
	h1c_enter(c, C_ATTEMPT);
	sg_request_start(&c->r->rq);
}

static size_t max_headers(const struct client *c)
{
	const struct sg_frontend_http *h =
		c->bind->nlisteners ? c->bind->listeners[0].fhttp : &c->cfg->default_fhttp;
	size_t n = PROXY_DEFAULT_MAX_HEADERS;

	/* The codec never takes more: no slot is allocated past it. */
	if (h->http1_max_headers > 0)
		n = (size_t)h->http1_max_headers;
	return n < SG_H1_MAX_HEADERS ? n : SG_H1_MAX_HEADERS;
}

/* The client speaks HTTP/2 (the preface, or an h2c upgrade of `upgrade`):
 * user/http2/h2proxy.c takes the socket and the bytes read past that request's
 * head, and this client goes away without closing it (close(-1) is a
 * harmless EBADF). Only ever on a connection's first request, so no byte of
 * it went through a body relay or the socket map. */
static void switch_to_h2(struct client *c, const struct sg_h1_req *upgrade)
{
	size_t used = upgrade ? upgrade->head_len : 0;
	int fd = c->io.fd;

	struct sg_tls *tls = c->tls;

	c->io.fd = -1;
	c->tls = NULL;
	c->src_held = false; /* the HTTP/2 connection releases it */
	sg_h2proxy_accept(c->ctx, c->cfg, c->bind, fd, tls, c->ip, c->port, c->in + used,
			  c->in_len - used, upgrade, c->born, &c->io);
	h1c_client_close(c);
}

/* Whether the chunked body bytes that arrived with the head are well framed
 * so far; the rest is checked as it is relayed. */
static bool chunked_prefix_ok(const struct client *c)
{
	struct sg_h1_chunked scan = { 0 };
	bool done;

	return sg_h1_chunked_scan(&scan, c->in + c->r->req.head_len, c->in_len - c->r->req.head_len,
				  &done) >= 0;
}

/* Each request on a kept-alive connection is served by the config in force
 * when its head arrives, on the bind of the same port (user/core/request.h):
 * with its port gone from the new config the connection keeps the config
 * it has. Nothing of the previous request's config is kept (listener,
 * route, backend). */
static void follow_config(struct client *c)
{
	const struct sg_bind *b = sg_request_follow_config(c->ctx, c->cfg, c->bind);

	if (!b)
		return;
	c->listener = c->r->rq.listener = NULL;
	c->r->rq.match = NULL;
	c->r->rq.at.route = NULL;
	c->r->rq.at.backend = NULL;
	c->bind = c->r->rq.bind = b;
	sg_cfg_unref(c->cfg);
	c->cfg = sg_cfg_ref(c->ctx->cfg);
}

/* A complete request head is in `in`. */
static void got_request_head(struct client *c)
{
	struct sg_request_head h;

	follow_config(c);
	if (c->bind->connect) {
		h1c_connect(c);
		return;
	}
	/* h2c is cleartext only (RFC 9113 3.1): over TLS, ALPN says h2. */
	if (!c->served && !c->tls && sg_h2head_upgrade_request(&c->r->req)) {
		switch_to_h2(c, &c->r->req);
		return;
	}

	c->served = true;
	c->idle_at = c->head_at = c->warm_at = 0;
	c->resp_done = false;
	c->is_connect = c->r->req.method.len == 7 && !memcmp(c->r->req.method.p, "CONNECT", 7);
	/* Bytes after a CONNECT head are the tunnel's, never a next request:
	 * unless a 2xx opens the tunnel, the connection ends with the answer. */
	c->client_close = !c->r->req.keep_alive || c->is_connect;
	c->req_body = sg_h1_request_body(&c->r->req);
	c->req_done = c->req_body == SG_H1_BODY_NONE;
	h = (struct sg_request_head){
		.req = &c->r->req,
		.cfg = c->cfg,
		.bind = c->bind,
		.sni_listener = c->tls ? sg_tls_listener_key(c->tls) : NULL,
		/* A body small enough is read whole before the first try:
		 * it can be sent again. */
		.replayable = c->req_body == SG_H1_BODY_NONE ||
			      (c->req_body == SG_H1_BODY_LENGTH &&
			       c->r->req.content_length <= PROXY_REPLAY_MAX),
		.engine = c->ctx->relays.download,
	};
	if (!sg_request_begin(&c->r->rq, &h))
		return;
	c->body_len = 0;
	if (c->r->rq.at.replayable &&
	    (c->req_body == SG_H1_BODY_LENGTH ||
	     (c->r->rq.body_wanted && c->req_body == SG_H1_BODY_CHUNKED))) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		/* read_chunked decodes a held chunked body with it */
		if (c->req_body == SG_H1_BODY_CHUNKED)
			memset(&c->r->req_chunks, 0, sizeof(c->r->req_chunks));

		/* The body is read here before any backend sees the request,
		 * so the gateway itself tells a waiting client to send it. */
		if (sg_h1_expects_continue(&c->r->req) &&
		    c->in_len - c->r->req.head_len < (size_t)c->r->req.content_length &&
		    h1c_client_write(c, cont, sizeof(cont) - 1) == -1) {
			h1c_client_close(c);
			return;
		}
		h1c_enter(c, C_BODY);
		h1c_read_request(c); /* reads the body into `in` */
		return;
	}
	/* Chunk framing that came with the head is checked before a backend
	 * sees the request: a malformed body is refused, not half forwarded. */
	if (c->req_body == SG_H1_BODY_CHUNKED && !chunked_prefix_ok(c)) {
		c->req_done = false;
		h1c_fail_request(c, SG_FAIL_BAD_REQUEST, 0);
		return;
	}
	forward(c);
}

void h1c_consume_request(struct client *c)
{
	size_t used = c->r->req.head_len + c->body_len;

	if (used > c->in_len)
		used = c->in_len;
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	c->r->req.head_len = 0;
	c->body_len = 0;
}

/* A head past PROXY_HEAD_MAX: 414 when its request line alone is (RFC
 * 9112 §3: a server that receives a request-target longer than any URI it
 * wishes to parse answers 414), else 431. */
static enum sg_fail too_large(const struct client *c)
{
	size_t n = c->in_len < PROXY_HEAD_MAX ? c->in_len : PROXY_HEAD_MAX;

	return memchr(c->in, '\n', n) ? SG_FAIL_HEAD_TOO_LARGE : SG_FAIL_URI_TOO_LONG;
}

/* A chunked body its route reads is held whole: decoded in place as it
 * comes (its data after the head, body_len bytes so far; what follows the
 * body stays behind it), up to rq.body_max; once it ended it is a body of
 * that length (user/core/request.c makes the head say so). */
static void read_chunked(struct client *c)
{
	char *base = c->in + c->r->req.head_len;
	size_t at = c->body_len, end = c->in_len - c->r->req.head_len, out = c->body_len;
	bool done = false;

	while (at < end && !done) {
		struct sg_h1_span d;
		ssize_t n = sg_h1_chunked_decode(&c->r->req_chunks.scan, base + at, end - at, &d,
						 &done);

		if (n < 0) {
			h1c_fail_request(c, SG_FAIL_BAD_REQUEST, 0);
			return;
		}
		if (n == 0)
			break;
		memmove(base + out, d.p, d.len);
		out += d.len;
		at += (size_t)n;
		if (out > c->r->rq.body_max) {
			h1c_fail_request(c, SG_FAIL_BODY_TOO_LARGE, 0);
			return;
		}
	}
	memmove(base + out, base + at, end - at);
	c->in_len -= at - out;
	c->body_len = out;
	if (!done)
		return;
	c->req_body = SG_H1_BODY_LENGTH;
	c->req_done = true;
	forward(c);
}

static void try_parse(struct client *c)
{
	if (c->state == C_HEAD && !c->head_at && c->ctx->head_timeout_ms) {
		c->head_at = h1c_now(c) + c->ctx->head_timeout_ms;
	}
	if (c->state == C_HEAD && !c->served && !c->bind->connect) {
		int h2 = sg_h2head_preface(c->in, c->in_len);

		if (h2 == 0)
			return; /* so far a prefix of the HTTP/2 preface */
		if (h2 == 1) {
			switch_to_h2(c, NULL);
			return;
		}
	}
	if (c->state == C_HEAD) {
		if (h1c_alloc_slots(&c->r->req.headers, &c->r->req.headers_cap, max_headers(c)) ==
		    -1) {
			h1c_client_close(c);
			return;
		}
		switch (sg_h1_parse_request(c->in, c->in_len, max_headers(c), &c->r->req)) {
		case SG_H1_PARTIAL:
			if (c->in_len > PROXY_HEAD_MAX) {
				c->req_done = false;
				h1c_fail_request(c, too_large(c), 0);
			}
			return;
		case SG_H1_INVALID:
			c->req_done = false;
			h1c_fail_request(c, SG_FAIL_BAD_REQUEST, 0);
			return;
		case SG_H1_TOO_LARGE:
			c->req_done = false;
			h1c_fail_request(c, SG_FAIL_HEAD_TOO_LARGE, 0);
			return;
		case SG_H1_DONE:
			if (c->r->req.head_len > PROXY_HEAD_MAX) {
				c->req_done = false;
				h1c_fail_request(c, too_large(c), 0);
				return;
			}
			free(c->r->cookie_joined);
			if (sg_h1_join_cookies(&c->r->req, &c->r->cookie_joined) < 0) {
				c->req_done = false;
				h1c_fail_request(c, SG_FAIL_OVERLOAD, ENOMEM);
				return;
			}
			got_request_head(c);
			return;
		}
	}
	if (c->state == C_BODY && c->req_body == SG_H1_BODY_CHUNKED) {
		read_chunked(c);
	} else if (c->state == C_BODY) {
		size_t have = c->in_len - c->r->req.head_len;

		if (have < (size_t)c->r->req.content_length)
			return;
		c->body_len = (size_t)c->r->req.content_length;
		c->req_done = true;
		forward(c);
	}
}

void h1c_read_request(struct client *c)
{
	if (!h1c_request_new(c)) {
		h1c_client_close(c);
		return;
	}
	if (c->state == C_HEAD && c->in_len && c->r->req.head_len == 0)
		try_parse(c);
	else if (c->state == C_BODY)
		try_parse(c);
	while (!c->closed && (c->state == C_HEAD || c->state == C_BODY)) {
		ssize_t n;

		if (h1c_grow_in(c, c->in_len + 4096) == -1) {
			h1c_client_close(c);
			return;
		}
		n = sg_sock_recv(c->tls, c->io.fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		sg_ksock_read(&c->ck, n);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == 0 && h1c_early_eof(c, &c->ck, c->io.fd))
			return;
		if (n <= 0) {
			h1c_client_close(c);
			return;
		}
		c->in_len += (size_t)n;
		/* A request answered inside this loop (by the gateway: a filter's
		 * answer, a 404) may have released the request state while the
		 * connection waits for the next head, which just came. */
		if (!h1c_request_new(c)) {
			h1c_client_close(c);
			return;
		}
		try_parse(c);
	}
}
