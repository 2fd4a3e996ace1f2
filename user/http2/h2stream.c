/* An HTTP/2 stream as a request (user/core/request.h): its head built from
 * the fields, the request module's sink, the attempt's exchange to an
 * HTTP/1 or HTTP/2 backend (user/core/exchange.h), and the response passed
 * on as HEADERS, DATA and trailers within the stream's and the
 * connection's budgets. */
#include "user/http2/h2stream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/failure.h"
#include "policy/route.h"
#include "user/base/log.h"
#include "user/base/mem.h"
#include "user/core/h1backend.h"

static const struct sg_attempt_ops attempt_ops;
static const struct sg_request_sink sink;

/* ---- small helpers ------------------------------------------------------- */

static void stream_rearm(struct h2stream *s)
{
	uint64_t due = sg_attempt_due(&s->rq.at);

	if (s->rq.body_idle.due && (!due || s->rq.body_idle.due < due))
		due = s->rq.body_idle.due;

	if (due && !s->closed)
		sg_timer_arm(s->conn->ctx->loop, &s->timer, due);
	else
		sg_timer_stop(s->conn->ctx->loop, &s->timer);
}

/* ---- body idle watchdog (policy/idle.h) ---------------------------------------- */

/* n body bytes of the stream moved, either way. */
void h2c_moved(struct h2stream *s, size_t n)
{
	s->moved += n;
	if (n)
		sg_request_note_progress(&s->rq, h2c_now(s->conn), s->moved);
}

/* ---- stream lifecycle ------------------------------------------------------ */

static void stream_free(struct sg_closing *cl)
{
	struct h2stream *s = (struct h2stream *)((char *)cl - offsetof(struct h2stream, closing));

	sg_buf_free(&s->hbuf);
	sg_mem_free(s->store);
	sg_mem_free(s->req_slots);
	sg_mem_free_sized(s->pos, s->pos_cap * sizeof(*s->pos));
	sg_buf_free(&s->body);
	sg_filter_plan_reset(&s->rq.plan);
	sg_authn_reset(&s->rq.authn); /* the verified claims' reference */
	sg_buf_free(&s->rbuf);
	sg_mem_free(s->trailers);
	if (s->req_trailers) {
		sg_h2head_kept_free(s->req_trailers);
		sg_mem_free(s->req_trailers);
	}
	sg_cfg_unref(s->cfg);
	sg_mem_free_sized(s, sizeof(*s));
}

/* The attempt closed its backend connection: this try's bytes go too. */
static void try_dropped(struct sg_attempt *a)
{
	struct h2stream *s = a->owner;

	s->up_off = 0;
	s->up_wait = false;
}

/* The stream's backend will send nothing more: its window's growth no
 * longer counts against the budget. */
static void unwiden(struct h2stream *s)
{
	s->conn->widened -= s->widened;
	s->widened = 0;
}

/* The stream is gone from the session (or the connection closes): log it,
 * let go of the backend and of the flow-control bytes it held. */
void h2c_stream_close(struct h2stream *s, bool give_back)
{
	struct h2conn *c = s->conn;

	if (s->closed)
		return;
	s->closed = true;
	h2c_unhold(s);
	sg_request_release(&s->rq);
	if (h2c_buffered(s)) {
		size_t before = h2c_buffered(s);

		sg_buf_reset(&s->rbuf);
		h2c_rebudget(s, before);
	}
	sg_request_log(&s->rq, 0, 0);
	sg_timer_stop(c->ctx->loop, &s->timer);
	sg_attempt_drop(&s->rq.at);
	unwiden(s);
	if (give_back && s->unconsumed)
		sg_h2_consume(c->h2, s->id, s->unconsumed);
	sg_list_remove(&s->link);
	if (--c->nstreams == 0 && !c->closed) {
		c->idle_at = c->idle_ms ? h2c_now(c) + c->idle_ms : 0;
		c->trim_at = h2c_now(c) + H2P_TRIM_MS;
		h2c_conn_rearm(c);
	}
	sg_loop_defer_close(c->ctx->loop, &s->closing, stream_free);
}

static void on_stream_timer(struct sg_loop *loop, struct sg_timer *t);

