/* HTTP/2 client connections: one struct h2conn per connection (socket,
 * session, PING keepalive and idle deadlines), one struct h2stream per
 * stream. A stream goes: head -> (small body buffered for replay) ->
 * attempts (user/core/attempt.c: pick endpoint, connect or reuse, send, wait
 * for the response head) -> response HEADERS -> body relayed as DATA ->
 * closed by the session. Each stream is an ordinary request: the same
 * routing, filters, timeouts, retry rules and failure answers as the
 * HTTP/1 frontend's (user/http1/proxy.c), and one path to every backend: the
 * attempt's exchange (user/core/exchange.h) speaks HTTP/1 (user/core/h1backend.c's
 * sg_h1x) or HTTP/2 (user/core/h2backend.c) and reports the response the same
 * way.
 *
 * About 1,750 lines: the session's callbacks, both body directions as DATA
 * frames with flow control, and the connection's budgets (buffered bytes,
 * resets, dials) are one job here: they share the session's re-entry
 * rules below.
 *
 * Re-entry: session callbacks run inside sg_h2_recv/sg_h2_pending, where the
 * session must not be driven again; `busy` defers flushing and closing the
 * connection until the session returns. Streams and connections are freed
 * from the loop's close queue, never inside a callback. */
#include "user/http2/h2proxy.h"
#include "user/tls/tls.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy/failure.h"
#include "policy/idle.h"
#include "policy/route.h"
#include "user/core/attempt.h"
#include "user/base/buf.h"
#include "user/core/filter.h"
#include "user/core/h1backend.h"
#include "user/codec/h2.h"
#include "user/base/log.h"
#include "user/base/mem.h"
#include "user/base/net.h"
#include "user/core/request.h"

#define H2P_HEAD_MAX (64 * 1024)   /* request fields, or a response head */
#define H2P_REPLAY_MAX (64 * 1024) /* bodies kept for retries */
#define H2P_READ_CHUNK 16384
#define H2P_FLUSH_BATCH (64 * 1024) /* session bytes gathered for one send */
/* Response bytes one connection's streams may buffer together, in
 * maxBufferSize units (2 MiB by default: 8 MiB a connection). */
#define H2P_CONN_BUDGET 4
#define H2P_DEFAULT_PING_TIMEOUT_MS 20000 /* hyper's, which agentgateway uses */
#define H2P_MAX_RESPONSE_FIELDS (SG_H1_MAX_HEADERS + 1)
/* A connection with no stream for this long gives its session's spare pages
 * back (sg_h2_trim, 8 KiB and more) and puts the session to sleep
 * (sg_h2_sleep: nghttp2's 4 KiB and more, once the client acknowledges
 * the SETTINGS that takes). Not at once: the madvise and the page
 * faults after it cut one-at-a-time requests to a fifth of their rate
 * (h2load -c 32 -m 1 against a direct response, two workers: 10,000 req/s
 * against 50,000-68,000; tests/README.md, "Idle HTTP/2"). */
#define H2P_TRIM_MS 1000

static const char upgrade_101[] = "HTTP/1.1 101 Switching Protocols\r\n"
				  "Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n";

/* One HTTP/2 client connection. Owned by the worker's loop (listed in
 * ctx->h2conns); freed in the close queue. Owns its streams. */
struct h2conn {
	struct sg_frontend *ctx;
	struct sg_cfg *cfg; /* the config the connection began on (a reference) */
	const struct sg_bind *bind;
	const struct sg_frontend_http *fhttp; /* SETTINGS, keepalive, buffers */
	struct sg_list link;		      /* in ctx->h2conns */
	struct sg_io io;
	struct sg_tls *tls; /* HTTPS (ALPN h2); NULL = h2c */
	struct sg_timer timer;
	struct sg_closing closing;
	/* A flush after the loop's pass (flush_later): the answers an HTTP/2
	 * backend's frames make in one pass leave in one write. */
	struct sg_deferred later;
	struct sg_h2_session *h2;
	char ip[INET6_ADDRSTRLEN];
	bool closed;
	int busy;	   /* inside the session: flush and close wait */
	bool flush_wanted; /* asked for while busy */
	bool close_wanted; /* asked for while busy */
	bool asleep;	   /* the session slept when last looked at (note_sleep) */

	struct sg_buf out; /* bytes for the client that did not fit in the socket yet */

	struct sg_list streams; /* h2stream.link, newest first */
	size_t nstreams;

	/* Deadlines in loop ms, 0 = none. */
	uint64_t rx_at;	  /* last bytes from the client */
	uint64_t pong_by; /* the PING in flight must be acked by then */
	uint64_t idle_at; /* no stream open since a while */
	uint64_t trim_at; /* no stream open for H2P_TRIM_MS: sg_h2_trim */
	uint64_t age_at;  /* maxConnectionDuration: GOAWAY then, 0 = none or sent */
	/* A header block the client began and has not finished must end by
	 * then (--request-head-timeout, as an HTTP/1 head), 0 = none open */
	uint64_t head_at;
	uint64_t ping_ms, pong_ms, idle_ms;
	size_t max_buffer; /* response bytes buffered per stream */
	/* Response bytes buffered by all its streams, and the most they may
	 * hold together (H2P_CONN_BUDGET streams' worth): past it no backend
	 * of this connection is read until the client takes some. */
	size_t buffered, budget;
	/* What the windows of its streams' HTTP/2 backends grew past their
	 * first (backend_may_send): counted against the budget too. A
	 * stream that never reads holds its backend's first window (64 KiB)
	 * at most, so a connection's streams hold buffered + widened + 64
	 * KiB each. */
	size_t widened;
	bool over_budget;
	bool starts_pending; /* a stream waits for its first attempt (start_waiting) */

