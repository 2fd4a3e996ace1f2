/* Backend connections. Endpoints are IP literals or DNS names; names are
 * resolved with getaddrinfo at connect time, which blocks the worker for the
 * lookup (acceptable for /etc/hosts and local resolvers; an async resolver
 * is future work). */
#include "user/upstream.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "user/net.h"

struct sg_pool {
	struct sg_loop *loop;
	struct sg_upstream *idle; /* most recently used first */
	size_t nidle;
	struct sg_sockmap *kmap;
};

struct sg_pool *sg_pool_new(struct sg_loop *loop)
{
	struct sg_pool *p = calloc(1, sizeof(*p));

	if (p)
		p->loop = loop;
	return p;
}

void sg_pool_set_sockmap(struct sg_pool *p, struct sg_sockmap *m)
{
	p->kmap = m;
}

static void unlink_idle(struct sg_pool *p, struct sg_upstream *u)
{
	if (u->prev)
		u->prev->next = u->next;
	else
		p->idle = u->next;
	if (u->next)
		u->next->prev = u->prev;
	u->next = u->prev = NULL;
	p->nidle--;
}

void sg_pool_free(struct sg_pool *p)
{
	if (!p)
		return;
	while (p->idle) {
		struct sg_upstream *u = p->idle;

		unlink_idle(p, u);
		sg_upstream_close(u);
	}
	free(p);
}

size_t sg_pool_idle_count(const struct sg_pool *p)
{
	return p->nidle;
}

static void free_upstream(struct sg_closing *c)
{
	free((char *)c - offsetof(struct sg_upstream, closing));
}

void sg_upstream_close(struct sg_upstream *u)
{
	if (!u || u->closed)
		return;
	u->closed = true;
	sg_timer_stop(u->pool->loop, &u->idle_timer);
	sg_io_set(u->pool->loop, &u->io, 0);
	if (u->pool->kmap)
		sg_sockmap_forget(u->pool->kmap, &u->k, u->fd);
	close(u->fd);
	sg_loop_defer_close(u->pool->loop, &u->closing, free_upstream);
}

/* Anything readable on an idle connection is the backend closing it (or
 * speaking out of turn): either way it cannot be reused. */
static void on_idle_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_upstream *u = io->data;

	unlink_idle(u->pool, u);
	sg_upstream_close(u);
}

static void on_idle_timeout(struct sg_loop *loop, struct sg_timer *t)
{
	struct sg_upstream *u = t->data;

	unlink_idle(u->pool, u);
	sg_upstream_close(u);
}

struct sg_upstream *sg_pool_take(struct sg_pool *p, const char *key)
{
	for (struct sg_upstream *u = p->idle; u; u = u->next) {
		if (strcmp(u->key, key) != 0)
			continue;
		unlink_idle(p, u);
		sg_timer_stop(p->loop, &u->idle_timer);
		/* It stays registered (EPOLLIN | EPOLLRDHUP, what the new owner
		 * waits for too): the owner sets io.cb before the loop runs
		 * again, and a request costs no epoll_ctl here. */
		u->reused = true;
		return u;
	}
	return NULL;
}

void sg_pool_put(struct sg_pool *p, struct sg_upstream *u, uint64_t idle_ms)
{
	u->io.cb = on_idle_io;
	u->io.data = u;
	u->k.io = NULL; /* a late ring event is not the backend closing it */
	if (sg_io_set(p->loop, &u->io, EPOLLIN | EPOLLRDHUP) == -1) {
		sg_upstream_close(u);
		return;
	}
	u->next = p->idle;
	u->prev = NULL;
	if (p->idle)
		p->idle->prev = u;
	p->idle = u;
	p->nidle++;
	sg_timer_arm(p->loop, &u->idle_timer, sg_loop_now(p->loop) + (idle_ms ? idle_ms : 1));
}

static int resolve(const struct sg_endpoint *ep, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", ep->port);
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(ep->addr, port, &hints, &res);
	if (rc != 0)
		return rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct sg_upstream *sg_upstream_connect(struct sg_pool *p, const struct sg_endpoint *ep,
					const struct sg_keepalive *ka, int *err)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	struct sg_upstream *u;
	int fd;

	*err = resolve(ep, &ss, &len);
	if (*err)
		return NULL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*err = errno;
		return NULL;
	}
	sg_net_nodelay(fd);
	sg_net_keepalive(fd, ka);
	if (connect(fd, (struct sockaddr *)&ss, len) == -1 && errno != EINPROGRESS) {
		*err = errno;
		close(fd);
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		*err = ENOMEM;
		close(fd);
		return NULL;
	}
	u->fd = fd;
	u->io.fd = fd;
	u->pool = p;
	snprintf(u->key, sizeof(u->key), "%s:%u", ep->addr, ep->port);
	sg_timer_init(&u->idle_timer, on_idle_timeout, u);
	return u;
}

int sg_upstream_connect_error(const struct sg_upstream *u)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		return errno;
	return e;
}
