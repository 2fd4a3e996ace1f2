/* TLS connections until their route is known: peek at the ClientHello
 * (never read it: a passthrough backend gets every byte, and a terminating
 * listener's handshake reads it from the start), wait for the rest of it
 * without spinning, pick the route by SNI, hand over. */
#include "user/tlspass.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy/route.h"
#include "user/base/list.h"
#include "user/base/log.h"
#include "user/base/loop.h"
#include "user/base/net.h"
#include "user/core/stats.h"
#include "user/tcp/tcpconn.h"
#include "user/tls/tlshello.h"
#include "user/tls/tls.h"
#include "user/tlsterm.h"

/* A connection waiting for its ClientHello. Owned by ctx->hellos until it
 * is handed to the tunnel or closed. No buffer: the hello stays in the
 * kernel's receive queue, peeked into the stack on each try. */
struct hello_wait {
	struct sg_frontend *ctx;
	struct sg_cfg *cfg; /* the config it was accepted on (a reference) */
	const struct sg_bind *bind;
	struct sg_tls_server *srv; /* mode Terminate's certificates (a reference) */
	struct sg_io io;
	struct sg_timer timer;
	struct sg_closing closing;
	struct sg_list link; /* in ctx->hellos */
	bool src_held;	     /* admitted (sg_frontend_admit): release once */
	bool lowat;	     /* SO_RCVLOWAT raised: put back to 1 before the tunnel */
	uint64_t born;	     /* when the client connected (loop ms) */
	char ip[INET6_ADDRSTRLEN];
	uint16_t port;
	uint16_t dst_port; /* where the client connected to (a dynamic backend's port) */
};

static void free_wait(struct sg_closing *cl)
{
	free((char *)cl - offsetof(struct hello_wait, closing));
}

/* Forget w; its socket is closed unless `keep_fd` (handed over). */
static void finish(struct hello_wait *w, bool keep_fd)
{
	struct sg_loop *loop = w->ctx->loop;

	sg_timer_stop(loop, &w->timer);
	sg_io_set(loop, &w->io, 0);
	if (!keep_fd) {
		close(w->io.fd);
		if (w->src_held)
			sg_frontend_release(w->ctx, w->bind->port, w->ip);
		sg_cfg_unref(w->cfg);
	}
	sg_tls_server_unref(w->srv); /* a handshake takes its own */
	w->ctx->stats->active--;
	sg_list_remove(&w->link);
	sg_loop_defer_close(loop, &w->closing, free_wait);
}

static void refuse(struct hello_wait *w, enum sg_stat why, const char *what, const char *sni)
{
	sg_stats_add(w->ctx->stats, why, 1);
	SG_DEBUG("%s: TLS on :%u: %s%s%s, closed", w->ip, w->bind->port, what, sni ? " " : "",
		 sni ? sni : "");
	finish(w, false);
}

/* The route is known: the tunnel, or first the handshake of a listener in
 * mode Terminate, takes the socket, the config reference and the
 * per-source hold. */
static void hand_over(struct hello_wait *w, const struct sg_listener *l,
		      const struct sg_tcp_route *r, const char *sni)
{
	int one = 1;

	/* A listener in mode Terminate whose Secret did not resolve serves
	 * nothing (its status says why): never passed through instead. */
	if (sg_listener_terminates_tls(l) && (!l->tls || !w->srv)) {
		refuse(w, SG_STAT_TLS_FAILED, "the listener has no certificate", NULL);
		return;
	}
	/* The tunnel's engines (and OpenSSL) wake on any byte again. */
	if (w->lowat && setsockopt(w->io.fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one)) == -1) {
		refuse(w, SG_STAT_TLS_BAD_HELLO, strerror(errno), NULL);
		return;
	}
	if (l->ftcp)
		sg_net_keepalive(w->io.fd, &l->ftcp->keepalives);
	/* Out of epoll and off the timer before the next owner registers the
	 * same socket with an io of its own. */
	sg_io_set(w->ctx->loop, &w->io, 0);
	sg_timer_stop(w->ctx->loop, &w->timer);
	if (l->tls)
		sg_tlsterm_adopt(w->ctx, w->srv, w->cfg, w->bind, r, w->io.fd, w->ip, w->port,
				 w->dst_port, w->born);
	else
		sg_tcpconn_start(w->ctx, w->cfg, w->bind, r, w->io.fd, NULL, NULL, w->ip,
				 w->src_held, sni, w->dst_port);
	finish(w, true);
}

/* Wait until `need` bytes are queued: SO_RCVLOWAT makes epoll report the
 * socket readable only then (tcp_poll honours it), so a hello trickling
 * in costs one wake-up per step the parser can take, not one per byte. */
static int wait_for(struct hello_wait *w, size_t need)
{
	int lowat = (int)need;

	if (setsockopt(w->io.fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)) == -1)
		return -errno;
	w->lowat = true;
	return 0;
}