	/* Rapid reset (CVE-2023-44487): streams the client reset before their
	 * answer, in the window that began at reset_window. */
	unsigned resets;
	uint64_t reset_window;
};

/* Where a request field sits in h2stream.hbuf (offsets: its bytes may
 * move). */
struct field_pos {
	uint32_t name, name_len, value, value_len;
};

/* One stream. Owned by its connection; freed in the close queue. Owns its
 * backend connection while an attempt or the response body runs. */
struct h2stream {
	struct h2conn *conn;
	struct sg_list link; /* in conn->streams */
	int32_t id;
	/* The request: its phase (SG_REQUEST_DONE: answered or reset, waiting
	 * for the session to close it), route, plan, tries, log fields. */
	struct sg_request rq;
	bool closed;
	bool start_pending; /* its first attempt waits: for the end of the input, or a dial */
	struct sg_timer timer;
	struct sg_closing closing;

	/* The request head: fields packed in hbuf, then the HTTP/1 view the
	 * backend gets (spans into hbuf and store). */
	struct sg_buf hbuf;
	char *store;
	struct field_pos *pos;
	size_t npos, pos_cap;
	bool head_too_large;
	struct sg_h1_req req;
	/* Header slots of req, as many as its fields can make (a stream
	 * allocated with room for the most a head may have would be 8 KiB
	 * more, zeroed for every request). */
	struct sg_h1_header *req_slots;

	/* The request body: the whole of it when replayable, else the bytes
	 * not yet written to the backend. */
	struct sg_buf body;
	size_t unconsumed; /* received, not yet given back to flow control */
	/* Response bytes sent on to the client and not yet given back to an
	 * HTTP/2 backend stream's window: held while the stream has no room
	 * (its own or the connection's budget), which bounds what the backend
	 * can send it to one window more. */
	size_t withheld;
	size_t widened; /* its HTTP/2 backend stream's window grew by this */
	bool req_end;	/* the client ended its side */
	bool streaming; /* body passed to the backend as it arrives */
	bool req_sent;	/* the whole request is with the backend */

	struct sg_cfg *cfg; /* the config in force when the head came, when
			     * it is not the connection's (a reference) */

	/* The response (rq.resp_started: HEADERS submitted). */
	bool resp_eof;	    /* every body byte is in rbuf */
	bool deferred;	    /* the session waits for body bytes */
	struct sg_buf rbuf; /* decoded body bytes not yet taken by the session */
	bool draining;	    /* rbuf was full: no reading until it is half empty */

	/* The backend's response, from the exchange (HTTP/1 or HTTP/2 alike,
	 * user/core/exchange.h): body bytes in rbuf, given back to the exchange
	 * as the client takes them; trailers passed on at the end (fields and
	 * their bytes, one allocation). The request body goes from `body`
	 * (a replay from up_off); up_wait: the exchange waits for more. */
	bool up_wait;
	size_t up_off;
	/* A streamed body sent to an HTTP/2 backend is kept (retained) while
	 * it fits H2P_REPLAY_MAX, so a try can be made again as for a whole
	 * body; up_high: the bytes sent on some try (counted, given back). */
	bool retain;
	size_t up_high;
	/* The request's trailers (an HTTP/2 backend gets them): as lines,
	 * then as fields into them. Allocated with the first one (a gRPC
	 * client's stream has them): 1 KiB that every other stream would
	 * zero and carry. */
	struct sg_h2_kept *req_trailers;
	struct sg_h2_field *trailers;
	size_t ntrailers;

	/* Body bytes either way, for the request's watchdog (client DATA in,
	 * bytes to the backend, from the backend, to the session). */
	uint64_t moved;
};

static void conn_close(struct h2conn *c);
static void conn_flush(struct h2conn *c);
static void flush_later(struct h2conn *c);
static void start_waiting(struct h2conn *c);
static void conn_rearm(struct h2conn *c);
static void stream_start(struct h2stream *s);
static const struct sg_attempt_ops attempt_ops;
static const struct sg_request_sink sink;
static size_t buffered(const struct h2stream *s);
static void rebudget(struct h2stream *s, size_t before);
static void backend_may_send(struct h2stream *s, size_t n);

/* ---- small helpers ------------------------------------------------------- */

static uint64_t now(const struct h2conn *c)
{
	return sg_loop_now(c->ctx->loop);
}