struct h2stream *h2c_stream_new(struct h2conn *c, int32_t id)
{
	struct h2stream *s = sg_mem_calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->conn = c;
	s->id = id;
	sg_request_init(&s->rq, &sink, s, c->ctx, c->bind, c->ip, c->port, c->io.fd, &attempt_ops);
	s->rq.tls = c->tls;
	/* A head that fails to build is answered as a gRPC caller's when its
	 * fields say it is one. */
	s->rq.req = &s->req;
	s->rq.engine = SG_RELAY_COPY; /* DATA frames are built here */
	sg_timer_init(&s->timer, on_stream_timer, s);
	sg_list_insert_head(&c->streams, &s->link);
	c->nstreams++;
	c->idle_at = 0;
	c->trim_at = 0;
	return s;
}

/* Give `n` request body bytes back to flow control: the client may send
 * that many more. */
void h2c_give_back(struct h2stream *s, size_t n)
{
	if (n > s->unconsumed)
		n = s->unconsumed;
	s->unconsumed -= n;
	sg_h2_consume(s->conn->h2, s->id, n);
}

/* ---- answers --------------------------------------------------------------- */

/* Submit the response head; `body`: DATA follows from rbuf. */
static int respond(struct h2stream *s, const struct sg_h2_field *f, size_t n, bool body)
{
	if (sg_h2_respond(s->conn->h2, s->id, f, n, body) < 0)
		return -1;
	s->rq.resp_started = true;
	return 0;
}

bool h2c_hold(struct h2stream *s, size_t n)
{
	s->held += n;
	s->conn->held += n;
	return s->conn->held <= s->conn->budget;
}

void h2c_unhold(struct h2stream *s)
{
	s->conn->held -= s->held;
	s->held = 0;
}

/* The stream is over for us: the session sends what is queued, then
 * closes it. */
static void stream_done(struct h2stream *s)
{
	s->rq.phase = SG_REQUEST_DONE;
	s->rq.at.request_at = s->rq.at.try_at = s->rq.at.connect_at = s->rq.at.backoff_at = 0;
	sg_idle_stop(&s->rq.body_idle);
	stream_rearm(s);
	/* Body bytes still coming go nowhere: let the client send them. */
	if (!s->rq.at.replayable && s->body.len)
		h2c_give_back(s, s->body.len);
	sg_buf_reset(&s->body);
	h2c_unhold(s);
}

void h2c_reset_stream(struct h2stream *s, uint32_t code)
{
	sg_attempt_drop(&s->rq.at);
	unwiden(s);
	sg_h2_reset(s->conn->h2, s->id, code);
	stream_done(s);
}

/* A whole response the gateway makes: fields f[0..n) then body[0..len). */
static void answer(struct h2stream *s, const struct sg_h2_field *f, size_t n, const char *body,
		   size_t len)
{
	size_t before = h2c_buffered(s);

	sg_buf_reset(&s->rbuf);
	h2c_rebudget(s, before);
	if ((len && sg_buf_append(&s->rbuf, body, len) < 0) || respond(s, f, n, len > 0) == -1) {
		h2c_reset_stream(s, SG_H2_INTERNAL_ERROR);
		return;
	}
	s->resp_eof = true;
	stream_done(s);
}

/* The request module's answer (sink): :status, the lines of *edit,
 * content-length, and for the gateway's own text a content-type (without
 * the edit's lines when they do not fit). */
static void stream_answer(struct sg_request *rq, uint16_t status, const struct sg_h1_edit *edit,
			  const char *body, size_t len, bool text)
{
	struct h2stream *s = rq->owner;
	struct sg_h2_field f[H2P_MAX_RESPONSE_FIELDS];
	char digits[24], code[8];
	size_t cap = 64;
	char *store;
	ssize_t n;

	for (size_t i = 0; i < edit->nadd; i++)
		cap += edit->add[i].name.len;
	store = sg_mem_alloc(cap);
	n = store ? sg_h2head_answer_fields(status, edit, len, store, cap, f,
					    H2P_MAX_RESPONSE_FIELDS - text)
		  : -1;
	if (n < 0 && !text) {
		sg_mem_free(store);
		h2c_reset_stream(s, SG_H2_INTERNAL_ERROR);
		return;
	}
	if (n < 0) {
		snprintf(code, sizeof(code), "%u", status);
		snprintf(digits, sizeof(digits), "%zu", len);
		f[0] = (struct sg_h2_field){ ":status", 7, code, strlen(code) };
		f[1] = (struct sg_h2_field){ "content-length", 14, digits, strlen(digits) };
		n = 2;
	}
	if (text && (!edit->drops || !edit->drops(edit->arg, "content-type", 12)))
		f[n++] = (struct sg_h2_field){ "content-type", 12, "text/plain", 10 };
	answer(s, f, (size_t)n, body, rq->is_head ? 0 : len);
	sg_mem_free(store);
}

