/* HTTP/2 to backends (user/core/h2backend.h): connections shared by the
 * worker's requests to one endpoint, each an nghttp2 client session over a
 * backend socket (user/core/backend.c connects it), and the streams on them.
 *
 * Re-entry: the session's callbacks run inside sg_h2_recv and
 * sg_h2_pending and call the owners, which may call back in (send, consume,
 * close a stream). `busy` defers flushing and closing the connection until
 * the session returns; streams and connections are freed from the loop's
 * close queue, never inside a callback. */
#include "user/core/h2backend.h"
#include "user/tls/tls.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy/status.h"
#include "user/base/buf.h"
#include "user/base/list.h"
#include "user/base/log.h"
#include "user/base/mem.h"

/* Response bytes a stream may have in flight, and all streams of a
 * connection. The connection's window is given back as DATA arrives (the
 * owners' buffers are bounded by the streams' windows and their frontends'
 * budgets), so a client that stops reading shuts its own streams' windows,
 * never the others' on the same connection. A stream's window starts at
 * H2B_STREAM_WINDOW_MIN, which is what a client that never reads makes the
 * gateway hold, and grows to H2B_STREAM_WINDOW as its owner passes bytes
 * on and lets it (sg_h2b_consume's `widen`: an HTTP/2 frontend's streams
 * grow within their connection's budget). */
#define H2B_STREAM_WINDOW_MIN (64 * 1024)
#define H2B_STREAM_WINDOW (256 * 1024)
#define H2B_CONN_WINDOW (16 * 1024 * 1024)
#define H2B_HEAD_MAX (64 * 1024) /* a response head or trailers, as HTTP/1 text */
#define H2B_REQ_FIELDS (SG_H1_MAX_HEADERS + 4)
#define H2B_READ_CHUNK 16384
#define H2B_FLUSH_BATCH (64 * 1024) /* session bytes gathered for one send */
/* A connection with no stream for this long gives its session's spare pages
 * back (sg_h2_trim): at once, the madvise would cost a request more than it
 * saves (one-at-a-time requests at a fifth of their rate, measured on the
 * frontend: H2P_TRIM_MS in user/http2/h2proxy.c). */
#define H2B_TRIM_MS 1000

struct sg_h2b_pool {
	struct sg_loop *loop;
	struct sg_pool *tcp;
	struct sg_pages *pages; /* the sessions' arenas (the worker's) */
	struct sg_list conns;	/* h2b_conn.link, newest first */
	size_t nconns;
	uint64_t ping_ms, pong_ms; /* keepalive, 0: off */
	struct sg_stats *stats;
};

struct h2b_conn {
	struct sg_h2b_pool *pool;
	struct sg_list link;
	char key[SG_POOL_KEY_SIZE]; /* "addr:port", "#<TLS settings hash>" for TLS */
	struct sg_backend_conn *sock;
	struct sg_h2_session *h2;
	struct sg_list streams; /* sg_h2b_stream.link: waiting or open */
	size_t nstreams;
	/* Where it goes, for the streams its limit leaves out (move_stream). */
	char addr[SG_ENDPOINT_ADDR_MAX + 1];
	struct sg_endpoint ep;
	struct sg_keepalive keepalive;
	bool connected;
	bool ready;	     /* the backend's SETTINGS came: its stream limit is known */
	bool draining;	     /* GOAWAY came or the session failed: no new stream */
	int32_t goaway_last; /* the GOAWAY's last stream: those above were not processed */
	bool goaway;
	bool closed;
	int busy;
	bool flush_wanted, close_wanted;
	struct sg_buf out; /* bytes for the backend that did not fit in its socket */
	struct sg_timer idle;
	uint64_t idle_ms;
	uint64_t idle_at; /* the idle timer closes the connection then */
	/* PING keepalive: the last bytes from the backend, and when the PING
	 * in flight must be acked (0: none in flight). */
	struct sg_timer ka;
	uint64_t rx_at, pong_by;
	/* A flush after the loop's pass (flush_later): the requests and
	 * window updates of a pass leave in one write. */
	struct sg_deferred later;
	struct sg_closing closing;
	/* TLS to the backend (NULL: h2c): the client context (a reference)
	 * and the name checked; connected waits for the handshake too, whose
	 * failure is kept for the streams. */
	struct sg_tls_client *tc;
	char sni[256];
	char tls_cause[128];
};