static uint64_t ms(sg_dur d)
{
	return sg_dur_to_ms_ceil(d);
}

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
static void moved(struct h2stream *s, size_t n)
{
	s->moved += n;
	if (n)
		sg_request_note_progress(&s->rq, now(s->conn), s->moved);
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
	sg_buf_free(&s->rbuf);
	sg_mem_free(s->trailers);
	if (s->req_trailers) {
		sg_h2_kept_free(s->req_trailers);
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
static void stream_close(struct h2stream *s, bool give_back)
{
	struct h2conn *c = s->conn;

	if (s->closed)
		return;
	s->closed = true;
	sg_request_release(&s->rq);
	if (buffered(s)) {
		size_t before = buffered(s);

		sg_buf_reset(&s->rbuf);
		rebudget(s, before);
	}
	sg_request_log(&s->rq, 0, 0);
	sg_timer_stop(c->ctx->loop, &s->timer);
	sg_attempt_drop(&s->rq.at);
	unwiden(s);
	if (give_back && s->unconsumed)
		sg_h2_consume(c->h2, s->id, s->unconsumed);
	sg_list_remove(&s->link);
	if (--c->nstreams == 0 && !c->closed) {
		c->idle_at = c->idle_ms ? now(c) + c->idle_ms : 0;
		c->trim_at = now(c) + H2P_TRIM_MS;
		conn_rearm(c);
	}
	sg_loop_defer_close(c->ctx->loop, &s->closing, stream_free);
}

static void on_stream_timer(struct sg_loop *loop, struct sg_timer *t);

static struct h2stream *stream_new(struct h2conn *c, int32_t id)
{
	struct h2stream *s = sg_mem_calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->conn = c;
	s->id = id;
	sg_request_init(&s->rq, &sink, s, c->ctx, c->bind, c->ip, &attempt_ops);
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
static void give_back(struct h2stream *s, size_t n)
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
		give_back(s, s->body.len);
	sg_buf_reset(&s->body);
}

static void reset_stream(struct h2stream *s, uint32_t code)
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
	size_t before = buffered(s);

	sg_buf_reset(&s->rbuf);
	rebudget(s, before);
	if ((len && sg_buf_append(&s->rbuf, body, len) < 0) || respond(s, f, n, len > 0) == -1) {
		reset_stream(s, SG_H2_INTERNAL_ERROR);
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
	n = store ? sg_h2_answer_fields(status, edit, len, store, cap, f,
					H2P_MAX_RESPONSE_FIELDS - text)
		  : -1;
	if (n < 0 && !text) {
		sg_mem_free(store);
		reset_stream(s, SG_H2_INTERNAL_ERROR);
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
	reset_stream(rq->owner, SG_H2_INTERNAL_ERROR);
}

static void send_request(struct h2stream *s);
static void on_head(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end);
static void on_data(struct sg_attempt *a, const char *p, size_t n);
static char *on_space(struct sg_attempt *a, size_t want);
static void on_end(struct sg_attempt *a, const struct sg_h2_field *t, size_t n, int err);
static ssize_t on_body(struct sg_attempt *a, char *buf, size_t len, bool *eof);
static size_t on_trailers(struct sg_attempt *a, const struct sg_h2_field **t);
static bool room(const struct h2stream *s);
static void stop_retaining(struct h2stream *s);

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

	start_waiting(s->conn);
	flush_later(s->conn);
}

static void stream_send(struct sg_request *rq)
{
	send_request(rq->owner);
}

static void stream_held_body(const struct sg_request *rq, struct sg_mirror_request *m)
{
	const struct h2stream *s = rq->owner;

	m->body = sg_buf_data(&s->body);
	m->body_len = s->rq.at.replayable ? s->body.len : 0;
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
	.held_body = stream_held_body,
	.progress = stream_progress,
};

static const struct sg_attempt_ops attempt_ops = {
	.send = sg_request_try_send,
	.fail = sg_request_try_failed,
	.dropped = try_dropped,
	.wait = on_wait,
	.messages = true,
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

static void stream_start(struct h2stream *s)
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
static void start_waiting(struct h2conn *c)
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
			stream_start(s); /* may wait again, for a dial */
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
	size_t before = buffered(s);

	if (sg_buf_append(&s->rbuf, p, n) < 0)
		return -1;
	rebudget(s, before);
	if (n && s->deferred) {
		s->deferred = false;
		sg_h2_resume(s->conn->h2, s->id);
	}
	return 0;
}

static size_t buffered(const struct h2stream *s)
{
	return s->rbuf.len;
}

/* A stream's buffer changed from `before` bytes: the connection's total
 * follows, and when it falls back under the budget every stream that
 * stopped reading its backend for it reads again. */
static void rebudget(struct h2stream *s, size_t before)
{
	struct h2conn *c = s->conn;

	c->buffered = c->buffered - before + buffered(s);
	/* A stream whose client reads slower than its backend sends would
	 * otherwise stop and start its backend for every frame sent (an
	 * epoll_ctl and a small read each). */
	if (buffered(s) >= c->max_buffer)
		s->draining = true;
	else if (buffered(s) <= c->max_buffer / 2)
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
				backend_may_send(o, 0); /* it may read again */
		}
	}
}

/* The stream may take more response bytes from its backend. Over the
 * connection's budget a stream with less than a read's worth buffered
 * still may: a client reading one stream while the others' windows stay
 * shut is served (each stream holds at most two reads past the budget). */
static bool room(const struct h2stream *s)
{
	return !s->draining && buffered(s) < s->conn->max_buffer &&
	       (s->conn->buffered < s->conn->budget || buffered(s) < H2P_READ_CHUNK);
}

/* n more response bytes left the stream's buffer: the backend may send
 * as many (an HTTP/1 backend is read again when room() says so; an HTTP/2
 * one's window opens only then). */
static void backend_may_send(struct h2stream *s, size_t n)
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

	return s->req_trailers ? sg_h2_kept_fields(s->req_trailers, t) : 0;
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
			     !s->req_end || s->body.len > 0);
	if (rc < 0) {
		sg_request_fail(&s->rq, SG_FAIL_CONNECT, -rc);
		return;
	}
	stream_rearm(s);
	/* A connection that came up ends a dial: streams that waited for
	 * the dials to drop (stream_start) may start now. */
	start_waiting(s->conn);
	flush_later(s->conn);
}