/* A failure after HEADERS went out: the stream is reset. */
static void stream_cut(struct sg_request *rq)
{
	h2c_reset_stream(rq->owner, SG_H2_INTERNAL_ERROR);
}

static void send_request(struct h2stream *s);
static void on_head(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end);
static void stream_respond(struct sg_request *rq, const struct sg_h1_resp *resp,
			   const struct sg_h1_edit *edit, const char *body, size_t len,
			   const struct sg_h2_field *t, size_t nt);
static int keep_trailers(struct h2stream *s, const struct sg_h2_field *t, size_t n);
static void stream_release(struct sg_request *rq, const struct sg_h1_resp *resp, const char *body,
			   size_t len);
static void on_data(struct sg_attempt *a, const char *p, size_t n);
static char *on_space(struct sg_attempt *a, size_t want);
static void on_end(struct sg_attempt *a, const struct sg_h2_field *t, size_t n, int err);
static ssize_t on_body(struct sg_attempt *a, char *buf, size_t len, bool *eof);
static size_t on_trailers(struct sg_attempt *a, const struct sg_h2_field **t);
static bool room(const struct h2stream *s);

/* ---- attempts (user/core/attempt.c) ------------------------------------------------ */

static void on_wait(struct sg_attempt *a)
{
	stream_rearm(a->owner);
}

static bool on_room(struct sg_attempt *a)
{
	struct h2stream *s = a->owner;

	return s->rq.phase == SG_REQUEST_RESPONSE && room(s);
}

/* A backend's failure comes from its connection's events, outside this
 * connection's dispatch: the answer needs a flush, and a dial that ended
 * lets waiting streams start. */
static void stream_failed(struct sg_request *rq)
{
	struct h2stream *s = rq->owner;

	h2c_start_waiting(s->conn);
	h2c_flush_later(s->conn);
}

static void stream_send(struct sg_request *rq)
{
	send_request(rq->owner);
}

static void stream_held_body(const struct sg_request *rq, struct sg_mirror_request *m)
{
	const struct h2stream *s = rq->owner;

	struct sg_h1_span b =
		sg_request_body(rq, sg_buf_data(&s->body), s->rq.at.replayable ? s->body.len : 0);

	m->body = b.p;
	m->body_len = b.len;
	m->body_whole = s->rq.at.replayable;
}

static uint64_t stream_progress(const struct sg_request *rq)
{
	const struct h2stream *s = rq->owner;

	return s->moved;
}

static const struct sg_request_sink sink = {
	.answer = stream_answer,
	.cut = stream_cut,
	.send = stream_send,
	.failed = stream_failed,
	.respond = stream_respond,
	.release = stream_release,
	.held_body = stream_held_body,
	.progress = stream_progress,
	.version = "HTTP/2",
};

static const struct sg_attempt_ops attempt_ops = {
	.prepare = sg_request_try_prepare,
	.send = sg_request_try_send,
	.fail = sg_request_try_failed,
	.dropped = try_dropped,
	.wait = on_wait,
	.head = on_head,
	.data = on_data,
	.end = on_end,
	.body = on_body,
	.trailers = on_trailers,
	.room = on_room,
	.space = on_space,
};

/* Backend connects one client connection may have in progress at once:
 * past it, a stream's first attempt waits until one of them ends (a
 * connection, or a reset or timeout), so a client cannot make the gateway
 * dial a backend for each of its 100 streams at once and then reset them
 * (rapid reset). Pooled connections are taken without a connect. */
#define H2P_MAX_DIALS 16

static unsigned dials(const struct h2conn *c)
{
	struct sg_list *l;
	unsigned n = 0;

	SG_LIST_FOR_EACH(l, &c->streams) {
		const struct h2stream *s = SG_LIST_ENTRY(l, const struct h2stream, link);

		n += (s->rq.at.conn || s->rq.at.h2) && !s->rq.at.connected;
	}
	return n;
}

