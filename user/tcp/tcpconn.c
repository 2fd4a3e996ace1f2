/* A TCP route's connection (user/tcp/tcpconn.h): the client socket (and a
 * terminated TLS listener's session), its backend's connect under the
 * connect timeout (with the backend's TLS where its policy asks, a
 * dynamic backend by SNI), then the tunnel both ways in the worker's
 * engine, promoted to the socket map when it looks interactive, until
 * both ends closed, --tunnel-idle-timeout passed, or either side failed.
 *
 * One timer folds its deadlines (connect, idle, the kick of a sockmap
 * pump waiting for the kernel): armed at the earliest, the callback
 * checks which one passed, so an early wake-up is harmless. */
#include "user/tcp/tcpconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "config/hostname.h"
#include "policy/route.h"
#include "user/base/log.h"
#include "user/base/net.h"
#include "user/base/slab.h"
#include "user/core/backend.h"
#include "user/relay/engine.h"
#include "user/tcp/tunnel.h"
#include "user/tls/tls.h"

/* One TCP route connection. Owned by the worker's loop (in ctx->tcpconns,
 * from ctx->tcpconn_mem), freed in the close queue. Owns the client's
 * socket and TLS session, the backend connection, the cfg reference and
 * the admission hold. */
struct sg_tcpconn {
	struct sg_frontend *ctx;
	struct sg_cfg *cfg;  /* the config it began on (a reference) */
	struct sg_list link; /* in ctx->tcpconns */
	const struct sg_bind *bind;
	struct sg_io io;    /* the client's socket */
	struct sg_tls *tls; /* a terminated TLS listener's session; NULL: plain bytes */
	struct sg_ksock ck; /* the client socket's socket map counters */
	struct sg_timer timer;
	struct sg_closing closing;
	bool closed;
	bool aborted;		   /* closed with RST: a reset passed on */
	bool src_held;		   /* admitted (sg_frontend_admit): release once */
	bool connected;		   /* the backend's connect (and TLS handshake) is done */
	bool pumping;		   /* up and down are set up */
	char ip[INET6_ADDRSTRLEN]; /* the client's address, as text */

	const struct sg_backend_ref *backend;
	const struct sg_endpoint *ep;
	struct sg_backend_conn *conn; /* NULL once closed */
	/* A dynamic backend's endpoint (ep): the SNI in dyn_host, at the
	 * port the client connected to. */
	struct sg_endpoint dyn_ep;
	char dyn_host[SG_ENDPOINT_ADDR_MAX + 1];
	char tls_cause[160]; /* why the backend's TLS handshake failed */

	struct sg_pump up, down; /* client -> backend, backend -> client */
	struct sg_tunnel tunnel;
	enum sg_relay_engine engine; /* up's */
	/* Deadlines in loop ms, 0 = none: the backend's connect (and TLS
	 * handshake), --tunnel-idle-timeout, and a sockmap pump waiting for
	 * the kernel to finish writing (SG_TUNNEL_KICK). */
	uint64_t connect_at, idle_at, kick_at;
};
_Static_assert(sizeof(struct sg_tcpconn) <= SG_SLAB_MAX_SIZE, "a slab object");

static void settle(struct sg_tcpconn *t);
static void conn_close(struct sg_tcpconn *t);

static uint64_t now_ms(const struct sg_tcpconn *t)
{
	return sg_loop_now(t->ctx->loop);
}

/* ---- the relay ---------------------------------------------------------- */

/* One direction's pump, in the engine user/relay/engine.h chooses for a
 * tunnel (on the socket map once promoted). */
static enum sg_relay_engine init_pump(struct sg_tcpconn *t, struct sg_pump *p, bool to_backend)
{
	const struct sg_relay_sock client = { t->io.fd, &t->ck, &t->io, t->tls };
	const struct sg_relay_sock backend = { t->conn->fd, &t->conn->k, &t->conn->io,
					       t->conn->tls };
	const struct sg_relay_what what = {
		.to_backend = to_backend,
		.tunnel = true,
		.promoted = t->tunnel.promoted,
		.budget = UINT64_MAX,
	};

	return sg_tunnel_pump(p, &t->ctx->relays, &client, &backend, &what, t->ctx->stats, t->ip);
}

static void pumps(struct sg_tcpconn *t)
{
	t->engine = init_pump(t, &t->up, true);
	init_pump(t, &t->down, false);
	t->pumping = true;
}

