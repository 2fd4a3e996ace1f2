/* HTTP/2 client connections: one struct h2conn per connection (socket,
 * session, PING keepalive, idle and age deadlines, flood and rapid-reset
 * bounds) and the session's callbacks, which hand each stream to
 * h2stream.c: there a stream is an ordinary request (user/core/request.h),
 * with the same routing, filters, timeouts, retry rules and failure answers
 * as the HTTP/1 frontend's, and one path to every backend, the attempt's
 * exchange (user/core/exchange.h). The re-entry rules are h2conn.h's. */
#include "user/http2/h2proxy.h"
#include "user/http2/h2stream.h"
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

static const char upgrade_101[] = "HTTP/1.1 101 Switching Protocols\r\n"
				  "Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n";

static void conn_close(struct h2conn *c);

/* ---- session callbacks ------------------------------------------------------------ */

static void *cb_open(void *conn, int32_t id)
{
	struct h2conn *c = conn;

	return c->closed ? NULL : h2c_stream_new(c, id);
}

static int cb_field(void *conn, void *stream, const struct sg_h2_field *f)
{
	struct h2stream *s = stream;

	return h2c_add_field(s, f->name, f->name_len, f->value, f->value_len);
}

static int cb_head(void *conn, void *stream, bool end_stream)
{
	struct h2stream *s = stream;

	s->req_end = end_stream;
	h2c_head_complete(s);
	return 0;
}

static int cb_data(void *conn, void *stream, const char *p, size_t len)
{
	struct h2stream *s = stream;

	s->unconsumed += len;
	h2c_moved(s, len);
	if (s->rq.phase == SG_REQUEST_DONE || s->rq.phase == SG_REQUEST_HEAD ||
	    (!s->rq.at.replayable && !s->streaming)) {
		h2c_give_back(s, len); /* nobody wants them */
		return 0;
	}
	if (sg_buf_append(&s->body, p, len) < 0) {
		h2c_reset_stream(s, SG_H2_INTERNAL_ERROR);
		return 0;
	}
	if (s->rq.at.replayable && !s->retain) {
		/* Kept here for replay, bounded by H2P_REPLAY_MAX, or held
		 * for the route's expressions, by maxBufferSize (a body that
		 * declared no length is bounded here), all the connection's
		 * together by its budget. */
		s->rq.bytes_in += len;
		h2c_give_back(s, len);
		if (!s->rq.body_wanted)
			return 0;
		if (s->body.len > s->rq.body_max)
			sg_request_fail(&s->rq, SG_FAIL_BODY_TOO_LARGE, 0);
		else if (!h2c_hold(s, len)) /* the client may send it again */
			h2c_reset_stream(s, SG_H2_REFUSED_STREAM);
		return 0;
	}
	if (s->retain && s->body.len > H2P_REPLAY_MAX)
		h2c_stop_retaining(s);
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
		h2c_stream_start(s);
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
	if (h2c_now(c) - c->reset_window >= 1000) {
		c->reset_window = h2c_now(c);
		c->resets = 0;
	}
	if (++c->resets > H2P_MAX_RESETS_PER_S) {
		SG_WARN("%s: over %d streams reset in a second: GOAWAY (rapid reset)", c->ip,
			H2P_MAX_RESETS_PER_S);
		calm_down(c, SG_STAT_H2_RESET_FLOOD, "too many resets");
	} else if (c->ctx->resets &&
		   sg_srcrate_add(c->ctx->resets, c->ip, h2c_now(c)) > SG_H2P_MAX_SOURCE_RESETS) {
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

	h2c_stream_close(s, true);
	if (code != SG_H2_NO_ERROR && unanswered)
		count_reset(c);
}

static void cb_ping_ack(void *conn)
{
	struct h2conn *c = conn;

	c->pong_by = 0;
	h2c_conn_rearm(c);
}

static ssize_t cb_body(void *conn, void *stream, char *buf, size_t len, bool *eof)
{
	struct h2stream *s = stream;
	size_t n = h2c_buffered(s), before = n;

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
	h2c_moved(s, n);
	*eof = s->resp_eof && !h2c_buffered(s);
	h2c_rebudget(s, before);
	/* The backend may send as many more (and be read again: room). */
	h2c_backend_may_send(s, n);
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
	return sg_h2head_kept_add(s->req_trailers, f, H2P_HEAD_MAX) < 0 ? -1 : 0;
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
		h2c_stream_close(SG_LIST_ENTRY(sg_list_first(&c->streams), struct h2stream, link),
				 false);
	sg_timer_stop(c->ctx->loop, &c->timer);
	sg_io_set(c->ctx->loop, &c->io, 0); /* before the close: sg_io_set says why */
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
		h2c_conn_flush(c);
}

/* Flush once the loop's pass is over (a connection closed meanwhile is
 * skipped: its free waits until this ran, loop.h). */
void h2c_flush_later(struct h2conn *c)
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
void h2c_conn_flush(struct h2conn *c)
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
		c->trim_at = h2c_now(c) + H2P_TRIM_MS;
		h2c_conn_rearm(c);
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

	c->rx_at = h2c_now(c);
	c->busy++;
	rc = sg_h2_recv(c->h2, p, len);
	c->busy--;
	note_sleep(c);
	if (!sg_h2_in_header_block(c->h2)) {
		c->head_at = 0;
	} else if (!c->head_at && c->ctx->head_timeout_ms) {
		c->head_at = c->rx_at + c->ctx->head_timeout_ms;
		h2c_conn_rearm(c);
	}
	if (rc >= 0) {
		h2c_start_waiting(c);
		if (c->closed)
			return -1;
	}
	/* Closing: what the session queued last (a GOAWAY saying why) goes
	 * out first. */
	if (c->close_wanted || rc < 0) {
		h2c_conn_flush(c);
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
	h2c_conn_flush(c);
}

static void on_conn_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct h2conn *c = io->data;

	if (c->closed)
		return;
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		conn_read(c);
	else
		h2c_conn_flush(c);
}