struct sg_h2b_stream {
	struct h2b_conn *conn; /* NULL once its connection is gone */
	struct sg_list link;
	struct sg_loop *loop;
	int32_t id; /* 0 until sent */
	const struct sg_exchange_ops *ops;
	void *data;
	bool told;	     /* failed or end was called: nothing more to say */
	bool readied;	     /* ready was called (or the opener was told it is) */
	bool final;	     /* the final response head came: what follows is body, trailers */
	bool ended;	     /* the backend ended the stream */
	bool sent_all;	     /* ... and we ended ours */
	bool gone;	     /* the owner closed it */
	char tls_cause[128]; /* SG_XFAIL_TLS: why */
	/* Body bytes given to the owner and not yet given back to the
	 * stream's window (the connection's had them back on arrival), and
	 * that window's size. */
	size_t held, window;
	/* The head (or trailers) being received, as HTTP/1 header lines. */
	struct sg_buf head;
	uint16_t status;
	bool bad; /* a field that cannot be an HTTP/1 header line */
	struct sg_closing closing;
};

static void conn_flush(struct h2b_conn *c);
static void flush_later(struct h2b_conn *c);
static void conn_close(struct h2b_conn *c, int err);
static void conn_rearm(struct h2b_conn *c);

/* ---- streams --------------------------------------------------------------- */

static void stream_free(struct sg_closing *cl)
{
	struct sg_h2b_stream *s =
		(struct sg_h2b_stream *)((char *)cl - offsetof(struct sg_h2b_stream, closing));

	sg_buf_free(&s->head);
	sg_mem_free_sized(s, sizeof(*s));
}

/* Take s off its connection (the session forgets it too). */
static void stream_detach(struct sg_h2b_stream *s)
{
	struct h2b_conn *c = s->conn;

	if (!c)
		return;
	if (s->held && s->id > 0 && c->h2) {
		sg_h2_consume_stream(c->h2, s->id, s->held);
		flush_later(c);
	}
	s->held = 0;
	if (s->id > 0 && c->h2)
		sg_h2_detach(c->h2, s->id);
	sg_list_remove(&s->link);
	c->nstreams--;
	s->conn = NULL;
	conn_rearm(c);
}

const char *sg_h2b_tls_cause(const struct sg_h2b_stream *s)
{
	return s->tls_cause[0] ? s->tls_cause : "handshake failed";
}

/* Tell the owner the try failed, once. */
static void stream_fail(struct sg_h2b_stream *s, enum sg_xfail why, int err)
{
	if (s->told || s->gone)
		return;
	s->told = true;
	if (s->final)
		s->ops->end(s->data, NULL, 0, err ? err : EPIPE);
	else
		s->ops->failed(s->data, why, err);
}

void sg_h2b_close(struct sg_h2b_stream *s)
{
	struct h2b_conn *c;

	if (!s || s->gone)
		return;
	s->gone = true;
	c = s->conn;
	/* A stream ended both ways closes by itself; else it is cancelled
	 * (the response came before the whole request went, or the owner
	 * gave up). */
	if (c && s->id > 0 && !(s->ended && s->sent_all) && c->h2) {
		sg_h2_reset(c->h2, s->id, SG_H2_CANCEL);
		flush_later(c);
	}
	stream_detach(s);
	sg_loop_defer_close(s->loop, &s->closing, stream_free);
}

void sg_h2b_resume(struct sg_h2b_stream *s)
{
	if (s && s->conn && s->id > 0 && !s->ended) {
		sg_h2_resume(s->conn->h2, s->id);
		flush_later(s->conn);
	}
}

size_t sg_h2b_consume(struct sg_h2b_stream *s, size_t n, size_t widen)
{
	size_t wider = 0;

	if (s && n > s->held)
		n = s->held;
	if (!s || !s->conn || s->id <= 0)
		return 0;
	if (widen && !s->ended && s->window < H2B_STREAM_WINDOW) {
		wider = H2B_STREAM_WINDOW - s->window < widen ? H2B_STREAM_WINDOW - s->window
							      : widen;
		if (sg_h2_stream_window(s->conn->h2, s->id, s->window + wider) == 0)
			s->window += wider;
		else
			wider = 0;
	}
	if (n) {
		s->held -= n;
		sg_h2_consume_stream(s->conn->h2, s->id, n);
	}
	if (n || wider)
		flush_later(s->conn);
	return wider;
}