/* Release both pumps, counting their bytes once. */
static void pumps_done(struct sg_tcpconn *t)
{
	if (!t->pumping)
		return;
	sg_pump_unbatch(&t->up);
	sg_tunnel_count(&t->up, t->ctx->stats);
	sg_pump_release(&t->up);
	sg_tunnel_count(&t->down, t->ctx->stats);
	sg_pump_release(&t->down);
	t->pumping = false;
}

/* Both pumps are idle: close their pipes and set them up again (user/relay/
 * engine.h chooses the socket map for a promoted tunnel). */
static void promote(void *arg)
{
	struct sg_tcpconn *t = arg;

	pumps_done(t);
	pumps(t);
	SG_DEBUG("%s: interactive tunnel: %s from now on", t->ip, sg_relay_engine_name(t->engine));
}

/* Move what the tunnel can, both ways; close when it ends. */
static void drive(struct sg_tcpconn *t)
{
	if (t->closed || !t->connected)
		return;
	switch (sg_tunnel_step(&t->tunnel, now_ms(t), promote, t)) {
	case SG_TUNNEL_OPEN:
	case SG_TUNNEL_PROMOTE: /* carried out by sg_tunnel_step */
		return;
	case SG_TUNNEL_KICK:
		/* The kernel's worker is that fast: look again in a ms. */
		t->kick_at = now_ms(t) + 1;
		return;
	case SG_TUNNEL_DONE:
		conn_close(t);
		return;
	case SG_TUNNEL_ERROR:
		/* A reset (or a failed write) on one side is passed on as a
		 * reset on both: an aborted stream must not look finished to
		 * the other end (a FIN would). */
		if (t->conn && t->conn->fd >= 0)
			sg_net_reset_on_close(t->conn->fd);
		t->aborted = true;
		conn_close(t);
		return;
	}
}

/* The backend is connected: both directions relayed until EOF. */
static void begin(struct sg_tcpconn *t)
{
	pumps(t);
	/* Records decrypted here never leave userspace (no kTLS): such a
	 * tunnel is not watched for the socket map. */
	sg_tunnel_begin(&t->tunnel, &t->up, &t->down, t->ctx->tunnel_promote && !t->tls, now_ms(t));
	if (t->bind->proto == SG_PROTO_TLS && !t->tls)
		sg_tunnel_tls(&t->tunnel); /* passthrough: the handshake goes by too */
	if (t->ctx->tunnel_idle_ms)
		t->idle_at = now_ms(t) + t->ctx->tunnel_idle_ms;
}

/* `idle` as userspace saw it, made shorter by what the kernel moved alone
 * on either socket (sg_idle_quiet_fn). */
static uint64_t quiet(void *arg, uint64_t idle)
{
	struct sg_tcpconn *t = arg;
	const struct sg_sockmap *kmap = t->ctx->relays.kmap;

	idle = sg_tunnel_quiet(kmap, &t->ck, t->io.fd, idle);
	return t->conn ? sg_tunnel_quiet(kmap, &t->conn->k, t->conn->fd, idle) : idle;
}

/* ---- the backend's connect ---------------------------------------------- */

/* One step of the backend's TLS handshake, where its policy asks for one
 * (a TLS listener in mode Terminate re-encrypts): 1 done, 0 waiting, -1
 * failed. */
static int tls_step(struct sg_tcpconn *t)
{
	int rc = sg_backend_tls_begin(t->conn, t->backend, t->ep, t->tls_cause,
				      sizeof(t->tls_cause));

	if (rc < 0)
		SG_DEBUG("%s: tunnel: TLS to the backend: %s", t->ip, t->tls_cause);
	return rc;
}

/* The backend's connect (and handshake) moved: false when it failed (the
 * connection is closed) or still waits. */
static bool connect_done(struct sg_tcpconn *t)
{
	int err = t->conn->tls ? 0 : sg_backend_connect_error(t->conn);

	if (err == EINPROGRESS)
		return false; /* the name's next address */
	if (err) {
		conn_close(t);
		return false;
	}
	/* The handshake runs under the connect deadline, still armed. */
	switch (t->backend->eff_tls ? tls_step(t) : 1) {
	case 0:
		settle(t); /* what the handshake waits for */
		return false;
	case -1:
		conn_close(t);
		return false;
	}
	t->connected = true;
	t->connect_at = 0;
	begin(t);
	return true;
}

/* Either socket's events (the backend's while it connects too). */
static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_tcpconn *t = io->data;

	(void)loop;
	(void)revents;
	if (t->closed)
		return;
	if (!t->connected && io == &t->conn->io && !connect_done(t))
		return;
	drive(t);
	settle(t);
}

/* ---- timer and I/O interest --------------------------------------------- */