static void try_hello(struct hello_wait *w, uint32_t revents)
{
	uint8_t buf[SG_TLSHELLO_MAX];
	char sni[SG_TLSHELLO_NAME_MAX + 1];
	const struct sg_listener *l;
	const struct sg_tcp_route *r;
	size_t need = 0;
	ssize_t n;
	int err;

	n = recv(w->io.fd, buf, sizeof(buf), MSG_PEEK);
	if (n == -1) {
		err = errno;
		if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
			return;
		refuse(w, SG_STAT_TLS_BAD_HELLO, strerror(err), NULL);
		return;
	}
	if (n == 0) {
		refuse(w, SG_STAT_TLS_BAD_HELLO, "closed before its ClientHello", NULL);
		return;
	}
	switch (sg_tlshello_sni(buf, (size_t)n, sni, sizeof(sni), &need)) {
	case 0:
		r = sg_route_sni(w->bind, sni, &l);
		if (!r)
			refuse(w, SG_STAT_TLS_NO_ROUTE, "no route for SNI", sni);
		else
			hand_over(w, l, r, sni);
		return;
	case -ENOENT:
		/* Without a name, only a listener that terminates can answer
		 * (its default certificate); passthrough backends need SNI. */
		r = sg_route_sni(w->bind, "", &l);
		if (r && l->tls)
			hand_over(w, l, r, NULL);
		else
			refuse(w, SG_STAT_TLS_NO_SNI, "ClientHello without SNI", NULL);
		return;
	case -EAGAIN:
		/* The client half-closed mid-hello: no more bytes will come. */
		if (revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
			refuse(w, SG_STAT_TLS_BAD_HELLO, "closed inside its ClientHello", NULL);
			return;
		}
		err = wait_for(w, need);
		if (err)
			refuse(w, SG_STAT_TLS_BAD_HELLO, strerror(-err), NULL);
		return;
	case -E2BIG:
		refuse(w, SG_STAT_TLS_BAD_HELLO, "ClientHello over 16 KiB", NULL);
		return;
	default:
		refuse(w, SG_STAT_TLS_BAD_HELLO, "not a TLS ClientHello", NULL);
		return;
	}
}

static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	try_hello(io->data, revents);
}

static void on_timer(struct sg_loop *loop, struct sg_timer *t)
{
	struct hello_wait *w = t->data;

	refuse(w, SG_STAT_TIMEOUT_TLS_HELLO, "no ClientHello in time", NULL);
}

void sg_tlspass_accept(struct sg_frontend *ctx, struct sg_tls_server *srv,
		       const struct sg_bind *bind, int fd, const struct sockaddr_storage *peer,
		       uint16_t port)
{
	uint64_t limit = ctx->head_timeout_ms ? ctx->head_timeout_ms : SG_TLSPASS_HELLO_TIMEOUT_MS;
	uint64_t age = sg_net_accept_age_ms(fd);
	struct hello_wait *w;
	char ip[INET6_ADDRSTRLEN];

	sg_net_ip_str(peer, ip, sizeof(ip));
	if (!sg_frontend_admit(ctx, bind, ip, sg_net_port(peer))) {
		close(fd);
		return;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		close(fd);
		sg_frontend_release(ctx, bind->port, ip);
		return;
	}
	w->ctx = ctx;
	w->cfg = sg_cfg_ref(ctx->cfg);
	w->bind = bind;
	if (srv) {
		sg_tls_server_ref(srv);
		w->srv = srv;
	}
	w->src_held = true;
	w->born = sg_loop_now(ctx->loop) - age;
	memcpy(w->ip, ip, sizeof(w->ip));
	w->port = sg_net_port(peer);
	w->dst_port = port;
	w->io.fd = fd;
	w->io.cb = on_io;
	w->io.data = w;
	sg_timer_init(&w->timer, on_timer, w);
	sg_list_insert_head(&ctx->hellos, &w->link);
	ctx->stats->active++;
	sg_stats_add(ctx->stats, SG_STAT_CONNECTIONS, 1);
	/* The deadline counts from the client's connect: a deferred accept
	 * may have held the connection a while already. */
	sg_timer_arm(ctx->loop, &w->timer,
		     sg_loop_now(ctx->loop) + (age < limit ? limit - age : 0));
	if (sg_io_set(ctx->loop, &w->io, EPOLLIN | EPOLLRDHUP) == -1) {
		refuse(w, SG_STAT_TLS_BAD_HELLO, strerror(errno), NULL);
		return;
	}
	/* Deferred accept: the hello is usually in already. */
	try_hello(w, 0);
}

void sg_tlspass_close_all(struct sg_frontend *ctx)
{
	while (!sg_list_empty(&ctx->hellos))
		finish(SG_LIST_ENTRY(sg_list_first(&ctx->hellos), struct hello_wait, link), false);
}