int sg_h2b_send(struct sg_h2b_stream *s, const struct sg_h1_req *req, const struct sg_h1_edit *edit,
		const char *client_ip, unsigned attempt, const char *extra, bool body)
{
	size_t room = sg_h1_request_room(req, edit, extra);
	struct sg_h2_field f[H2B_REQ_FIELDS];
	struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	struct sg_h1_lines lines = { .v = slots, .cap = SG_H1_MAX_HEADERS };
	char *text;
	ssize_t len, n;
	int32_t id;

	if (!s->conn)
		return -EPIPE;
	/* The head an HTTP/1 backend would get (the route's edits, the
	 * forwarding fields): its lines are what HTTP/2 sends. */
	text = sg_mem_alloc(room);
	if (!text)
		return -ENOMEM;
	len = sg_h1_write_request_lines(req, edit, client_ip, attempt, extra, text, room, &lines);
	/* one field left for TE */
	n = len < 0 ? -1 : sg_h2head_request_from_lines(&lines, f, H2B_REQ_FIELDS - 1);
	if (n < 0) {
		sg_mem_free_sized(text, room);
		return -EMSGSIZE;
	}
	/* TE is HTTP/1's hop-by-hop field, which the HTTP/1 head leaves out;
	 * "trailers" in it is end to end in HTTP/2 (gRPC servers ask for it). */
	if (sg_h1_headers_list(req->headers, req->nheaders, "te", "trailers"))
		f[n++] = (struct sg_h2_field){ "te", 2, "trailers", 8 };
	id = sg_h2_request(s->conn->h2, f, (size_t)n, body, s);
	sg_mem_free_sized(text, room);
	if (id <= 0)
		return id < 0 ? id : -EINVAL;
	s->id = id;
	s->sent_all = !body;
	flush_later(s->conn);
	return 0;
}

/* ---- the session's callbacks ------------------------------------------------ */

static int cb_field(void *conn, void *stream, const struct sg_h2_field *f)
{
	struct sg_h2b_stream *s = stream;
	char *line;

	(void)conn;
	if (s->gone)
		return 0;
	if (f->name_len == 7 && !memcmp(f->name, ":status", 7)) {
		unsigned v = 0;

		for (size_t i = 0; i < f->value_len; i++)
			v = v * 10 + (unsigned)(f->value[i] - '0');
		s->status = f->value_len == 3 ? (uint16_t)v : 0;
		return 0;
	}
	if (f->name_len && f->name[0] == ':')
		return 0; /* nghttp2 refuses any other pseudo-header in a response */
	if (s->head.len + f->name_len + f->value_len + 4 > H2B_HEAD_MAX ||
	    sg_buf_reserve(&s->head, f->name_len + f->value_len + 4)) {
		s->bad = true;
		return 0;
	}
	line = sg_buf_tail(&s->head);
	memcpy(line, f->name, f->name_len);
	memcpy(line + f->name_len, ": ", 2);
	memcpy(line + f->name_len + 2, f->value, f->value_len);
	memcpy(line + f->name_len + 2 + f->value_len, "\r\n", 2);
	sg_buf_commit(&s->head, f->name_len + f->value_len + 4);
	return 0;
}

/* s->head's lines as cb_field wrote them, "name: value\r\n", into
 * slots[0..max); -1 when there are more. A name has no colon (nghttp2 lets
 * through only lowercase tokens and, before them, pseudo-headers, which
 * cb_field keeps out) and a value no CR, so nothing is searched twice. */
static ssize_t own_lines(struct sg_buf *head, struct sg_h1_header *slots, size_t max)
{
	char *p = sg_buf_data(head), *end = p + head->len;
	size_t n = 0;

	while (p < end) {
		char *colon = memchr(p, ':', (size_t)(end - p));
		char *cr = colon ? memchr(colon, '\r', (size_t)(end - colon)) : NULL;

		if (!cr || n == max)
			return -1;
		slots[n++] = (struct sg_h1_header){ { p, (size_t)(colon - p) },
						    { colon + 2, (size_t)(cr - colon - 2) } };
		p = cr + 2;
	}
	return (ssize_t)n;
}

/* A response head in s->head, given to the owner as the HTTP/1 view of
 * it (spans into s->head), without writing and parsing HTTP/1 text:
 * nghttp2 has checked what an HTTP/1 parser would (RFC 9113 §8.2 and
 * §8.3.2: field names and values, one well-formed Content-Length, no
 * connection-specific field, a three-digit :status). */
