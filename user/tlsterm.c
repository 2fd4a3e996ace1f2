/* TLS connections until their handshake is done. The contract is
 * tlsterm.h; the shape is user/tlspass.c's (a small waiting object on a
 * list, one timer, handed over or closed). */
#include "user/tlsterm.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "user/http2/h2proxy.h"
#include "user/base/list.h"
#include "user/base/log.h"
#include "user/base/loop.h"
#include "user/base/net.h"
#include "user/http1/proxy.h"
#include "user/core/stats.h"
#include "user/tcp/tcpconn.h"

struct handshake {
	struct sg_frontend *ctx;
	struct sg_cfg *cfg; /* the config it was accepted on (a reference) */
	const struct sg_bind *bind;
	/* A TLS listener's route, chosen by user/tlspass.c before the
	 * handshake; NULL on an HTTPS bind (HTTP routes per request). */
	const struct sg_tcp_route *route;
	struct sg_tls *tls;
	struct sg_io io;
	struct sg_timer timer;
	struct sg_closing closing;
	struct sg_list link; /* in ctx->handshakes */
	bool src_held;	     /* admitted (sg_frontend_admit): release once */
	uint64_t born;	     /* when the client connected (loop ms) */
	char ip[INET6_ADDRSTRLEN];
	uint16_t port;
	uint16_t dst_port; /* where the client connected to (a dynamic backend's port) */
};

static void free_handshake(struct sg_closing *cl)
{
	free((char *)cl - offsetof(struct handshake, closing));
}

/* Forget h: out of the loop and the list. Unless handed over, its socket,
 * session, config reference and per-source hold go too. */
static void finish(struct handshake *h, bool handed)
{
	struct sg_loop *loop = h->ctx->loop;

	sg_timer_stop(loop, &h->timer);
	if (handed) {
		/* Nothing once the frontend adopted the interest; still
		 * registered only if it failed before that. */
		sg_io_set(loop, &h->io, 0);
	} else {
		sg_io_set(loop, &h->io, 0); /* before the close: sg_io_set says why */
		sg_tls_free(h->tls);
		close(h->io.fd);
		if (h->src_held)
			sg_frontend_release(h->ctx, h->bind->port, h->ip);
		sg_cfg_unref(h->cfg);
	}
	h->ctx->stats->active--;
	sg_list_remove(&h->link);
	sg_loop_defer_close(loop, &h->closing, free_handshake);
}

static void refuse(struct handshake *h, enum sg_stat why, const char *what)
{
	sg_stats_add(h->ctx->stats, why, 1);
	SG_DEBUG("%s: TLS handshake on :%u: %s, closed", h->ip, h->bind->port, what);
	finish(h, false);
}

/* The HTTP/2 frontend takes its own config reference and releases the
 * admission hold itself (sg_frontend_release). */
static void hand_over(struct handshake *h)
{
	struct sg_frontend *ctx = h->ctx;
	const struct sg_listener *l = sg_tls_listener(h->tls);
	int fd = h->io.fd;

	sg_stats_add(ctx->stats,
		     sg_tls_resumed(h->tls) ? SG_STAT_TLS_RESUMED : SG_STAT_TLS_HANDSHAKES, 1);
	/* The frontends take the socket's interest over with an io of their
	 * own (sg_io_adopt). */
	sg_timer_stop(ctx->loop, &h->timer);
	if (h->route) {
		/* Its keepalives were set when the route was chosen. */
		sg_tcpconn_start(ctx, h->cfg, h->bind, h->route, fd, h->tls, &h->io, h->ip,
				 h->src_held, sg_tls_sni(h->tls), h->dst_port);
		finish(h, true);
		return;
	}
	if (l->ftcp)
		sg_net_keepalive(fd, &l->ftcp->keepalives);
	if (sg_tls_h2(h->tls)) {
		sg_h2proxy_accept(ctx, h->cfg, h->bind, fd, h->tls, h->ip, h->port, NULL, 0, NULL,
				  h->born, &h->io);
		sg_cfg_unref(h->cfg);
	} else {
		sg_proxy_accept_tls(ctx, h->cfg, h->bind, fd, h->tls, h->ip, h->port, h->src_held,
				    h->born, &h->io);
	}
	/* Counted in `active` once more by the frontend. */
	finish(h, true);
}

static void step(struct handshake *h)
{
	uint32_t want = 0;
	char why[256];
	int rc = sg_tls_handshake(h->tls, &want, why, sizeof(why));

	if (rc == 1) {
		hand_over(h);
		return;
	}
	if (rc < 0) {
		refuse(h, SG_STAT_TLS_FAILED, why);
		return;
	}
	if (sg_io_set(h->ctx->loop, &h->io, want) == -1)
		refuse(h, SG_STAT_TLS_FAILED, strerror(errno));
}

static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	step(io->data);
}

static void on_timer(struct sg_loop *loop, struct sg_timer *t)
{
	refuse(t->data, SG_STAT_TIMEOUT_TLS_HANDSHAKE, "not done within handshakeTimeout");
}

void sg_tlsterm_adopt(struct sg_frontend *ctx, struct sg_tls_server *srv, struct sg_cfg *cfg,
		      const struct sg_bind *bind, const struct sg_tcp_route *route, int fd,
		      const char *ip, uint16_t port, uint16_t dst_port, uint64_t born)
{
	uint64_t limit = sg_tls_server_handshake_ms(srv);
	struct handshake *h = calloc(1, sizeof(*h));

	if (!h || !(h->tls = sg_tls_new(srv, fd))) {
		free(h);
		close(fd);
		sg_frontend_release(ctx, bind->port, ip);
		sg_cfg_unref(cfg);
		return;
	}
	h->ctx = ctx;
	h->cfg = cfg;
	h->bind = bind;
	h->route = route;
	h->src_held = true;
	h->born = born;
	snprintf(h->ip, sizeof(h->ip), "%s", ip);
	h->port = port;
	h->dst_port = dst_port;
	h->io.fd = fd;
	h->io.cb = on_io;
	h->io.data = h;
	sg_timer_init(&h->timer, on_timer, h);
	sg_list_insert_head(&ctx->handshakes, &h->link);
	ctx->stats->active++;
	/* The deadline counts from the client's connect: a deferred accept
	 * may have held the connection a while already. */
	sg_timer_arm(ctx->loop, &h->timer, born + limit);
	/* Deferred accept: the ClientHello is usually in already. */
	step(h);
}

void sg_tlsterm_accept(struct sg_frontend *ctx, struct sg_tls_server *srv,
		       const struct sg_bind *bind, int fd, const struct sockaddr_storage *peer)
{
	uint64_t age = sg_net_accept_age_ms(fd);
	char ip[INET6_ADDRSTRLEN];

	sg_net_ip_str(peer, ip, sizeof(ip));
	if (!sg_frontend_admit(ctx, bind, ip, sg_net_port(peer))) {
		close(fd); /* unread, before any TLS work */
		return;
	}
	sg_stats_add(ctx->stats, SG_STAT_CONNECTIONS, 1);
	sg_tlsterm_adopt(ctx, srv, sg_cfg_ref(ctx->cfg), bind, NULL, fd, ip, sg_net_port(peer),
			 bind->port, sg_loop_now(ctx->loop) - age);
}

void sg_tlsterm_close_all(struct sg_frontend *ctx)
{
	while (!sg_list_empty(&ctx->handshakes))
		finish(SG_LIST_ENTRY(sg_list_first(&ctx->handshakes), struct handshake, link),
		       false);
}
