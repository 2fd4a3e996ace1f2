/* Request mirroring (user/core/mirror.h): each copy is one connection that is
 * connected, written once, read until the backend closes it (the copy asks
 * for "connection: close") and closed; nothing is pooled. To an HTTP/2
 * backend a copy is a stream (user/core/h2backend.c) whose head is the HTTP/1
 * copy's, parsed back, and whose answer is consumed and dropped. */
#include "user/core/mirror.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "policy/route.h"
#include "user/core/attempt.h"
#include "user/base/list.h"

#define MIRROR_EXTRA "connection: close\r\n" SG_MIRROR_MARK ": 1\r\n"
/* Mirrors counted a second each, per worker: slots probed from the
 * mirror's hash; one of a past second is free. */
#define MIRROR_RATE_SLOTS 64

struct sg_mirroring {
	struct sg_loop *loop;
	struct sg_pool *pool;
	struct sg_h2b_pool *h2pool;
	struct sg_stats *stats;
	struct sg_list inflight;
	size_t n;
	struct {
		const struct sg_mirror *mirror;
		uint64_t second;
		uint32_t sent;
	} rate[MIRROR_RATE_SLOTS];
};

/* One copy in flight. */
struct copy {
	struct sg_mirroring *owner;
	struct sg_list link;
	struct sg_backend_conn *u; /* HTTP/1: its connection */
	struct sg_timer timer;
	char *out; /* the whole request; HTTP/1: NULL once written */
	size_t len, off;
	bool connected;
	/* HTTP/2: the stream, and the head parsed from out (its body after
	 * req.head_len, sent from off) */
	struct sg_h2b_stream *s;
	struct sg_h1_req req;
};

/* Headers an HTTP/2 copy's head may hold: the request's, and the lines
 * the copy adds (X-Forwarded-For, Host, Connection). */
#define MIRROR_MAX_HEADERS (SG_H1_MAX_HEADERS + 4)

struct sg_mirroring *sg_mirroring_new(struct sg_loop *loop, struct sg_pool *pool,
				      struct sg_h2b_pool *h2pool, struct sg_stats *stats)
{
	struct sg_mirroring *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->loop = loop;
	m->pool = pool;
	m->h2pool = h2pool;
	m->stats = stats;
	sg_list_init(&m->inflight);
	return m;
}

size_t sg_mirroring_inflight(const struct sg_mirroring *m)
{
	return m ? m->n : 0;
}

/* The copy is over: counted as `result`, its connection closed. */
static void copy_end(struct copy *c, enum sg_stat result)
{
	struct sg_mirroring *m = c->owner;

	sg_stats_add(m->stats, result, 1);
	sg_timer_stop(m->loop, &c->timer);
	sg_list_remove(&c->link);
	m->n--;
	if (c->s)
		sg_h2b_close(c->s);
	else
		sg_backend_close(c->u);
	free(c->req.headers);
	free(c->out);
	free(c);
}

void sg_mirroring_free(struct sg_mirroring *m)
{
	if (!m)
		return;
	while (!sg_list_empty(&m->inflight))
		copy_end(SG_LIST_ENTRY(sg_list_first(&m->inflight), struct copy, link),
			 SG_STAT_MIRROR_FAILED);
	free(m);
}

static void on_timeout(struct sg_loop *loop, struct sg_timer *t)
{
	(void)loop;
	copy_end(t->data, SG_STAT_MIRROR_FAILED);
}