void h2c_stream_start(struct h2stream *s)
{
	struct h2conn *c = s->conn;

	/* Inside the session (the client's bytes being read), a new whole
	 * request's first attempt waits until they all are: a stream reset
	 * in the same read is never dialled for (rapid reset). A streamed
	 * body waits only for a dial: its DATA is kept meanwhile, within the
	 * stream's flow-control window. */
	s->rq.phase = SG_REQUEST_ATTEMPT;
	if ((c->busy && s->req_end && !s->streaming) || dials(c) >= H2P_MAX_DIALS) {
		s->start_pending = c->starts_pending = true;
		return;
	}
	sg_request_start(&s->rq);
}

/* Start the first attempts that waited (stream_start), while the dials
 * allow; not inside the session. */
void h2c_start_waiting(struct h2conn *c)
{
	struct sg_list *l, *tmp;

	if (!c->starts_pending || c->busy || c->close_wanted || c->closed)
		return;
	c->starts_pending = false;
	SG_LIST_FOR_EACH_SAFE(l, tmp, &c->streams) {
		struct h2stream *s = SG_LIST_ENTRY(l, struct h2stream, link);

		if (c->closed || c->starts_pending)
			break;
		if (s->start_pending && !s->closed) {
			s->start_pending = false;
			h2c_stream_start(s); /* may wait again, for a dial */
		}
	}
}

/* ---- the response ------------------------------------------------------------ */

static void response_complete(struct h2stream *s)
{
	s->resp_eof = true;
	sg_attempt_release(&s->rq.at, true, &s->conn->cfg->global);
	unwiden(s);
	if (s->deferred) {
		s->deferred = false;
		sg_h2_resume(s->conn->h2, s->id);
	}
	stream_done(s);
}

/* Decoded body bytes for the session. */
static int body_bytes(struct h2stream *s, const char *p, size_t n)
{
	size_t before = h2c_buffered(s);

	if (sg_buf_append(&s->rbuf, p, n) < 0)
		return -1;
	h2c_rebudget(s, before);
	if (n && s->deferred) {
		s->deferred = false;
		sg_h2_resume(s->conn->h2, s->id);
	}
	return 0;
}

size_t h2c_buffered(const struct h2stream *s)
{
	return s->rbuf.len;
}

/* A stream's buffer changed from `before` bytes: the connection's total
 * follows, and when it falls back under the budget every stream that
 * stopped reading its backend for it reads again. */
void h2c_rebudget(struct h2stream *s, size_t before)
{
	struct h2conn *c = s->conn;

	c->buffered = c->buffered - before + h2c_buffered(s);
	/* A stream whose client reads slower than its backend sends would
	 * otherwise stop and start its backend for every frame sent (an
	 * epoll_ctl and a small read each). */
	if (h2c_buffered(s) >= c->max_buffer)
		s->draining = true;
	else if (h2c_buffered(s) <= c->max_buffer / 2)
		s->draining = false;
	if (c->buffered >= c->budget) {
		c->over_budget = true;
		return;
	}
	if (c->over_budget) {
		struct sg_list *l;

		c->over_budget = false;
		SG_LIST_FOR_EACH(l, &c->streams) {
			struct h2stream *o = SG_LIST_ENTRY(l, struct h2stream, link);

			if (o != s && o->rq.phase == SG_REQUEST_RESPONSE)
				h2c_backend_may_send(o, 0); /* it may read again */
		}
	}
}

/* The stream may take more response bytes from its backend. Over the
 * connection's budget a stream with less than a read's worth buffered
 * still may: a client reading one stream while the others' windows stay
 * shut is served (each stream holds at most two reads past the budget). */
static bool room(const struct h2stream *s)
{
	return !s->draining && h2c_buffered(s) < s->conn->max_buffer &&
	       (s->conn->buffered < s->conn->budget || h2c_buffered(s) < H2P_READ_CHUNK);
}

/* n more response bytes left the stream's buffer: the backend may send
 * as many (an HTTP/1 backend is read again when room() says so; an HTTP/2
 * one's window opens only then). */
void h2c_backend_may_send(struct h2stream *s, size_t n)
{
	struct h2conn *c = s->conn;
	size_t spare =
		c->budget > c->buffered + c->widened ? c->budget - c->buffered - c->widened : 0;
	size_t wider;

	s->withheld += n;
	if (s->rq.at.h2 && !room(s))
		return;
	/* An HTTP/2 backend's stream window grows as its bytes are passed
	 * on, while what the streams buffer and what their windows grew
	 * stay within the connection's budget. */
	wider = sg_attempt_consume(&s->rq.at, s->withheld,
				   s->withheld < spare ? s->withheld : spare);
	s->widened += wider;
	c->widened += wider;
	s->withheld = 0;
}