static void take_head(struct sg_h2b_stream *s, bool end)
{
	struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	const char *reason = sg_status_reason(s->status);
	size_t reason_len = reason ? strlen(reason) : 0;
	struct sg_h1_resp resp = {
		.status = s->status,
		.reason = { reason ? reason : "", reason_len },
		.minor = 1,
		.headers = slots,
		.headers_cap = SG_H1_MAX_HEADERS,
		.content_length = -1,
		.keep_alive = true,
		/* As long as its HTTP/1 text: "HTTP/1.1 NNN reason\r\n", the
		 * lines, the blank line. */
		.head_len = 15 + reason_len + s->head.len + 2,
		.h2 = true,
	};
	ssize_t n = own_lines(&s->head, slots, SG_H1_MAX_HEADERS);

	if (s->bad || s->status < 100 || s->status > 599 || n < 0) {
		stream_fail(s, SG_XFAIL_INVALID, EPROTO);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (sg_h1_span_is(slots[i].name, "content-length") &&
		    (resp.content_length =
			     sg_h2head_content_length(slots[i].value.p, slots[i].value.len)) < 0) {
			stream_fail(s, SG_XFAIL_INVALID, EPROTO);
			return;
		}
	}
	resp.nheaders = (size_t)n;
	if (s->status >= 200)
		s->final = true;
	s->ops->head(s->data, &resp, end && s->final);
}

/* Trailers in s->head: split back into fields for the owner. */
static void take_trailers(struct sg_h2b_stream *s)
{
	struct sg_h2_field t[64];
	ssize_t n = s->head.len ? sg_h2head_fields_from_lines(sg_buf_data(&s->head), s->head.len, t,
							      sizeof(t) / sizeof(t[0]))
				: 0;

	s->told = true;
	s->ops->end(s->data, t, n > 0 ? (size_t)n : 0, 0);
}

static int cb_head(void *conn, void *stream, bool end_stream)
{
	struct sg_h2b_stream *s = stream;

	(void)conn;
	if (s->gone || s->told)
		return 0;
	if (end_stream)
		s->ended = true;
	if (!s->final) {
		take_head(s, end_stream);
		if (!s->gone && !s->told && s->final && end_stream) {
			s->told = true;
			s->ops->end(s->data, NULL, 0, 0);
		}
	} else if (end_stream) {
		take_trailers(s);
	}
	sg_buf_reset(&s->head);
	s->status = 0;
	s->bad = false;
	return 0;
}

static int cb_data(void *conn, void *stream, const char *p, size_t len)
{
	struct h2b_conn *c = conn;
	struct sg_h2b_stream *s = stream;

	if (s->gone || s->told || !s->final) {
		/* Nobody passes these on: give the window back now. */
		sg_h2_consume(c->h2, s->id, len);
		return 0;
	}
	s->held += len;
	sg_h2_consume_connection(c->h2, len);
	flush_later(c);
	s->ops->data(s->data, p, len);
	return 0;
}

static int cb_end(void *conn, void *stream)
{
	struct sg_h2b_stream *s = stream;

	(void)conn;
	s->ended = true;
	if (s->gone || s->told)
		return 0;
	if (!s->final) {
		stream_fail(s, SG_XFAIL_INVALID, EPROTO); /* DATA without a head */
		return 0;
	}
	s->told = true;
	s->ops->end(s->data, NULL, 0, 0);
	return 0;
}

static void cb_closed(void *conn, void *stream, uint32_t code)
{
	struct sg_h2b_stream *s = stream;

	(void)conn;
	s->ended = true;
	if (s->gone || s->told) {
		stream_detach(s);
		return;
	}
	stream_detach(s);
	if (code == SG_H2_REFUSED_STREAM && !s->final)
		stream_fail(s, SG_XFAIL_REFUSED, ECONNREFUSED);
	else
		stream_fail(s, SG_XFAIL_RESET, ECONNRESET);
}

/* A request that never left (a GOAWAY came first): not processed. */
static void cb_not_sent(void *conn, int32_t id)
{
	struct h2b_conn *c = conn;
	struct sg_list *pos;

	SG_LIST_FOR_EACH(pos, &c->streams) {
		struct sg_h2b_stream *s = SG_LIST_ENTRY(pos, struct sg_h2b_stream, link);

		if (s->id == id) {
			cb_closed(conn, s, SG_H2_REFUSED_STREAM);
			return;
		}
	}
}

static ssize_t cb_body(void *conn, void *stream, char *buf, size_t len, bool *eof)
{
	struct sg_h2b_stream *s = stream;
	ssize_t n;

	(void)conn;
	if (s->gone)
		return -ECANCELED;
	n = s->ops->body(s->data, buf, len, eof);
	if (n >= 0 && *eof)
		s->sent_all = true;
	return n;
}

/* The request body ended: its trailers, if the owner has any, end it. */
static int cb_req_trailers(void *conn, void *stream, int32_t id)
{
	struct h2b_conn *c = conn;
	struct sg_h2b_stream *s = stream;
	const struct sg_h2_field *t = NULL;
	size_t n = s->gone || !s->ops->trailers ? 0 : s->ops->trailers(s->data, &t);

	return n && sg_h2_trailers(c->h2, id, t, n) == 0;
}