/* Write what is left of the request; then wait for the answer. */
static void copy_write(struct copy *c)
{
	while (c->off < c->len) {
		ssize_t n = send(c->u->fd, c->out + c->off, c->len - c->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			sg_io_set(c->owner->loop, &c->u->io, EPOLLOUT);
			return;
		}
		if (n <= 0) {
			copy_end(c, SG_STAT_MIRROR_FAILED);
			return;
		}
		c->off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	sg_io_set(c->owner->loop, &c->u->io, EPOLLIN | EPOLLRDHUP);
}

/* Read and drop the answer until the backend closes. */
static void copy_drain(struct copy *c)
{
	char sink[16384];

	for (;;) {
		ssize_t n = recv(c->u->fd, sink, sizeof(sink), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* EOF, or a reset after the request was taken: sent. */
		copy_end(c, SG_STAT_MIRROR_SENT);
		return;
	}
}

static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct copy *c = io->data;

	(void)loop;
	(void)revents;
	if (!c->connected) {
		int err = sg_backend_connect_error(c->u);

		if (err == EINPROGRESS)
			return;
		if (err) {
			copy_end(c, SG_STAT_MIRROR_FAILED);
			return;
		}
		c->connected = true;
	}
	if (c->out)
		copy_write(c);
	else
		copy_drain(c);
}

/* The copy's bytes for backend b: the head as b would get it (with b's
 * authority as Host where the request came without one, as a try gets
 * it), asking the mirror to close after answering, then the body. */
static char *copy_bytes(const struct sg_backend_ref *b, const struct sg_mirror_request *r,
			size_t *len)
{
	struct sg_h1_edit edit = r->edit ? *r->edit : (struct sg_h1_edit){ 0 };
	size_t cap;
	ssize_t n;
	char *out;

	sg_attempt_default_host(b, r->req, &edit);
	cap = sg_h1_request_room(r->req, &edit, MIRROR_EXTRA) + r->body_len;
	out = malloc(cap);
	if (!out)
		return NULL;
	n = sg_h1_write_request_edit(r->req, &edit, r->client_ip, 0, MIRROR_EXTRA, out,
				     cap - r->body_len);
	if (n < 0) {
		free(out);
		return NULL;
	}
	if (r->body_len)
		memcpy(out + n, r->body, r->body_len);
	*len = (size_t)n + r->body_len;
	return out;
}

/* ---- a copy to an HTTP/2 backend: a stream --------------------------------- */

static void h2_ready(void *data)
{
	static const struct sg_h1_header mark = { { SG_MIRROR_MARK, sizeof(SG_MIRROR_MARK) - 1 },
						  { "1", 1 } };
	/* The mark as an added line: the head parsed from out has it as a
	 * received one, which the writer drops. */
	static const struct sg_h1_edit edit = { .add = &mark, .nadd = 1 };
	struct copy *c = data;

	if (sg_h2b_send(c->s, &c->req, &edit, NULL, 0, NULL, c->len > c->req.head_len) < 0)
		copy_end(c, SG_STAT_MIRROR_FAILED);
}

static void h2_failed(void *data, enum sg_xfail why, int err)
{
	(void)why;
	(void)err;
	copy_end(data, SG_STAT_MIRROR_FAILED);
}

static void h2_head(void *data, const struct sg_h1_resp *resp, bool end)
{
	(void)data;
	(void)resp;
	(void)end;
}

static void h2_data(void *data, const char *p, size_t n)
{
	struct copy *c = data;

	(void)p;
	sg_h2b_consume(c->s, n, 0);
}

/* Answered (whole or cut: the backend took the request). */
static void h2_end(void *data, const struct sg_h2_field *t, size_t n, int err)
{
	(void)t;
	(void)n;
	(void)err;
	copy_end(data, SG_STAT_MIRROR_SENT);
}

static ssize_t h2_body(void *data, char *buf, size_t len, bool *eof)
{
	struct copy *c = data;
	size_t left = c->len - c->req.head_len - c->off;

	if (len > left)
		len = left;
	memcpy(buf, c->out + c->req.head_len + c->off, len);
	c->off += len;
	*eof = c->off == c->len - c->req.head_len;
	return (ssize_t)len;
}

static const struct sg_exchange_ops h2_ops = {
	.ready = h2_ready,
	.failed = h2_failed,
	.head = h2_head,
	.data = h2_data,
	.end = h2_end,
	.body = h2_body,
};

/* c (its bytes made) as a stream to endpoint ep. */
static int h2_start(struct sg_mirroring *m, struct copy *c, const struct sg_backend_ref *b,
		    const struct sg_endpoint *ep)
{
	char key[SG_POOL_KEY_SIZE];
	bool ready = false, reused = false;
	int err = 0;

	c->req = (struct sg_h1_req){ .headers = calloc(MIRROR_MAX_HEADERS, sizeof(*c->req.headers)),
				     .headers_cap = MIRROR_MAX_HEADERS };
	if (!c->req.headers ||
	    sg_h1_parse_request(c->out, c->len, MIRROR_MAX_HEADERS, &c->req) != SG_H1_DONE)
		return -1;
	snprintf(key, sizeof(key), "%s:%u", ep->addr, ep->port);
	c->s = sg_h2b_open(m->h2pool, ep, key, &b->eff_keepalive, SG_MIRROR_TIMEOUT_MS, &h2_ops, c,
			   &ready, &reused, &err);
	if (!c->s)
		return -1;
	c->owner = m;
	sg_list_insert_tail(&m->inflight, &c->link);
	m->n++;
	sg_timer_init(&c->timer, on_timeout, c);
	sg_timer_arm(m->loop, &c->timer, sg_loop_now(m->loop) + SG_MIRROR_TIMEOUT_MS);
	if (ready)
		h2_ready(c);
	return 0;
}

/* One copy to an endpoint of b (uniformly from rnd). */
static void copy_start(struct sg_mirroring *m, const struct sg_backend_ref *b,
		       const struct sg_mirror_request *r, uint64_t rnd)
{
	struct copy *c;
	int err;

	if (m->n >= SG_MIRROR_MAX_INFLIGHT || !r->body_whole || r->body_len > SG_MIRROR_MAX_BODY ||
	    b->kind == SG_BREF_INVALID || b->neps == 0 || b->eff_tls || b->tls ||
	    (b->eff_h2 && !m->h2pool)) {
		/* A mirror to a backend with TLS is not copied (in clear text
		 * it must not be; mirrors speak plain HTTP/1.1 only). */
		sg_stats_add(m->stats, SG_STAT_MIRROR_DROPPED, 1);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->out = copy_bytes(b, r, &c->len))) {
		free(c);
		sg_stats_add(m->stats, SG_STAT_MIRROR_DROPPED, 1);
		return;
	}
	if (b->eff_h2) {
		if (h2_start(m, c, b, &b->eps[rnd % b->neps]) == -1) {
			sg_stats_add(m->stats, SG_STAT_MIRROR_FAILED, 1);
			free(c->req.headers);
			free(c->out);
			free(c);
		}
		return;
	}
	c->u = sg_backend_connect(m->pool, &b->eps[rnd % b->neps], &b->eff_keepalive, &err);
	if (!c->u) {
		free(c->out);
		free(c);
		sg_stats_add(m->stats, SG_STAT_MIRROR_FAILED, 1);
		return;
	}
	c->owner = m;
	sg_list_insert_tail(&m->inflight, &c->link);
	m->n++;
	c->u->io.cb = on_io;
	c->u->io.data = c;
	sg_timer_init(&c->timer, on_timeout, c);
	sg_timer_arm(m->loop, &c->timer, sg_loop_now(m->loop) + SG_MIRROR_TIMEOUT_MS);
	sg_io_set(m->loop, &c->u->io, EPOLLOUT);
}