/* ---- the backend exchange (user/core/attempt.h, user/core/exchange.h) --------------------- */

static size_t on_trailers(struct sg_attempt *a, const struct sg_h2_field **t)
{
	struct h2stream *s = a->owner;

	return s->req_trailers ? sg_h2head_kept_fields(s->req_trailers, t) : 0;
}

/* Every backend of the route speaks HTTP/2: a retained body can be sent
 * again to any of them. */
static bool all_h2(const struct sg_route *route)
{
	for (size_t i = 0; i < route->backends.n; i++)
		if (!route->backends.v[i].eff_h2)
			return false;
	return true;
}

/* This try's request on the attempt's exchange; the body follows from
 * `body` through on_body. */
static void send_request(struct h2stream *s)
{
	struct sg_h1_edit edit;
	int rc;

	s->up_off = 0;
	s->up_wait = false;
	/* A streamed body's first try keeps what it sends, while that fits
	 * the replay bound, so that a retry (on a listed status, a refused
	 * stream) can send it again; gRPC requests carry no length. */
	if (!s->rq.at.replayable && s->rq.at.n == 0 && !s->rq.at.stale_retry_used &&
	    all_h2(s->rq.at.route) && s->body.len <= H2P_REPLAY_MAX) {
		s->retain = true;
		s->rq.at.replayable = true;
	}
	sg_filter_request_edit(&s->rq.plan, &edit);
	rc = sg_attempt_send(&s->rq.at, &s->req, &edit, s->conn->ip,
			     !s->req_end || s->body.len > 0 || s->rq.plan.body_set);
	if (rc < 0) {
		sg_request_fail(&s->rq, SG_FAIL_CONNECT, -rc);
		return;
	}
	stream_rearm(s);
	/* A connection that came up ends a dial: streams that waited for
	 * the dials to drop (stream_start) may start now. */
	h2c_start_waiting(s->conn);
	h2c_flush_later(s->conn);
}

/* The streamed body outgrew the replay bound: tries are over with this
 * one, and what it sent is let go. */
void h2c_stop_retaining(struct h2stream *s)
{
	s->retain = false;
	s->rq.at.replayable = false;
	sg_buf_consume(&s->body, s->up_off);
	s->up_high -= s->up_off;
	s->up_off = 0;
}

static ssize_t on_body(struct sg_attempt *a, char *buf, size_t len, bool *eof)
{
	struct h2stream *s = a->owner;
	size_t n;

	if (a->replayable && !s->retain) {
		struct sg_h1_span b = sg_request_body(&s->rq, sg_buf_data(&s->body), s->body.len);

		n = b.len - s->up_off;
		if (n > len)
			n = len;
		if (n)
			memcpy(buf, b.p + s->up_off, n);
		s->up_off += n;
		h2c_moved(s, n);
		*eof = s->up_off == b.len;
		s->req_sent = *eof;
		return (ssize_t)n;
	}
	/* Streamed: from up_off, as the client's DATA comes. */
	n = s->body.len - s->up_off < len ? s->body.len - s->up_off : len;
	if (!n && !s->req_end) {
		s->up_wait = true;
		return -EAGAIN;
	}
	if (n) {
		memcpy(buf, sg_buf_data(&s->body) + s->up_off, n);
		s->up_off += n;
		h2c_moved(s, n);
		if (s->up_off > s->up_high) {
			s->rq.bytes_in += s->up_off - s->up_high;
			h2c_give_back(s, s->up_off - s->up_high);
			s->up_high = s->up_off;
			h2c_flush_later(s->conn); /* the client's WINDOW_UPDATE */
		}
		if (!s->retain) {
			sg_buf_consume(&s->body, s->up_off);
			s->up_high -= s->up_off;
			s->up_off = 0;
		}
	}
	*eof = s->req_end && s->up_off == s->body.len;
	s->req_sent = *eof;
	return (ssize_t)n;
}

/* The response head to the client: resp's fields, the route's edit and,
 * when `length` is not NULL, that content-length (a held response's).
 * False: the request failed (answered). */