static void cb_ping_ack(void *conn)
{
	struct h2b_conn *c = conn;

	c->pong_by = 0;
}

static void cb_goaway(void *conn, int32_t last_id, uint32_t code)
{
	struct h2b_conn *c = conn;

	SG_DEBUG("backend %s: GOAWAY last stream %d code %u", c->key, last_id, code);
	/* Streams above last_id close with REFUSED_STREAM (the session does
	 * that); the rest finish. No new stream goes here. */
	c->draining = true;
	c->goaway = true;
	c->goaway_last = last_id;
}

static struct h2b_conn *conn_new(struct sg_h2b_pool *p, const struct sg_endpoint *ep,
				 const char *key, const struct sg_keepalive *ka,
				 struct sg_tls_client *tc, const char *sni, int *err);
static struct h2b_conn *conn_with_room(struct sg_h2b_pool *p, const char *key);

/* Put s, not yet sent, on a connection with room: one that is up (s is
 * ready at once) or one that waits for its SETTINGS. */
static void move_stream(struct h2b_conn *from, struct sg_h2b_stream *s)
{
	struct h2b_conn *to;
	int err = 0;

	stream_detach(s);
	to = conn_with_room(from->pool, from->key);
	if (!to)
		to = conn_new(from->pool, &from->ep, from->key, &from->keepalive, from->tc,
			      from->sni, &err);
	if (!to) {
		stream_fail(s, SG_XFAIL_CONNECT, err);
		return;
	}
	to->idle_ms = from->idle_ms;
	s->conn = to;
	sg_list_insert_tail(&to->streams, &s->link);
	to->nstreams++;
	sg_timer_stop(to->pool->loop, &to->idle);
	if (to->ready) {
		s->readied = true;
		s->ops->ready(s->data);
	}
}

/* The backend's SETTINGS: the connection is ready. As many waiting
 * streams as its SETTINGS_MAX_CONCURRENT_STREAMS allows are sent here;
 * the others go to another connection (a new one if none has room), so a
 * burst of requests to a new endpoint spreads as a burst to a known one
 * does. */
static void cb_settings(void *conn)
{
	struct h2b_conn *c = conn;
	struct sg_list *pos, *tmp;
	uint32_t room;

	if (c->ready)
		return;
	c->ready = true;
	room = sg_h2_max_streams(c->h2);
	SG_LIST_FOR_EACH_SAFE(pos, tmp, &c->streams) {
		struct sg_h2b_stream *s = SG_LIST_ENTRY(pos, struct sg_h2b_stream, link);

		if (s->gone || s->told || s->readied) {
			room -= room && s->readied;
			continue;
		}
		if (!room) {
			move_stream(c, s);
			continue;
		}
		room--;
		s->readied = true;
		s->ops->ready(s->data);
	}
}

static const struct sg_h2_callbacks callbacks = {
	.settings = cb_settings,
	.not_sent = cb_not_sent,
	.trailers = cb_req_trailers,
	.field = cb_field,
	.head = cb_head,
	.data = cb_data,
	.end = cb_end,
	.closed = cb_closed,
	.ping_ack = cb_ping_ack,
	.body = cb_body,
	.goaway = cb_goaway,
};

/* ---- connections ------------------------------------------------------------ */

static void conn_free(struct sg_closing *cl)
{
	struct h2b_conn *c = (struct h2b_conn *)((char *)cl - offsetof(struct h2b_conn, closing));

	sg_h2_session_free(c->h2);
	sg_buf_free(&c->out);
	sg_tls_client_unref(c->tc);
	free(c);
}

/* Close the connection; its streams fail with err. */
static void conn_close(struct h2b_conn *c, int err)
{
	struct sg_list *pos, *tmp;

	if (c->closed)
		return;
	c->draining = true;
	if (c->busy) {
		c->close_wanted = true;
		return;
	}
	c->closed = true;
	sg_list_remove(&c->link);
	c->pool->nconns--;
	sg_timer_stop(c->pool->loop, &c->idle);
	sg_timer_stop(c->pool->loop, &c->ka);
	c->busy++; /* owners called below may call back in */
	SG_LIST_FOR_EACH_SAFE(pos, tmp, &c->streams) {
		struct sg_h2b_stream *s = SG_LIST_ENTRY(pos, struct sg_h2b_stream, link);
		bool started = s->id > 0;

		bool unprocessed = !started || (c->goaway && s->id > c->goaway_last);

		if (c->tls_cause[0])
			snprintf(s->tls_cause, sizeof(s->tls_cause), "%s", c->tls_cause);
		stream_detach(s);
		if (!c->ready)
			stream_fail(s, c->tls_cause[0] ? SG_XFAIL_TLS : SG_XFAIL_CONNECT, err);
		else
			stream_fail(s, unprocessed ? SG_XFAIL_REFUSED : SG_XFAIL_RESET, err);
	}
	c->busy--;
	sg_backend_close(c->sock);
	c->sock = NULL;
	sg_loop_defer_close(c->pool->loop, &c->closing, conn_free);
}