/* The streamed body outgrew the replay bound: tries are over with this
 * one, and what it sent is let go. */
static void stop_retaining(struct h2stream *s)
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
		n = s->body.len - s->up_off;
		if (n > len)
			n = len;
		if (n)
			memcpy(buf, sg_buf_data(&s->body) + s->up_off, n);
		s->up_off += n;
		moved(s, n);
		*eof = s->up_off == s->body.len;
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
		moved(s, n);
		if (s->up_off > s->up_high) {
			s->rq.bytes_in += s->up_off - s->up_high;
			give_back(s, s->up_off - s->up_high);
			s->up_high = s->up_off;
			flush_later(s->conn); /* the client's WINDOW_UPDATE */
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

static void on_head(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end)
{
	struct h2stream *s = a->owner;
	struct sg_h2_field f[H2P_MAX_RESPONSE_FIELDS];
	size_t cap = resp->head_len + 8;
	struct sg_h1_edit edit;
	bool body;
	char *store;
	ssize_t n;

	/* Interim heads are dropped, as from an HTTP/1 backend. */
	if (resp->status < 200 || sg_attempt_took_status(a, resp->status))
		goto out;
	stream_rearm(s);
	sg_filter_response_edit(&s->rq.plan, &edit);
	for (size_t i = 0; i < edit.nadd; i++)
		cap += edit.add[i].name.len;
	store = sg_mem_alloc(cap);
	n = store ? sg_h2_response_fields(resp, &edit, store, cap, f, H2P_MAX_RESPONSE_FIELDS) : -1;
	/* A head that ends the stream is answered so: a gRPC client reads
	 * grpc-status in a trailers-only answer only when nothing follows. */
	body = !end && !s->rq.is_head && resp->status != 204 && resp->status != 304;
	if (n < 0 || respond(s, f, (size_t)n, body) == -1) {
		sg_mem_free(store);
		sg_request_fail(&s->rq, SG_FAIL_BAD_RESPONSE, n < 0 ? EMSGSIZE : ENOMEM);
		goto out;
	}
	sg_mem_free(store);
	sg_request_response_head(&s->rq, resp->status);
	s->rq.phase = SG_REQUEST_RESPONSE;
out:
	flush_later(s->conn);
}

/* An HTTP/1 backend's body is read straight into the stream's buffer:
 * on_data finds it there (body_bytes). Those reads are larger than the
 * exchange's own (user/core/h1backend.c), so only under the connection's
 * budget: past it a stream reads small ones, as room() says. */
static char *on_space(struct sg_attempt *a, size_t want)
{
	struct h2stream *s = a->owner;

	if (s->closed || s->rq.phase != SG_REQUEST_RESPONSE ||
	    s->conn->buffered >= s->conn->budget || sg_buf_reserve(&s->rbuf, want) < 0)
		return NULL;
	return sg_buf_tail(&s->rbuf);
}

static void on_data(struct sg_attempt *a, const char *p, size_t n)
{
	struct h2stream *s = a->owner;

	moved(s, n);
	if (s->closed || s->rq.phase != SG_REQUEST_RESPONSE || body_bytes(s, p, n) == -1) {
		sg_attempt_consume(a, n, 0);
		return;
	}
	flush_later(s->conn);
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

	if (err || (n && keep_trailers(s, t, n) == -1))
		reset_stream(s, SG_H2_INTERNAL_ERROR);
	else if (s->rq.phase == SG_REQUEST_RESPONSE)
		response_complete(s);
	flush_later(s->conn);
}

/* ---- the stream's timer -------------------------------------------------------- */

static void on_stream_timer(struct sg_loop *loop, struct sg_timer *t)
{
	struct h2stream *s = t->data;
	struct h2conn *c = s->conn;
	uint64_t n = now(c);

	if (s->closed)
		return;
	/* A stream whose body stalled is cut (reset once its response began,
	 * else 408); the others on the connection go on. */
	if (sg_request_body_stalled(&s->rq, n, s->streaming && !s->req_sent, NULL, NULL))
		sg_request_body_timeout(&s->rq);
	else if (!s->closed && !sg_attempt_expire(&s->rq.at, n))
		stream_rearm(s);
	start_waiting(c);
	conn_flush(c);
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
		stream_start(s);
	} else if (s->rq.at.replayable) {
		s->rq.phase = SG_REQUEST_BODY; /* the attempt starts at END_STREAM */
	} else {
		s->streaming = true;
		stream_start(s);
	}
}

/* The HTTP/1 view of the head (s->req), made straight from the fields by
 * sg_h2_request_head: no HTTP/1 text is written and parsed again. The
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
	rc = s->store ? sg_h2_request_head(f, s->npos, s->store, s->hbuf.len + 1, &s->req)
		      : -ENOMEM;
	sg_mem_free(f);
	return rc;
}

/* Every field is in: answer a bad head, else proxy the request. */
static void head_complete(struct h2stream *s)
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

static int add_field(struct h2stream *s, const char *name, size_t nlen, const char *value,
		     size_t vlen)
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

/* ---- session callbacks ------------------------------------------------------------ */