static void rearm_timer(struct sg_tcpconn *t)
{
	uint64_t due = 0, cand[] = { t->idle_at, t->connect_at, t->kick_at };

	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++)
		if (cand[i] && (!due || cand[i] < due))
			due = cand[i];
	/* Moved earlier only: a timer that fires early finds nothing due and
	 * is armed again (the idle deadline moves later with every byte). */
	if (due && (!sg_timer_armed(&t->timer) || due < t->timer.due))
		sg_timer_arm(t->ctx->loop, &t->timer, due);
}

/* Register what the connection waits for, on both sockets. */
static void update_io(struct sg_tcpconn *t)
{
	uint32_t cev = 0, uev = 0;

	if (!t->connected)
		uev = sg_backend_connect_events(t->conn);
	else
		sg_tunnel_events(&t->tunnel, &cev, &uev);
	/* A socket that read EOF with passed bytes still on their way is read
	 * again on the kick timer: at EOF it is readable for ever. */
	if (t->ck.eof_wait)
		cev &= ~(uint32_t)(EPOLLIN | EPOLLRDHUP);
	if (t->conn->k.eof_wait)
		uev &= ~(uint32_t)(EPOLLIN | EPOLLRDHUP);
	if (sg_io_set(t->ctx->loop, &t->io, cev) == -1 ||
	    sg_io_set(t->ctx->loop, &t->conn->io, uev) == -1)
		conn_close(t);
}

/* The end of every dispatch: the timer armed at the earliest deadline and
 * each socket registered for what the connection now waits for. */
static void settle(struct sg_tcpconn *t)
{
	if (t->closed)
		return;
	rearm_timer(t);
	update_io(t);
}

static void on_timer(struct sg_loop *loop, struct sg_timer *tm)
{
	struct sg_tcpconn *t = tm->data;
	uint64_t n = now_ms(t);

	(void)loop;
	if (t->idle_at && n >= t->idle_at &&
	    sg_tunnel_idle_over(&t->tunnel, &t->idle_at, n, t->ctx->tunnel_idle_ms, quiet, t)) {
		sg_stats_add(t->ctx->stats, SG_STAT_TIMEOUT_IDLE, 1);
		conn_close(t);
		return;
	}
	if (t->connect_at && n >= t->connect_at) {
		sg_stats_add(t->ctx->stats, SG_STAT_TIMEOUT_CONNECT, 1);
		conn_close(t);
		return;
	}
	if (t->kick_at && n >= t->kick_at) {
		t->kick_at = 0;
		drive(t);
	}
	settle(t);
}

/* ---- lifecycle ---------------------------------------------------------- */

static void conn_free(struct sg_closing *cl)
{
	struct sg_tcpconn *t =
		(struct sg_tcpconn *)((char *)cl - offsetof(struct sg_tcpconn, closing));

	sg_cfg_unref(t->cfg);
	sg_slab_free(t);
}

/* Close both sides now (with RST when aborted); freed from the loop's
 * close queue. */
static void conn_close(struct sg_tcpconn *t)
{
	struct sg_frontend *ctx = t->ctx;

	if (t->closed)
		return;
	t->closed = true;
	sg_timer_stop(ctx->loop, &t->timer);
	sg_backend_close(t->conn);
	t->conn = NULL;
	pumps_done(t);
	sg_io_set(ctx->loop, &t->io, 0); /* before the close: sg_io_set says why */
	if (ctx->relays.kmap)
		sg_sockmap_forget(ctx->relays.kmap, &t->ck, t->io.fd);
	if (t->aborted)
		sg_net_reset_on_close(t->io.fd);
	else if (t->tls)
		sg_tls_close_notify(t->tls);
	sg_tls_free(t->tls);
	t->tls = NULL;
	close(t->io.fd);
	if (t->src_held)
		sg_frontend_release(ctx, t->bind->port, t->ip);
	ctx->stats->active--;
	sg_list_remove(&t->link);
	sg_loop_defer_close(ctx->loop, &t->closing, conn_free);
}

/* A connection on fd, owning fd, the cfg reference and the per-source
 * hold; NULL (all three released) when out of memory. */
static struct sg_tcpconn *conn_new(struct sg_frontend *ctx, struct sg_cfg *cfg,
				   const struct sg_bind *bind, int fd, const char *ip,
				   bool src_held)
{
	struct sg_tcpconn *t = sg_frontend_conn_alloc(ctx, &ctx->tcpconn_mem, sizeof(*t), cfg, bind,
						      fd, ip, src_held);

	if (!t)
		return NULL;
	*t = (struct sg_tcpconn){
		.ctx = ctx,
		.cfg = cfg,
		.bind = bind,
		.src_held = src_held,
		.io = { .fd = fd, .cb = on_io, .data = t },
	};
	sg_timer_init(&t->timer, on_timer, t);
	sg_list_insert_head(&ctx->tcpconns, &t->link);
	snprintf(t->ip, sizeof(t->ip), "%s", ip);
	return t;
}