static void conn_update_io(struct h2b_conn *c)
{
	uint32_t ev = EPOLLIN | EPOLLRDHUP;

	if (c->closed || !c->sock)
		return;
	if (!c->connected || c->out.len)
		ev |= EPOLLOUT;
	sg_io_set(c->pool->loop, &c->sock->io, ev);
}

static ssize_t backend_write(void *conn, const char *p, size_t len)
{
	struct h2b_conn *c = conn;

	return sg_sock_send(c->sock->tls, c->sock->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Write what the session has for the backend; keep what the socket does not
 * take. */
static void conn_flush(struct h2b_conn *c)
{
	int rc;

	if (c->closed)
		return;
	if (c->busy) {
		c->flush_wanted = true;
		return;
	}
	if (!c->connected)
		return;
	c->busy++;
	rc = sg_h2_flush(c->h2, &c->out, H2B_FLUSH_BATCH, c->sock->tls ? SG_TLS_RECORD : 0,
			 backend_write, c);
	c->busy--;
	if (rc < 0) {
		conn_close(c, -rc);
		return;
	}
	c->flush_wanted = false;
	if (c->close_wanted) {
		c->close_wanted = false;
		conn_close(c, EPIPE);
		return;
	}
	if (!sg_h2_alive(c->h2) && !c->out.len) {
		conn_close(c, EPIPE);
		return;
	}
	conn_update_io(c);
}

static void on_flush_later(struct sg_deferred *d)
{
	conn_flush((struct h2b_conn *)((char *)d - offsetof(struct h2b_conn, later)));
}

/* Flush once the loop's pass is over (a connection closed meanwhile is
 * skipped, conn_flush checks `closed`: its free waits until this ran,
 * loop.h). */
static void flush_later(struct h2b_conn *c)
{
	if (!c->closed)
		sg_loop_after_pass(c->pool->loop, &c->later, on_flush_later);
}

/* After the session ran callbacks: what they deferred. */
static void conn_settle(struct h2b_conn *c)
{
	if (c->close_wanted) {
		c->close_wanted = false;
		conn_close(c, EPIPE);
		return;
	}
	conn_flush(c);
}

static void on_idle(struct sg_loop *loop, struct sg_timer *t)
{
	struct h2b_conn *c = t->data;

	if (c->nstreams)
		return;
	if (sg_loop_now(loop) >= c->idle_at) {
		conn_close(c, 0);
		return;
	}
	/* Idle a while: the session's spare pages go back (H2B_TRIM_MS). */
	if (!c->out.len)
		sg_h2_trim(c->h2);
	sg_timer_arm(loop, &c->idle, c->idle_at);
}

/* The idle timer runs while no stream is open. */
static void conn_rearm(struct h2b_conn *c)
{
	uint64_t now;

	if (c->closed)
		return;
	if (c->nstreams) {
		sg_timer_stop(c->pool->loop, &c->idle);
		return;
	}
	if (!c->connected || c->draining || !c->idle_ms) {
		/* A connect nobody waits for, or a drained connection. */
		c->close_wanted = true;
		if (!c->busy)
			conn_settle(c);
		return;
	}
	now = sg_loop_now(c->pool->loop);
	c->idle_at = now + c->idle_ms;
	sg_timer_arm(c->pool->loop, &c->idle,
		     c->idle_ms > H2B_TRIM_MS ? now + H2B_TRIM_MS : c->idle_at);
}

/* The keepalive timer: a PING after ping_ms of silence, the close when
 * its ack is late. */
static void on_keepalive(struct sg_loop *loop, struct sg_timer *t)
{
	struct h2b_conn *c = t->data;
	struct sg_h2b_pool *p = c->pool;
	uint64_t now = sg_loop_now(loop);

	if (c->closed)
		return;
	if (c->pong_by && now >= c->pong_by) {
		SG_DEBUG("backend %s: PING not acked in %" PRIu64 " ms: closed", c->key,
			 p->pong_ms);
		if (p->stats)
			sg_stats_add(p->stats, SG_STAT_TIMEOUT_H2_PING, 1);
		conn_close(c, ETIMEDOUT);
		return;
	}
	if (!c->pong_by && now >= c->rx_at + p->ping_ms) {
		sg_h2_ping(c->h2);
		c->pong_by = now + p->pong_ms;
		conn_flush(c);
		if (c->closed)
			return;
	}
	sg_timer_arm(loop, &c->ka, c->pong_by ? c->pong_by : c->rx_at + p->ping_ms);
}

/* The TLS handshake, once the TCP connect is done: 1 done, 0 waiting
 * (the socket's mask set to what it waits for), -1 failed (closed). */
static int tls_step(struct h2b_conn *c)
{
	struct sg_backend_conn *u = c->sock;
	const char *alpn;

	switch (sg_backend_tls_step(u, c->tc, c->sni, c->tls_cause, sizeof(c->tls_cause))) {
	case 0:
		sg_io_set(c->pool->loop, &u->io, u->tls_want);
		return 0;
	case 1:
		break;
	default:
		conn_close(c, EPROTO);
		return -1;
	}
	alpn = sg_tls_alpn(u->tls);
	if (strcmp(alpn, "h2") != 0) {
		snprintf(c->tls_cause, sizeof(c->tls_cause), "the backend chose %s by ALPN, not h2",
			 *alpn ? alpn : "no protocol");
		conn_close(c, EPROTO);
		return -1;
	}
	return 1;
}

static void conn_connected(struct h2b_conn *c)
{
	int err = c->sock->tls ? 0 : sg_backend_connect_error(c->sock);

	if (err == EINPROGRESS)
		return; /* the name's next address */
	if (err) {
		conn_close(c, err);
		return;
	}
	if (c->tc && tls_step(c) != 1)
		return;
	/* The preface and our SETTINGS go now; the streams wait for the
	 * backend's SETTINGS (cb_settings), which say how many it takes. */
	c->connected = true;
	c->rx_at = sg_loop_now(c->pool->loop);
	if (c->pool->ping_ms)
		sg_timer_arm(c->pool->loop, &c->ka, c->rx_at + c->pool->ping_ms);
	conn_flush(c);
}

static void conn_read(struct h2b_conn *c)
{
	char buf[H2B_READ_CHUNK];

	for (int rounds = 0; rounds < 16 && !c->closed; rounds++) {
		ssize_t n = sg_sock_recv(c->sock->tls, c->sock->fd, buf, sizeof(buf), MSG_DONTWAIT);
		bool drained;
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(c, n == 0 ? EPIPE : errno);
			return;
		}
		/* Asked before the bytes go in: the session may close c. */
		drained = sg_sock_drained(c->sock->tls, n, sizeof(buf));
		c->rx_at = sg_loop_now(c->pool->loop);
		c->busy++;
		rc = sg_h2_recv(c->h2, buf, (size_t)n);
		c->busy--;
		if (rc < 0) {
			SG_DEBUG("backend %s: HTTP/2 session failed", c->key);
			c->draining = true;
			conn_flush(c); /* the GOAWAY saying why */
			conn_close(c, EPROTO);
			return;
		}
		conn_settle(c);
		if (drained)
			return;
	}
}

static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct h2b_conn *c = io->data;

	(void)loop;
	if (c->closed)
		return;
	if (!c->connected) {
		conn_connected(c);
		if (c->closed || !c->connected)
			return;
	}
	if (revents & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		conn_read(c);
	if (!c->closed)
		conn_flush(c);
}

static struct h2b_conn *conn_new(struct sg_h2b_pool *p, const struct sg_endpoint *ep,
				 const char *key, const struct sg_keepalive *ka,
				 struct sg_tls_client *tc, const char *sni, int *err)
{
	struct sg_h2_settings set = {
		.v = { { SG_H2_SET_INITIAL_WINDOW_SIZE, H2B_STREAM_WINDOW_MIN } },
		.n = 1,
		.connection_window = H2B_CONN_WINDOW,
	};
	struct h2b_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		*err = ENOMEM;
		return NULL;
	}
	c->pool = p;
	snprintf(c->key, sizeof(c->key), "%s", key);
	snprintf(c->addr, sizeof(c->addr), "%s", ep->addr);
	c->ep = *ep;
	c->ep.addr = c->addr;
	c->keepalive = *ka;
	sg_list_init(&c->streams);
	sg_timer_init(&c->idle, on_idle, c);
	sg_timer_init(&c->ka, on_keepalive, c);
	if (sg_h2_client_new(&callbacks, c, &set, p->pages, &c->h2)) {
		free(c);
		*err = ENOMEM;
		return NULL;
	}
	c->sock = sg_backend_connect(p->tcp, ep, ka, err);
	if (!c->sock) {
		sg_h2_session_free(c->h2);
		free(c);
		return NULL;
	}
	c->sock->io.cb = on_io;
	c->sock->io.data = c;
	if (tc) {
		sg_tls_client_ref(tc);
		c->tc = tc;
		snprintf(c->sni, sizeof(c->sni), "%s", sni);
	}
	sg_io_set(p->loop, &c->sock->io, EPOLLOUT);
	sg_list_insert_head(&p->conns, &c->link);
	p->nconns++;
	return c;
}