static void *cb_open(void *conn, int32_t id)
{
	struct h2conn *c = conn;

	return c->closed ? NULL : stream_new(c, id);
}

static int cb_field(void *conn, void *stream, const struct sg_h2_field *f)
{
	struct h2stream *s = stream;

	return add_field(s, f->name, f->name_len, f->value, f->value_len);
}

static int cb_head(void *conn, void *stream, bool end_stream)
{
	struct h2stream *s = stream;

	s->req_end = end_stream;
	head_complete(s);
	return 0;
}

static int cb_data(void *conn, void *stream, const char *p, size_t len)
{
	struct h2stream *s = stream;

	s->unconsumed += len;
	moved(s, len);
	if (s->rq.phase == SG_REQUEST_DONE || s->rq.phase == SG_REQUEST_HEAD ||
	    (!s->rq.at.replayable && !s->streaming)) {
		give_back(s, len); /* nobody wants them */
		return 0;
	}
	if (sg_buf_append(&s->body, p, len) < 0) {
		reset_stream(s, SG_H2_INTERNAL_ERROR);
		return 0;
	}
	if (s->rq.at.replayable && !s->retain) {
		/* Kept here for replay, bounded by H2P_REPLAY_MAX. */
		s->rq.bytes_in += len;
		give_back(s, len);
		return 0;
	}
	if (s->retain && s->body.len > H2P_REPLAY_MAX)
		stop_retaining(s);
	if (s->up_wait) {
		s->up_wait = false;
		sg_attempt_resume(&s->rq.at);
	}
	return 0;
}

static int cb_end(void *conn, void *stream)
{
	struct h2stream *s = stream;

	s->req_end = true;
	if (s->rq.phase == SG_REQUEST_BODY) {
		stream_start(s);
		return 0;
	}
	if (s->up_wait) {
		s->up_wait = false;
		sg_attempt_resume(&s->rq.at);
	}
	return 0;
}

/* More resets than this in a second before an answer, from one
 * connection, is an attack (legitimate clients cancel a few streams, not
 * hundreds): the connection gets GOAWAY(ENHANCE_YOUR_CALM) and closes. An
 * attacker that reconnects is counted by its address too
 * (SG_H2P_MAX_SOURCE_RESETS). */
#define H2P_MAX_RESETS_PER_S 100

/* A flood (`which`, said in the GOAWAY as `why`) ends the connection. */
static void calm_down(struct h2conn *c, enum sg_stat which, const char *why)
{
	sg_stats_add(c->ctx->stats, which, 1);
	sg_h2_goaway(c->h2, SG_H2_ENHANCE_YOUR_CALM, why);
	c->close_wanted = true; /* after the session returns */
}

/* The client floods frames that make no progress (h2.c's flood). */
static void cb_flood(void *conn)
{
	struct h2conn *c = conn;

	if (c->close_wanted)
		return;
	SG_WARN("%s: PRIORITY, WINDOW_UPDATE, empty DATA or CONTINUATION frames past any need: "
		"GOAWAY",
		c->ip);
	calm_down(c, SG_STAT_H2_FRAME_FLOOD, "too many frames");
}

/* A stream was reset by the client before its answer. */
static void count_reset(struct h2conn *c)
{
	if (c->close_wanted)
		return;
	if (now(c) - c->reset_window >= 1000) {
		c->reset_window = now(c);
		c->resets = 0;
	}
	if (++c->resets > H2P_MAX_RESETS_PER_S) {
		SG_WARN("%s: over %d streams reset in a second: GOAWAY (rapid reset)", c->ip,
			H2P_MAX_RESETS_PER_S);
		calm_down(c, SG_STAT_H2_RESET_FLOOD, "too many resets");
	} else if (c->ctx->resets &&
		   sg_srcrate_add(c->ctx->resets, c->ip, now(c)) > SG_H2P_MAX_SOURCE_RESETS) {
		SG_WARN("%s: this address reset over %d streams in %d s: GOAWAY (rapid reset)",
			c->ip, SG_H2P_MAX_SOURCE_RESETS, SG_H2P_SOURCE_RESET_WINDOW_MS / 1000);
		calm_down(c, SG_STAT_H2_RESET_FLOOD, "too many resets");
	}
}

static void cb_closed(void *conn, void *stream, uint32_t code)
{
	struct h2conn *c = conn;
	struct h2stream *s = stream;
	bool unanswered = s->rq.phase != SG_REQUEST_RESPONSE && s->rq.phase != SG_REQUEST_DONE;

	stream_close(s, true);
	if (code != SG_H2_NO_ERROR && unanswered)
		count_reset(c);
}

static void cb_ping_ack(void *conn)
{
	struct h2conn *c = conn;

	c->pong_by = 0;
	conn_rearm(c);
}

static ssize_t cb_body(void *conn, void *stream, char *buf, size_t len, bool *eof)
{
	struct h2stream *s = stream;
	size_t n = buffered(s), before = n;

	if (!n && !s->resp_eof) {
		s->deferred = true;
		return -EAGAIN;
	}
	if (n > len)
		n = len;
	if (n) /* none yet at the end of an empty body: rbuf may be unallocated */
		memcpy(buf, sg_buf_data(&s->rbuf), n);
	sg_buf_consume(&s->rbuf, n);
	s->rq.bytes_out += n;
	moved(s, n);
	*eof = s->resp_eof && !buffered(s);
	rebudget(s, before);
	/* The backend may send as many more (and be read again: room). */
	backend_may_send(s, n);
	return (ssize_t)n;
}