/* The endpoint of a dynamic backend: the SNI, a host name (never an
 * address: RFC 6066 §3) the route's hostnames allowed, at `port`. NULL:
 * there is no such name. */
static const struct sg_endpoint *dynamic_ep(struct sg_tcpconn *t, const char *sni, uint16_t port)
{
	size_t len = sni ? strlen(sni) : 0;

	if (!len || len > SG_ENDPOINT_ADDR_MAX || !sg_sni_name_valid(sni, len) || sni[0] == '*' ||
	    !port)
		return NULL;
	memcpy(t->dyn_host, sni, len + 1);
	t->dyn_ep = (struct sg_endpoint){ .addr = t->dyn_host, .port = port, .client_named = true };
	return &t->dyn_ep;
}

/* Route r (a TCP listener's first, or the one a TLS listener chose by
 * SNI; NULL: none) to one of its backends and start its connect; false
 * when the connection was closed instead. */
static bool start(struct sg_tcpconn *t, const struct sg_tcp_route *r, const char *sni,
		  uint16_t port)
{
	size_t bi, ei;
	int err;

	if (!r || !sg_route_pick(&r->backends, sg_route_random(&t->ctx->rng), 0, &bi, &ei)) {
		conn_close(t);
		return false;
	}
	t->backend = &r->backends.v[bi];
	t->ep = t->backend->kind == SG_BREF_DYNAMIC ? dynamic_ep(t, sni, port)
						    : &t->backend->eps[ei];
	if (!t->ep) {
		SG_DEBUG("%s: tunnel: a dynamic backend needs a host name by SNI", t->ip);
		conn_close(t);
		return false;
	}
	t->conn = sg_backend_connect(t->ctx->pool, t->ep, &t->backend->eff_keepalive, &err);
	if (!t->conn) {
		conn_close(t);
		return false;
	}
	if (t->backend->eff_connect_timeout > 0)
		t->connect_at = now_ms(t) + sg_dur_to_ms_ceil(t->backend->eff_connect_timeout);
	t->conn->io.cb = on_io;
	t->conn->io.data = t;
	return true;
}

void sg_tcpconn_accept(struct sg_frontend *ctx, const struct sg_bind *bind, int fd,
		       const struct sockaddr_storage *peer)
{
	const struct sg_listener *l = bind->nlisteners ? &bind->listeners[0] : NULL;
	char ip[INET6_ADDRSTRLEN]; /* the client's address, as text */
	struct sg_tcpconn *t;

	sg_net_ip_str(peer, ip, sizeof(ip));
	if (!sg_frontend_admit(ctx, bind, ip, sg_net_port(peer))) {
		/* Closed unread: the reset tells the client at once. */
		close(fd);
		return;
	}
	t = conn_new(ctx, sg_cfg_ref(ctx->cfg), bind, fd, ip, true);
	if (!t)
		return;
	sg_stats_add(ctx->stats, SG_STAT_CONNECTIONS, 1);
	if (l && l->ftcp)
		sg_net_keepalive(fd, &l->ftcp->keepalives);
	if (start(t, l ? sg_route_tcp(l) : NULL, NULL, bind->port))
		settle(t);
}

void sg_tcpconn_start(struct sg_frontend *ctx, struct sg_cfg *cfg, const struct sg_bind *bind,
		      const struct sg_tcp_route *r, int fd, struct sg_tls *tls, struct sg_io *from,
		      const char *ip, bool src_held, const char *sni, uint16_t port)
{
	struct sg_tcpconn *t = conn_new(ctx, cfg, bind, fd, ip, src_held);

	if (!t) {
		sg_tls_free(tls);
		return;
	}
	if (tls) {
		sg_io_adopt(ctx->loop, &t->io, from); /* failing, settle registers it */
		t->tls = tls;
		sg_tls_watch(tls, ctx->loop, &t->io);
	}
	if (start(t, r, sni, port))
		settle(t);
}

void sg_tcpconn_close_all(struct sg_frontend *ctx)
{
	while (!sg_list_empty(&ctx->tcpconns))
		conn_close(SG_LIST_ENTRY(sg_list_first(&ctx->tcpconns), struct sg_tcpconn, link));
}