/* A connection to key that takes one more stream. */
static struct h2b_conn *conn_with_room(struct sg_h2b_pool *p, const char *key)
{
	struct sg_list *pos, *next;

	/* Safe walk: retiring an idle connection closes it (off the list). */
	SG_LIST_FOR_EACH_SAFE(pos, next, &p->conns) {
		struct h2b_conn *c = SG_LIST_ENTRY(pos, struct h2b_conn, link);

		if (c->closed || c->draining || strcmp(c->key, key) != 0)
			continue;
		if (c->sock && sg_backend_too_old(c->sock)) {
			/* Retired: its streams finish, then it closes. */
			c->draining = true;
			conn_rearm(c);
			continue;
		}
		/* Before its SETTINGS the limit is the protocol's (none): the
		 * streams are spread when they come (cb_settings). */
		if (c->nstreams < sg_h2_max_streams(c->h2))
			return c;
	}
	return NULL;
}

struct sg_h2b_stream *sg_h2b_open(struct sg_h2b_pool *p, const struct sg_endpoint *ep,
				  const char *key, const struct sg_keepalive *ka, uint64_t idle_ms,
				  const struct sg_exchange_ops *ops, void *data, bool *ready,
				  bool *reused, int *err)
{
	return sg_h2b_open_tls(p, ep, key, ka, idle_ms, NULL, NULL, ops, data, ready, reused, err);
}