/* The body ended: trailers from an HTTP/2 backend end the stream. */
static int cb_trailers(void *conn, void *stream, int32_t id)
{
	struct h2conn *c = conn;
	struct h2stream *s = stream;

	if (!s->ntrailers)
		return 0;
	return sg_h2_trailers(c->h2, id, s->trailers, s->ntrailers) == 0;
}

/* A request trailer field, kept for an HTTP/2 backend (64 KiB at most). */
static int cb_trailer(void *conn, void *stream, const struct sg_h2_field *f)
{
	struct h2stream *s = stream;

	(void)conn;
	if (!s->req_trailers && !(s->req_trailers = sg_mem_calloc(1, sizeof(*s->req_trailers))))
		return -1;
	return sg_h2_kept_add(s->req_trailers, f, H2P_HEAD_MAX) < 0 ? -1 : 0;
}

static const struct sg_h2_callbacks callbacks = {
	.trailer = cb_trailer,
	.flood = cb_flood,
	.trailers = cb_trailers,
	.open = cb_open,
	.field = cb_field,
	.head = cb_head,
	.data = cb_data,
	.end = cb_end,
	.closed = cb_closed,
	.ping_ack = cb_ping_ack,
	.body = cb_body,
};

/* ---- the connection ---------------------------------------------------------------- */

static void conn_free(struct sg_closing *cl)
{
	struct h2conn *c = (struct h2conn *)((char *)cl - offsetof(struct h2conn, closing));

	sg_h2_session_free(c->h2);
	sg_buf_free(&c->out);
	sg_cfg_unref(c->cfg);
	sg_slab_free(c);
}

static void conn_close(struct h2conn *c)
{
	if (c->closed)
		return;
	if (c->busy) {
		c->close_wanted = true;
		return;
	}
	c->closed = true;
	while (!sg_list_empty(&c->streams))
		stream_close(SG_LIST_ENTRY(sg_list_first(&c->streams), struct h2stream, link),
			     false);
	sg_timer_stop(c->ctx->loop, &c->timer);
	sg_io_forget(&c->io); /* the close drops the interest */
	if (c->tls)
		sg_tls_close_notify(c->tls);
	sg_tls_free(c->tls);
	c->tls = NULL;
	close(c->io.fd);
	sg_frontend_release(c->ctx, c->bind->port, c->ip);
	c->ctx->stats->active--;
	sg_list_remove(&c->link);
	sg_loop_defer_close(c->ctx->loop, &c->closing, conn_free);
}

static void on_flush_later(struct sg_deferred *d)
{
	struct h2conn *c = (struct h2conn *)((char *)d - offsetof(struct h2conn, later));

	if (!c->closed)
		conn_flush(c);
}

/* Flush once the loop's pass is over (a connection closed meanwhile is
 * skipped: its free waits until this ran, loop.h). */
static void flush_later(struct h2conn *c)
{
	if (!c->closed)
		sg_loop_after_pass(c->ctx->loop, &c->later, on_flush_later);
}

static void conn_update_io(struct h2conn *c)
{
	uint32_t ev = EPOLLIN;

	if (c->out.len)
		ev |= EPOLLOUT;
	if (sg_io_set(c->ctx->loop, &c->io, ev) == -1)
		conn_close(c);
}

static ssize_t session_send(void *conn, const char *p, size_t len)
{
	struct h2conn *c = conn;

	return sg_sock_send(c->tls, c->io.fd, p, len, MSG_NOSIGNAL);
}

/* Write what the session has for the client; close the connection once the
 * session is over and everything is out. */
static void conn_flush(struct h2conn *c)
{
	int rc;

	if (c->closed)
		return;
	if (c->busy) {
		c->flush_wanted = true;
		return;
	}
	c->busy++;
	rc = sg_h2_flush(c->h2, &c->out, H2P_FLUSH_BATCH, c->tls ? SG_TLS_RECORD : 0, session_send,
			 c);
	c->busy--;
	c->flush_wanted = false;
	/* A connection with no stream keeps no write buffer while it waits
	 * (up to H2P_FLUSH_BATCH of it): the next flush allocates again. */
	if (!c->out.len && !c->nstreams) {
		sg_buf_free(&c->out);
		if (c->tls)
			sg_tls_idle(c->tls);
	}
	if (rc < 0 || c->close_wanted || (!sg_h2_alive(c->h2) && !c->out.len)) {
		c->close_wanted = false;
		conn_close(c);
		return;
	}
	/* Frames made with no stream open since the last trim (the ack of the
	 * client's PING or SETTINGS, our keepalive PING) wrote the frame
	 * buffer's head page again: it goes back H2P_TRIM_MS later too, not
	 * only after the next stream (4 KiB an idle connection). */
	if (!c->nstreams && !c->out.len && !c->trim_at && sg_h2_dirty(c->h2)) {
		c->trim_at = now(c) + H2P_TRIM_MS;
		conn_rearm(c);
	}
	conn_update_io(c);
}

/* Count the session falling asleep or waking since the last look. */
static void note_sleep(struct h2conn *c)
{
	bool now = sg_h2_asleep(c->h2);

	if (now != c->asleep)
		sg_stats_add(c->ctx->stats, now ? SG_STAT_H2_SLEEPS : SG_STAT_H2_WAKES, 1);
	c->asleep = now;
}