static bool head_out(struct h2stream *s, const struct sg_h1_resp *resp,
		     const struct sg_h1_edit *edit, const char *length, bool body)
{
	struct sg_h2_field f[H2P_MAX_RESPONSE_FIELDS + 1];
	size_t cap = resp->head_len + 8;
	char *store;
	ssize_t n;

	for (size_t i = 0; i < edit->nadd; i++)
		cap += edit->add[i].name.len;
	store = sg_mem_alloc(cap);
	n = store ? sg_h2head_response_fields(resp, edit, store, cap, f, H2P_MAX_RESPONSE_FIELDS)
		  : -1;
	if (n >= 0 && length)
		f[n++] = (struct sg_h2_field){ "content-length", 14, length, strlen(length) };
	if (n < 0 || respond(s, f, (size_t)n, body) == -1) {
		sg_mem_free(store);
		sg_request_fail(&s->rq, SG_FAIL_BAD_RESPONSE, n < 0 ? EMSGSIZE : ENOMEM);
		return false;
	}
	sg_mem_free(store);
	sg_request_response_head(&s->rq, resp, edit);
	s->rq.phase = SG_REQUEST_RESPONSE;
	return true;
}

/* A backend's head as it came, transformed: `end`, it ended the stream. */
static bool relay_head(struct h2stream *s, const struct sg_h1_resp *resp, bool end)
{
	struct sg_h1_edit edit;

	sg_request_transform_response(&s->rq, resp);
	sg_filter_response_edit(&s->rq.plan, &edit);
	/* A head that ends the stream is answered so: a gRPC client reads
	 * grpc-status in a trailers-only answer only when nothing follows. */
	return head_out(s, resp, &edit, NULL,
			!end && !s->rq.is_head && resp->status != 204 && resp->status != 304);
}

static void on_head(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end)
{
	struct h2stream *s = a->owner;

	/* Interim heads are dropped, as from an HTTP/1 backend. */
	if (resp->status < 200 || sg_request_took_response(&s->rq, resp))
		goto out;
	stream_rearm(s);
	if (sg_request_hold_response(&s->rq, resp))
		s->rq.phase = SG_REQUEST_RESPONSE; /* its body is read on (on_room) */
	else
		relay_head(s, resp, end);
out:
	h2c_flush_later(s->conn);
}

/* The request module's (sink): a held response, whole, with its
 * Content-Length and its trailers (a gRPC answer's grpc-status), which
 * end the stream after the body as any response's do. */
static void stream_respond(struct sg_request *rq, const struct sg_h1_resp *resp,
			   const struct sg_h1_edit *edit, const char *body, size_t len,
			   const struct sg_h2_field *t, size_t nt)
{
	struct h2stream *s = rq->owner;
	char digits[24];

	snprintf(digits, sizeof(digits), "%zu", len);
	if (body_bytes(s, body, len) == -1 || (nt && keep_trailers(s, t, nt) == -1)) {
		sg_request_fail(rq, SG_FAIL_BAD_RESPONSE, ENOMEM);
		return;
	}
	if (head_out(s, resp, edit, digits, len > 0 || nt))
		response_complete(s);
}

/* The request module's (sink): a held response past maxBufferSize goes
 * as it came, its first bytes first. */
static void stream_release(struct sg_request *rq, const struct sg_h1_resp *resp, const char *body,
			   size_t len)
{
	struct h2stream *s = rq->owner;

	if (relay_head(s, resp, false) && body_bytes(s, body, len) == -1)
		h2c_reset_stream(s, SG_H2_INTERNAL_ERROR);
}

/* Body bytes of a held response (user/core/request.h): counted against
 * the connection's budget and given back to the backend at once; once
 * released, the rest goes on as any response's. */
static void held_data(struct h2stream *s, struct sg_attempt *a, const char *p, size_t n)
{
	const char *rest = p;
	size_t nrest = n;

	/* past the connection's budget: one held for the log alone goes as
	 * it came (rest, nrest: all of these bytes), any other fails */
	switch (h2c_hold(s, n) ? sg_request_response_data(&s->rq, p, n, &rest, &nrest)
			       : sg_request_response_unhold(&s->rq)) {
	case SG_REQUEST_HELD:
		sg_attempt_consume(a, n, 0);
		break;
	case SG_REQUEST_RELEASED:
		sg_attempt_consume(a, n - nrest, 0);
		if (nrest && (s->closed || body_bytes(s, rest, nrest) == -1))
			sg_attempt_consume(a, nrest, 0);
		break;
	case SG_REQUEST_GONE:
		break;
	}
}

/* An HTTP/1 backend's body is read straight into the stream's buffer:
 * on_data finds it there (body_bytes). Those reads are larger than the
 * exchange's own (user/core/h1backend.c), so only under the connection's
 * budget: past it a stream reads small ones, as room() says. */