struct sg_h2b_stream *sg_h2b_open_tls(struct sg_h2b_pool *p, const struct sg_endpoint *ep,
				      const char *key, const struct sg_keepalive *ka,
				      uint64_t idle_ms, struct sg_tls_client *tc, const char *sni,
				      const struct sg_exchange_ops *ops, void *data, bool *ready,
				      bool *reused, int *err)
{
	struct sg_h2b_stream *s = sg_mem_calloc(1, sizeof(*s));
	struct h2b_conn *c;

	if (!s) {
		*err = ENOMEM;
		return NULL;
	}
	s->window = H2B_STREAM_WINDOW_MIN; /* the SETTINGS' (conn_new) */
	c = conn_with_room(p, key);
	*reused = c != NULL;
	if (!c)
		c = conn_new(p, ep, key, ka, tc, sni, err);
	if (!c) {
		sg_mem_free(s);
		return NULL;
	}
	c->idle_ms = idle_ms;
	s->conn = c;
	s->loop = p->loop;
	s->ops = ops;
	s->data = data;
	sg_list_insert_tail(&c->streams, &s->link);
	c->nstreams++;
	sg_timer_stop(p->loop, &c->idle);
	*ready = s->readied = c->ready;
	return s;
}

/* ---- the pool --------------------------------------------------------------- */

struct sg_h2b_pool *sg_h2b_pool_new(struct sg_loop *loop, struct sg_pool *tcp,
				    struct sg_pages *pages)
{
	struct sg_h2b_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->loop = loop;
	p->tcp = tcp;
	p->pages = pages;
	sg_list_init(&p->conns);
	return p;
}

void sg_h2b_pool_free(struct sg_h2b_pool *p)
{
	if (!p)
		return;
	while (!sg_list_empty(&p->conns))
		conn_close(SG_LIST_ENTRY(sg_list_first(&p->conns), struct h2b_conn, link),
			   ECANCELED);
	free(p);
}

void sg_h2b_pool_keepalive(struct sg_h2b_pool *p, uint64_t interval_ms, uint64_t timeout_ms,
			   struct sg_stats *stats)
{
	p->ping_ms = interval_ms;
	p->pong_ms = timeout_ms;
	p->stats = stats;
}

size_t sg_h2b_pool_conns(const struct sg_h2b_pool *p)
{
	return p ? p->nconns : 0;
}
