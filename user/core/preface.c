/* Connections until their PROXY protocol header is read (see preface.h).
 * The header is peeked, never read past: once whole, exactly its bytes are
 * taken from the socket. While it is incomplete, SO_RCVLOWAT asks epoll to
 * wake this only when more has come, as the TLS passthrough does for a
 * ClientHello (user/tlspass.c). */
#include "user/core/preface.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "user/base/log.h"
#include "user/base/net.h"
#include "user/codec/proxyproto.h"
#include "user/core/stats.h"

_Static_assert(SG_PP_V1 == SG_PROXY_V1 && SG_PP_V2 == SG_PROXY_V2,
	       "config/cfg.h names the parser's version bits");

/* A connection waiting for its header. Owned by ctx->prefaces until it is
 * handed on or closed. */
struct preface {
	struct sg_frontend *ctx;
	struct sg_frontend_proxy want;
	uint16_t port;
	sg_preface_next next;
	void *owner;
	struct sockaddr_storage peer;
	char ip[INET6_ADDRSTRLEN]; /* the TCP peer's, as text: what it holds */
	struct sg_io io;
	struct sg_timer timer;
	struct sg_closing closing;
	struct sg_list link; /* in ctx->prefaces */
	bool lowat;	     /* SO_RCVLOWAT raised: put back to 1 before handing on */
};

/* A destination a header named, kept by its connection's fd: whoever
 * closes the connection need not know of it, for the socket cookie tells
 * the connection a later one on the same fd number is not (the kernel
 * never gives two sockets one cookie). cookie 0: none. */
struct sg_preface_dst {
	uint64_t cookie;
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} addr;
};

static uint64_t cookie_of(int fd)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	return getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) == 0 ? cookie : 0;
}

/* fd's connection arrived where dst says. Out of memory, or a cookie that
 * cannot be read, keeps the socket's own address. */
static void keep_dst(struct sg_frontend *ctx, int fd, const struct sockaddr_storage *dst)
{
	struct sg_preface_dst *d;

	if ((size_t)fd >= ctx->npp_dsts) {
		size_t n = ctx->npp_dsts ? ctx->npp_dsts : 64;

		while (n <= (size_t)fd)
			n *= 2;
		d = realloc(ctx->pp_dsts, n * sizeof(*d));
		if (!d)
			return;
		memset(d + ctx->npp_dsts, 0, (n - ctx->npp_dsts) * sizeof(*d));
		ctx->pp_dsts = d;
		ctx->npp_dsts = n;
	}
	d = &ctx->pp_dsts[fd];
	d->cookie = cookie_of(fd);
	memcpy(&d->addr, dst, dst->ss_family == AF_INET6 ? sizeof(d->addr.v6) : sizeof(d->addr.v4));
}

int sg_preface_local_addr(const struct sg_frontend *ctx, int fd, struct sockaddr_storage *ss)
{
	const struct sg_preface_dst *d;

	if (ctx && fd >= 0 && (size_t)fd < ctx->npp_dsts && (d = &ctx->pp_dsts[fd])->cookie &&
	    d->cookie == cookie_of(fd)) {
		memset(ss, 0, sizeof(*ss));
		memcpy(ss, &d->addr,
		       d->addr.v4.sin_family == AF_INET6 ? sizeof(d->addr.v6) : sizeof(d->addr.v4));
		return 0;
	}
	return sg_net_sock_addr(fd, true, ss);
}

void sg_preface_free(struct sg_frontend *ctx)
{
	free(ctx->pp_dsts);
	ctx->pp_dsts = NULL;
	ctx->npp_dsts = 0;
}

static void free_preface(struct sg_closing *cl)
{
	free((char *)cl - offsetof(struct preface, closing));
}

/* Gives back its places (sg_frontend_hold): the next stage counts the
 * connection again, as the client its header named. */
static void finish(struct preface *p)
{
	sg_frontend_release(p->ctx, p->port, p->ip);
	sg_timer_stop(p->ctx->loop, &p->timer);
	sg_io_set(p->ctx->loop, &p->io, 0);
	sg_list_remove(&p->link);
	sg_loop_defer_close(p->ctx->loop, &p->closing, free_preface);
}

static void refuse(struct preface *p, enum sg_stat why, const char *what)
{
	sg_stats_add(p->ctx->stats, why, 1);
	SG_DEBUG("%s: PROXY protocol on :%u: %s, closed", p->ip, p->port, what);
	finish(p); /* its interest first (sg_io_set); p is freed after this pass */
	close(p->io.fd);
}

/* The header is read (or, mode optional, absent): the next stage takes the
 * socket with the client's address. */