static char *on_space(struct sg_attempt *a, size_t want)
{
	struct h2stream *s = a->owner;

	/* A held response's bytes go to the request module (held_data). */
	if (s->closed || s->rq.phase != SG_REQUEST_RESPONSE || s->rq.held_resp ||
	    s->conn->buffered >= s->conn->budget || sg_buf_reserve(&s->rbuf, want) < 0)
		return NULL;
	return sg_buf_tail(&s->rbuf);
}

static void on_data(struct sg_attempt *a, const char *p, size_t n)
{
	struct h2stream *s = a->owner;

	h2c_moved(s, n);
	if (s->rq.held_resp && !s->closed) {
		held_data(s, a, p, n);
		h2c_flush_later(s->conn);
		return;
	}
	if (s->closed || s->rq.phase != SG_REQUEST_RESPONSE || body_bytes(s, p, n) == -1) {
		sg_attempt_consume(a, n, 0);
		return;
	}
	h2c_flush_later(s->conn);
}

/* Trailers t[0..n) copied into one allocation: the fields, then their
 * bytes. */
static int keep_trailers(struct h2stream *s, const struct sg_h2_field *t, size_t n)
{
	size_t bytes = n * sizeof(*t);
	char *p;

	for (size_t i = 0; i < n; i++)
		bytes += t[i].name_len + t[i].value_len;
	s->trailers = sg_mem_alloc(bytes ? bytes : 1);
	if (!s->trailers)
		return -1;
	p = (char *)(s->trailers + n);
	for (size_t i = 0; i < n; i++) {
		memcpy(p, t[i].name, t[i].name_len);
		memcpy(p + t[i].name_len, t[i].value, t[i].value_len);
		s->trailers[i] =
			(struct sg_h2_field){ p, t[i].name_len, p + t[i].name_len, t[i].value_len };
		p += t[i].name_len + t[i].value_len;
	}
	s->ntrailers = n;
	return 0;
}

static void on_end(struct sg_attempt *a, const struct sg_h2_field *t, size_t n, int err)
{
	struct h2stream *s = a->owner;

	if (s->rq.held_resp && !s->closed) {
		sg_request_response_end(&s->rq, err, t, n);
		h2c_flush_later(s->conn);
		return;
	}
	if (err || (n && keep_trailers(s, t, n) == -1))
		h2c_reset_stream(s, SG_H2_INTERNAL_ERROR);
	else if (s->rq.phase == SG_REQUEST_RESPONSE)
		response_complete(s);
	h2c_flush_later(s->conn);
}

/* ---- the stream's timer -------------------------------------------------------- */

static void on_stream_timer(struct sg_loop *loop, struct sg_timer *t)
{
	struct h2stream *s = t->data;
	struct h2conn *c = s->conn;
	uint64_t n = h2c_now(c);

	if (s->closed)
		return;
	/* A stream whose body stalled is cut (reset once its response began,
	 * else 408); the others on the connection go on. */
	if (sg_request_body_stalled(&s->rq, n, s->streaming && !s->req_sent, NULL, NULL))
		sg_request_body_timeout(&s->rq);
	else if (!s->closed && !sg_attempt_expire(&s->rq.at, n))
		stream_rearm(s);
	h2c_start_waiting(c);
	h2c_conn_flush(c);
}

/* ---- requests ------------------------------------------------------------------ */

/* The request head is complete in s->req: begin it (user/core/request.h) on
 * the bind of the config in force now, so that a route made invalid or a
 * revoked ReferenceGrant holds for new streams of a long-lived connection
 * too (streams in flight keep theirs), and start it. */
static void got_request(struct h2stream *s)
{
	struct h2conn *c = s->conn;
	const struct sg_bind *now_bind = sg_request_follow_config(c->ctx, c->cfg, c->bind);
	struct sg_request_head h = {
		.req = &s->req,
		.cfg = c->cfg,
		.bind = c->bind,
		.sni_listener = c->tls ? sg_tls_listener_key(c->tls) : NULL,
		/* A body that ends with the head, or small enough to wait
		 * for, is whole before the first try: it can be sent again. */
		.replayable = s->req_end || (s->req.content_length >= 0 &&
					     s->req.content_length <= H2P_REPLAY_MAX),
		.engine = SG_RELAY_COPY,
	};

	if (now_bind) {
		s->cfg = sg_cfg_ref(c->ctx->cfg);
		h.cfg = s->cfg;
		h.bind = now_bind;
	}
	if (!sg_request_begin(&s->rq, &h))
		return; /* answered on this stream; the others go on */
	stream_rearm(s);
	/* The body may be read here before any backend sees the request, so
	 * the gateway itself tells a waiting client to send it (a backend's
	 * own 100 is dropped: interim answers are not passed on). */
	if (!s->req_end && sg_h1_expects_continue(&s->req))
		sg_h2_continue(c->h2, s->id);
	if (s->req_end) {
		h2c_stream_start(s);
	} else if (s->rq.at.replayable) {
		s->rq.phase = SG_REQUEST_BODY; /* the attempt starts at END_STREAM */
	} else {
		s->streaming = true;
		h2c_stream_start(s);
	}
}