/* Bytes from the client into the session. Returns -1 when the connection
 * is over: closed already, or to be closed after a final flush (the
 * session may have queued a GOAWAY saying why). */
static int conn_feed(struct h2conn *c, const char *p, size_t len)
{
	int rc;

	c->rx_at = now(c);
	c->busy++;
	rc = sg_h2_recv(c->h2, p, len);
	c->busy--;
	note_sleep(c);
	if (!sg_h2_in_header_block(c->h2)) {
		c->head_at = 0;
	} else if (!c->head_at && c->ctx->head_timeout_ms) {
		c->head_at = c->rx_at + c->ctx->head_timeout_ms;
		conn_rearm(c);
	}
	if (rc >= 0) {
		start_waiting(c);
		if (c->closed)
			return -1;
	}
	/* Closing: what the session queued last (a GOAWAY saying why) goes
	 * out first. */
	if (c->close_wanted || rc < 0) {
		conn_flush(c);
		conn_close(c);
		return -1;
	}
	return 0;
}

static void conn_read(struct h2conn *c)
{
	char buf[H2P_READ_CHUNK];

	for (int i = 0; i < 16 && !c->closed; i++) {
		ssize_t n = sg_sock_recv(c->tls, c->io.fd, buf, sizeof(buf), 0);
		bool drained;

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		drained = sg_sock_drained(c->tls, n, sizeof(buf));
		if (conn_feed(c, buf, (size_t)n) == -1)
			return;
		if (drained)
			break;
	}
	conn_flush(c);
}

static void on_conn_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct h2conn *c = io->data;

	if (c->closed)
		return;
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		conn_read(c);
	else
		conn_flush(c);
}

static void conn_rearm(struct h2conn *c)
{
	uint64_t due = c->pong_by ? c->pong_by : 0;

	if (c->closed)
		return;

	if (!c->pong_by && c->ping_ms)
		due = c->rx_at + c->ping_ms;
	if (c->idle_at && (!due || c->idle_at < due))
		due = c->idle_at;
	if (c->age_at && (!due || c->age_at < due))
		due = c->age_at;
	if (c->trim_at && (!due || c->trim_at < due))
		due = c->trim_at;
	if (c->head_at && (!due || c->head_at < due))
		due = c->head_at;
	if (due)
		sg_timer_arm(c->ctx->loop, &c->timer, due);
	else
		sg_timer_stop(c->ctx->loop, &c->timer);
}

/* Say why, write what can be written, and close. */
static void conn_goaway_close(struct h2conn *c, const char *why)
{
	sg_h2_goaway(c->h2, SG_H2_NO_ERROR, why);
	conn_flush(c);
	if (!c->closed) {
		if (c->tls)
			sg_tls_close_notify(c->tls);
		shutdown(c->io.fd, SHUT_WR);
		conn_close(c);
	}
}

/* PING keepalive and idle: the deadlines move lazily (rx_at), so an early
 * wake-up just re-arms. */
static void on_conn_timer(struct sg_loop *loop, struct sg_timer *t)
{
	struct h2conn *c = t->data;
	uint64_t n = now(c);

	if (c->closed)
		return;
	if (c->pong_by && n >= c->pong_by) {
		sg_stats_add(c->ctx->stats, SG_STAT_TIMEOUT_H2_PING, 1);
		conn_goaway_close(c, "keepalive timeout");
		return;
	}
	if (c->head_at && n >= c->head_at) {
		/* A header block begun and never finished: its stream cannot
		 * go on, and no timer of a stream's runs before its head. */
		sg_stats_add(c->ctx->stats, SG_STAT_TIMEOUT_HEAD, 1);
		SG_DEBUG("%s: h2 header block unfinished: GOAWAY", c->ip);
		conn_goaway_close(c, "request header timeout");
		return;
	}
	if (c->idle_at && n >= c->idle_at && !c->nstreams) {
		sg_stats_add(c->ctx->stats, SG_STAT_TIMEOUT_IDLE, 1);
		conn_goaway_close(c, "idle timeout");
		return;
	}
	if (c->trim_at && n >= c->trim_at) {
		c->trim_at = 0;
		/* The session to sleep (at once, or once the client has
		 * acknowledged the SETTINGS this may send); meanwhile its
		 * spare pages back (none left to give once it sleeps). */
		if (!c->nstreams && !c->out.len) {
			if (sg_h2_sleep(c->h2) > 0) {
				conn_flush(c);
				if (c->closed)
					return;
			}
			sg_h2_trim(c->h2);
		}
	}
	if (c->age_at && n >= c->age_at) {
		/* Old enough: no new stream; those open finish, then the
		 * connection closes (sg_h2_alive turns false). */
		c->age_at = 0;
		sg_h2_goaway(c->h2, SG_H2_NO_ERROR, "max connection duration");
		conn_flush(c);
		if (c->closed)
			return;
	}
	if (c->ping_ms && !c->pong_by && n >= c->rx_at + c->ping_ms) {
		if (sg_h2_ping(c->h2) < 0) {
			conn_close(c);
			return;
		}
		c->pong_by = n + c->pong_ms;
		conn_flush(c);
		if (c->closed)
			return;
	}
	note_sleep(c);
	conn_rearm(c);
}

/* Stream 1 from the HTTP/1.1 request that asked for the upgrade. Names are
 * lowercased: HTTP/2 fields are, and the translator compares exactly. */