void h2c_conn_rearm(struct h2conn *c)
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
	h2c_conn_flush(c);
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
	uint64_t n = h2c_now(c);

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
				h2c_conn_flush(c);
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
		h2c_conn_flush(c);
		if (c->closed)
			return;
	}
	if (c->ping_ms && !c->pong_by && n >= c->rx_at + c->ping_ms) {
		if (sg_h2_ping(c->h2) < 0) {
			conn_close(c);
			return;
		}
		c->pong_by = n + c->pong_ms;
		h2c_conn_flush(c);
		if (c->closed)
			return;
	}
	note_sleep(c);
	h2c_conn_rearm(c);
}

/* Stream 1 from the HTTP/1.1 request that asked for the upgrade. Names are
 * lowercased: HTTP/2 fields are, and the translator compares exactly. */
static int upgrade_fields(struct h2stream *s, const struct sg_h1_req *r)
{
	const struct sg_h1_span *host = sg_h1_header(r, "host");

	if (h2c_add_field(s, ":method", 7, r->method.p, r->method.len) == -1 ||
	    h2c_add_field(s, ":path", 5, r->target.p, r->target.len) == -1 ||
	    (host && h2c_add_field(s, ":authority", 10, host->p, host->len) == -1))
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
		if (h2c_add_field(s, name, h->name.len, h->value.p, h->value.len) == -1)
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
	s = h2c_stream_new(c, 1);
	if (!s)
		return -1;
	s->req_end = true;
	if (upgrade_fields(s, r) == -1 ||
	    sg_h2_upgrade(c->h2, settings->p, settings->len, head, s) < 0) {
		h2c_stream_close(s, false);
		return -1;
	}
	h2c_head_complete(s);
	return 0;
}

static void conn_setup(struct h2conn *c, uint64_t born)
{
	const struct sg_frontend_http *h = c->fhttp;

	c->ping_ms = h->http2_keepalive_interval > 0
			     ? sg_dur_to_ms_ceil(h->http2_keepalive_interval)
			     : 0;
	c->pong_ms = h->http2_keepalive_timeout > 0 ? sg_dur_to_ms_ceil(h->http2_keepalive_timeout)
						    : H2P_DEFAULT_PING_TIMEOUT_MS;
	c->idle_ms = h->http1_idle_timeout > 0 ? sg_dur_to_ms_ceil(h->http1_idle_timeout) : 0;
	c->max_buffer = h->max_buffer_size > 0 ? (size_t)h->max_buffer_size : 2097152;
	c->budget = H2P_CONN_BUDGET * c->max_buffer;
	c->rx_at = h2c_now(c);
	c->idle_at = c->idle_ms ? born + c->idle_ms : 0;
	c->trim_at = born + H2P_TRIM_MS;
	c->age_at = h->max_connection_duration > 0
			    ? born + sg_dur_to_ms_ceil(h->max_connection_duration)
			    : 0;
}

void sg_h2proxy_accept(struct sg_frontend *ctx, struct sg_cfg *cfg, const struct sg_bind *bind,
		       int fd, struct sg_tls *tls, const char *ip, uint16_t port, const char *in,
		       size_t len, const struct sg_h1_req *upgrade, uint64_t born,
		       struct sg_io *from)
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
	c->port = port;
	sg_timer_init(&c->timer, on_conn_timer, c);
	sg_list_init(&c->streams);
	ctx->stats->active++;
	sg_list_insert_head(&ctx->h2conns, &c->link);
	conn_setup(c, born);
	sg_h2head_settings_from_policy(c->fhttp, &set);
	if (sg_h2_session_new(&callbacks, c, &set, ctx->pages, &ctx->h2session_mem, &c->h2) < 0 ||
	    (upgrade && start_upgrade(c, upgrade) < 0)) {
		conn_close(c);
		return;
	}
	if (ctx->draining)
		sg_h2_goaway(c->h2, SG_H2_NO_ERROR, NULL);
	h2c_conn_rearm(c);
	if (len && conn_feed(c, in, len) == -1)
		return;
	h2c_conn_flush(c);
}

void sg_h2proxy_drain(struct sg_frontend *ctx)
{
	struct sg_list *l, *tmp;

	/* A connection whose flush fails closes, leaving the list. */
	SG_LIST_FOR_EACH_SAFE(l, tmp, &ctx->h2conns) {
		struct h2conn *c = SG_LIST_ENTRY(l, struct h2conn, link);

		sg_h2_goaway(c->h2, SG_H2_NO_ERROR, NULL);
		h2c_conn_flush(c);
	}
}

void sg_h2proxy_close_all(struct sg_frontend *ctx)
{
	while (!sg_list_empty(&ctx->h2conns))
		conn_close(SG_LIST_ENTRY(sg_list_first(&ctx->h2conns), struct h2conn, link));
}