/* The HTTP/1 view of the head (s->req), made straight from the fields by
 * sg_h2head_request_head: no HTTP/1 text is written and parsed again. The
 * fields' spans are made here from their offsets (hbuf may have moved as
 * it grew); req's spans point into hbuf and store, which live as long as
 * the stream. */
static int build_request(struct h2stream *s)
{
	struct sg_h2_field *f = sg_mem_alloc((s->npos ? s->npos : 1) * sizeof(*f));
	/* Every field but the pseudo-headers, and a Host made from
	 * :authority. */
	size_t slots = s->npos < SG_H1_MAX_HEADERS ? s->npos + 1 : SG_H1_MAX_HEADERS;
	int rc;

	s->req_slots = sg_mem_alloc(slots * sizeof(*s->req_slots));
	if (!f || !s->req_slots) {
		sg_mem_free(f);
		return -ENOMEM;
	}
	s->req.headers = s->req_slots;
	s->req.headers_cap = slots;
	for (size_t i = 0; i < s->npos; i++)
		f[i] = (struct sg_h2_field){ s->hbuf.data + s->pos[i].name, s->pos[i].name_len,
					     s->hbuf.data + s->pos[i].value, s->pos[i].value_len };
	s->store = sg_mem_alloc(s->hbuf.len + 1);
	rc = s->store ? sg_h2head_request_head(f, s->npos, s->store, s->hbuf.len + 1, &s->req)
		      : -ENOMEM;
	sg_mem_free(f);
	return rc;
}

/* Every field is in: answer a bad head, else proxy the request. */
void h2c_head_complete(struct h2stream *s)
{
	int rc = s->head_too_large ? -E2BIG : build_request(s);

	if (rc == -E2BIG || rc == -ENOMEM) {
		sg_request_fail(&s->rq, SG_FAIL_HEAD_TOO_LARGE, 0);
		return;
	}
	if (rc < 0) {
		sg_request_fail(&s->rq, SG_FAIL_BAD_REQUEST, 0);
		return;
	}
	got_request(s);
}

int h2c_add_field(struct h2stream *s, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct field_pos fp = { (uint32_t)s->hbuf.len, (uint32_t)nlen,
				(uint32_t)(s->hbuf.len + nlen), (uint32_t)vlen };

	if (s->head_too_large || s->hbuf.len + nlen + vlen > H2P_HEAD_MAX ||
	    s->npos >= SG_H1_MAX_HEADERS + 4) {
		s->head_too_large = true;
		return 0;
	}
	if (s->npos == s->pos_cap) {
		/* From the thread's kept blocks, as the stream's other buffers
		 * (every request needs one: malloc and free were 1-2 % of an
		 * h2c request's CPU). */
		size_t ncap = s->pos_cap ? s->pos_cap * 2 : 16;
		struct field_pos *grown = sg_mem_alloc(ncap * sizeof(*grown));

		if (!grown)
			return -1;
		if (s->npos)
			memcpy(grown, s->pos, s->npos * sizeof(*grown));
		sg_mem_free_sized(s->pos, s->pos_cap * sizeof(*s->pos));
		s->pos = grown;
		s->pos_cap = ncap;
	}
	if (nlen + vlen) { /* one reserve: an append each was 2 % of an h2c request */
		char *t;

		if (sg_buf_reserve(&s->hbuf, nlen + vlen) < 0)
			return -1;
		t = sg_buf_tail(&s->hbuf);
		memcpy(t, name, nlen);
		memcpy(t + nlen, value, vlen);
		sg_buf_commit(&s->hbuf, nlen + vlen);
	}
	s->pos[s->npos++] = fp;
	return 0;
}