static int upgrade_fields(struct h2stream *s, const struct sg_h1_req *r)
{
	const struct sg_h1_span *host = sg_h1_header(r, "host");

	if (add_field(s, ":method", 7, r->method.p, r->method.len) == -1 ||
	    add_field(s, ":path", 5, r->target.p, r->target.len) == -1 ||
	    (host && add_field(s, ":authority", 10, host->p, host->len) == -1))
		return -1;
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct sg_h1_header *h = &r->headers[i];
		char name[256];

		if (h->name.len >= sizeof(name)) {
			s->head_too_large = true;
			continue;
		}
		sg_h1_lower(name, h->name.p, h->name.len);
		if (h->name.len == 4 && !memcmp(name, "host", 4))
			continue; /* it is :authority */
		if (add_field(s, name, h->name.len, h->value.p, h->value.len) == -1)
			return -1;
	}
	return 0;
}

static int start_upgrade(struct h2conn *c, const struct sg_h1_req *r)
{
	const struct sg_h1_span *settings = sg_h1_header(r, "http2-settings");
	struct h2stream *s;
	bool head = r->method.len == 4 && !memcmp(r->method.p, "HEAD", 4);

	if (sg_buf_append(&c->out, upgrade_101, sizeof(upgrade_101) - 1) < 0)
		return -1;
	s = stream_new(c, 1);
	if (!s)
		return -1;
	s->req_end = true;
	if (upgrade_fields(s, r) == -1 ||
	    sg_h2_upgrade(c->h2, settings->p, settings->len, head, s) < 0) {
		stream_close(s, false);
		return -1;
	}
	head_complete(s);
	return 0;
}

static void conn_setup(struct h2conn *c, uint64_t born)
{
	const struct sg_frontend_http *h = c->fhttp;

	c->ping_ms = h->http2_keepalive_interval > 0 ? ms(h->http2_keepalive_interval) : 0;
	c->pong_ms = h->http2_keepalive_timeout > 0 ? ms(h->http2_keepalive_timeout)
						    : H2P_DEFAULT_PING_TIMEOUT_MS;
	c->idle_ms = h->http1_idle_timeout > 0 ? ms(h->http1_idle_timeout) : 0;
	c->max_buffer = h->max_buffer_size > 0 ? (size_t)h->max_buffer_size : 2097152;
	c->budget = H2P_CONN_BUDGET * c->max_buffer;
	c->rx_at = now(c);
	c->idle_at = c->idle_ms ? born + c->idle_ms : 0;
	c->trim_at = born + H2P_TRIM_MS;
	c->age_at = h->max_connection_duration > 0 ? born + ms(h->max_connection_duration) : 0;
}

void sg_h2proxy_accept(struct sg_frontend *ctx, struct sg_cfg *cfg, const struct sg_bind *bind,
		       int fd, struct sg_tls *tls, const char *ip, const char *in, size_t len,
		       const struct sg_h1_req *upgrade, uint64_t born, struct sg_io *from)
{
	struct h2conn *c = sg_slab_alloc(&ctx->h2conn_mem, sizeof(*c));
	struct sg_h2_settings set;

	if (!c) {
		sg_tls_free(tls);
		close(fd);
		sg_frontend_release(ctx, bind->port, ip);
		return;
	}
	c->ctx = ctx;
	c->cfg = sg_cfg_ref(cfg);
	c->bind = bind;
	c->fhttp = bind->nlisteners ? bind->listeners[0].fhttp : &cfg->default_fhttp;
	c->io.fd = fd;
	c->io.cb = on_conn_io;
	c->io.data = c;
	c->tls = tls;
	/* Failing, neither io is registered: conn_rearm registers c's. */
	sg_io_adopt(ctx->loop, &c->io, from);
	if (tls)
		sg_tls_watch(tls, ctx->loop, &c->io);
	snprintf(c->ip, sizeof(c->ip), "%s", ip);
	sg_timer_init(&c->timer, on_conn_timer, c);
	sg_list_init(&c->streams);
	ctx->stats->active++;
	sg_list_insert_head(&ctx->h2conns, &c->link);
	conn_setup(c, born);
	sg_h2_settings_from_policy(c->fhttp, &set);
	if (sg_h2_session_new(&callbacks, c, &set, ctx->pages, &ctx->h2session_mem, &c->h2) < 0 ||
	    (upgrade && start_upgrade(c, upgrade) < 0)) {
		conn_close(c);
		return;
	}
	if (ctx->draining)
		sg_h2_goaway(c->h2, SG_H2_NO_ERROR, NULL);
	conn_rearm(c);
	if (len && conn_feed(c, in, len) == -1)
		return;
	conn_flush(c);
}

void sg_h2proxy_drain(struct sg_frontend *ctx)
{
	struct sg_list *l, *tmp;

	/* A connection whose flush fails closes, leaving the list. */
	SG_LIST_FOR_EACH_SAFE(l, tmp, &ctx->h2conns) {
		struct h2conn *c = SG_LIST_ENTRY(l, struct h2conn, link);

		sg_h2_goaway(c->h2, SG_H2_NO_ERROR, NULL);
		conn_flush(c);
	}
}

void sg_h2proxy_close_all(struct sg_frontend *ctx)
{
	while (!sg_list_empty(&ctx->h2conns))
		conn_close(SG_LIST_ENTRY(sg_list_first(&ctx->h2conns), struct h2conn, link));
}