/* Whether mirror `mi` may send one more copy this second. */
static bool rate_take(struct sg_mirroring *m, const struct sg_mirror *mi)
{
	uint64_t second = sg_loop_now(m->loop) / 1000;
	size_t h = ((uintptr_t)mi >> 4) % MIRROR_RATE_SLOTS;

	for (size_t k = 0; k < MIRROR_RATE_SLOTS; k++) {
		size_t i = (h + k) % MIRROR_RATE_SLOTS;

		if (m->rate[i].mirror == mi && m->rate[i].second == second) {
			if (m->rate[i].sent >= SG_MIRROR_MAX_PER_SECOND)
				return false;
			m->rate[i].sent++;
			return true;
		}
		if (m->rate[i].mirror == mi || !m->rate[i].mirror || m->rate[i].second != second) {
			m->rate[i].mirror = mi;
			m->rate[i].second = second;
			m->rate[i].sent = 1;
			return true;
		}
	}
	return false; /* as many mirrors as slots busy this second */
}

void sg_mirroring_send(struct sg_mirroring *m, const struct sg_mirrors *mirrors,
		       const struct sg_mirror_request *r, uint64_t *rng)
{
	bool looped = m && mirrors->n && sg_h1_header(r->req, SG_MIRROR_MARK);

	for (size_t i = 0; m && i < mirrors->n; i++) {
		const struct sg_mirror *mi = &mirrors->v[i];
		/* 53 random bits make a uniform double in [0, 1). */
		double draw = (double)(sg_route_random(rng) >> 11) / (double)(1ull << 53);

		if (!mi->backend || draw >= mi->percentage)
			continue;
		if (looped)
			sg_stats_add(m->stats, SG_STAT_MIRROR_LOOPED, 1);
		else if (!rate_take(m, mi))
			sg_stats_add(m->stats, SG_STAT_MIRROR_LIMITED, 1);
		else
			copy_start(m, mi->backend, r, sg_route_random(rng));
	}
}
