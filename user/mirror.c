/* Request mirroring (user/mirror.h): each copy is one connection that is
 * connected, written once, read until the backend closes it (the copy asks
 * for "connection: close") and closed; nothing is pooled. */
#include "user/mirror.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "policy/route.h"
#include "user/attempt.h"
#include "user/list.h"

#define MIRROR_EXTRA "connection: close\r\n"

struct sg_mirroring {
	struct sg_loop *loop;
	struct sg_pool *pool;
	struct sg_stats *stats;
	struct sg_list inflight;
	size_t n;
};

/* One copy in flight. */
struct copy {
	struct sg_mirroring *owner;
	struct sg_list link;
	struct sg_backend_conn *u;
	struct sg_timer timer;
	char *out; /* the whole request; NULL once written */
	size_t len, off;
	bool connected;
};

struct sg_mirroring *sg_mirroring_new(struct sg_loop *loop, struct sg_pool *pool,
				      struct sg_stats *stats)
{
	struct sg_mirroring *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->loop = loop;
	m->pool = pool;
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
	sg_backend_close(c->u);
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

/* One copy to an endpoint of b (uniformly from rnd). */
static void copy_start(struct sg_mirroring *m, const struct sg_backend_ref *b,
		       const struct sg_mirror_request *r, uint64_t rnd)
{
	struct copy *c;
	int err;

	if (m->n >= SG_MIRROR_MAX_INFLIGHT || !r->body_whole || r->body_len > SG_MIRROR_MAX_BODY ||
	    b->kind == SG_BREF_INVALID || b->neps == 0 || b->eff_tls || b->tls) {
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

void sg_mirroring_send(struct sg_mirroring *m, const struct sg_mirrors *mirrors,
		       const struct sg_mirror_request *r, uint64_t *rng)
{
	for (size_t i = 0; m && i < mirrors->n; i++) {
		const struct sg_mirror *mi = &mirrors->v[i];
		/* 53 random bits make a uniform double in [0, 1). */
		double draw = (double)(sg_route_random(rng) >> 11) / (double)(1ull << 53);

		if (mi->backend && draw < mi->percentage)
			copy_start(m, mi->backend, r, sg_route_random(rng));
	}
}