static void hand_on(struct preface *p, const struct sockaddr_storage *client)
{
	struct sockaddr_storage peer = *client;
	int one = 1, fd = p->io.fd;

	if (p->lowat && setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one)) == -1) {
		refuse(p, SG_STAT_PROXY_BAD, strerror(errno));
		return;
	}
	finish(p); /* out of epoll before the next stage registers fd */
	p->next(p->owner, p->port, fd, &peer);
}

static void try_header(struct preface *p, uint32_t revents)
{
	uint8_t buf[SG_PP_MAX];
	struct sg_pp_header h;
	const char *why;
	ssize_t n = recv(p->io.fd, buf, sizeof(buf), MSG_PEEK);
	int lowat;

	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			refuse(p, SG_STAT_PROXY_BAD, strerror(errno));
		return;
	}
	if (n == 0) {
		refuse(p, SG_STAT_PROXY_BAD, "closed before its header");
		return;
	}
	switch (sg_pp_parse(buf, (size_t)n, p->want.versions, &h, &why)) {
	case SG_PP_DONE:
		/* Exactly the header's bytes: the rest stays queued. */
		if (recv(p->io.fd, buf, h.len, 0) != (ssize_t)h.len) {
			refuse(p, SG_STAT_PROXY_BAD, "the header could not be taken");
			return;
		}
		if (h.has_addrs)
			keep_dst(p->ctx, p->io.fd, &h.dst);
		hand_on(p, h.has_addrs ? &h.src : &p->peer);
		return;
	case SG_PP_NONE:
		if (p->want.optional)
			hand_on(p, &p->peer);
		else
			refuse(p, SG_STAT_PROXY_BAD, "no PROXY protocol header (mode strict)");
		return;
	case SG_PP_BAD:
		refuse(p, SG_STAT_PROXY_BAD, why);
		return;
	case SG_PP_MORE:
		break;
	}
	if (revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		refuse(p, SG_STAT_PROXY_BAD, "closed inside its header");
		return;
	}
	/* One byte more than is in: a version 1 line says its length only
	 * at its end. */
	lowat = (int)n + 1;
	if (setsockopt(p->io.fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)) == -1) {
		refuse(p, SG_STAT_PROXY_BAD, strerror(errno));
		return;
	}
	p->lowat = true;
}

static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	try_header(io->data, revents);
}

static void on_timer(struct sg_loop *loop, struct sg_timer *t)
{
	refuse(t->data, SG_STAT_TIMEOUT_PROXY, "no whole header in time");
}

void sg_preface_accept(struct sg_frontend *ctx, const struct sg_bind *bind, int fd,
		       const struct sockaddr_storage *peer, sg_preface_next next, void *owner)
{
	uint64_t age = sg_net_accept_age_ms(fd);
	struct preface *p = calloc(1, sizeof(*p));

	if (!p) {
		close(fd);
		return;
	}
	/* Waiting for its header, it holds a place as its TCP peer, as
	 * HAProxy's connection-level rules see the connection's own address:
	 * else a client sending no header could open connections past
	 * maxConnections and --max-connections-per-source for 5 s each. */
	sg_net_ip_str(peer, p->ip, sizeof(p->ip));
	if (!sg_frontend_hold(ctx, bind, p->ip)) {
		close(fd);
		free(p);
		return;
	}
	p->ctx = ctx;
	p->want = bind->proxy;
	p->port = bind->port;
	p->next = next;
	p->owner = owner;
	p->peer = *peer;
	p->io.fd = fd;
	p->io.cb = on_io;
	p->io.data = p;
	sg_timer_init(&p->timer, on_timer, p);
	sg_list_insert_head(&ctx->prefaces, &p->link);
	/* From the client's connect: a deferred accept may have held it. */
	sg_timer_arm(ctx->loop, &p->timer,
		     sg_loop_now(ctx->loop) +
			     (age < SG_PREFACE_TIMEOUT_MS ? SG_PREFACE_TIMEOUT_MS - age : 0));
	if (sg_io_set(ctx->loop, &p->io, EPOLLIN | EPOLLRDHUP) == -1) {
		refuse(p, SG_STAT_PROXY_BAD, strerror(errno));
		return;
	}
	try_header(p, 0); /* usually in already */
}

void sg_preface_close_all(struct sg_frontend *ctx)
{
	while (!sg_list_empty(&ctx->prefaces)) {
		struct preface *p =
			SG_LIST_ENTRY(sg_list_first(&ctx->prefaces), struct preface, link);

		finish(p);
		close(p->io.fd);
	}
}
