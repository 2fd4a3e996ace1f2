/* A worker: thread + loop + listeners + pool. The main thread talks to it
 * through a mailbox (a mutex-guarded pointer) and an eventfd, so no mutable
 * state is shared; configs are immutable and reference-counted. */
#include "user/worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "user/auth/jwt.h"
#include "user/base/log.h"
#include "user/base/loop.h"
#include "user/base/mem.h"
#include "user/core/authzcall.h"
#include "user/core/mirror.h"
#include "user/core/trace.h"
#include "user/core/preface.h"
#include "user/http2/h2proxy.h"
#include "user/base/net.h"
#include "user/base/pages.h"
#include "user/http1/proxy.h"
#include "user/mcp/mcpsvc.h"
#include "user/tcp/tcpconn.h"
#include "user/tlspass.h"
#include "user/tlsterm.h"

/* One listening socket, owned by its worker. */
struct listen_sock {
	struct listen_sock *next;
	struct sg_io io;
	struct sg_timer pause; /* accept paused: out of fds or memory */
	struct sg_closing closing;
	uint16_t port;
	const struct sg_bind *bind; /* in w->ctx.cfg */
	struct sg_tls_server *tls;  /* sg_tls_bind_terminates: its certificates */
	struct sg_worker *w;
};

/* Owned by the gateway; everything it points to is its own. */
struct sg_worker {
	unsigned index;
	pthread_t thread;
	struct sg_loop *loop;
	struct sg_frontend ctx;
	struct sg_io wake_io;
	struct listen_sock *socks;
	pthread_mutex_t lock;
	struct sg_cfg *pending; /* guarded by lock */
	atomic_bool stopping;
	_Atomic uint64_t drain_ms; /* 0 = not draining */
	bool drain_started;
	uint64_t drain_deadline;
	struct sg_timer drain_timer;
	struct sg_stats stats;
	struct sg_mcp_service *mcp; /* the gateway's; this worker's port to it is ctx.mcp */
};

#define WORKER_ACCEPT_PAUSE_MS 100
/* HTTP/2 session arenas per mapping of the worker's page pool: 96 MiB of
 * address space each (resident only as written). */
#define WORKER_ARENAS_PER_MAP 4096

static void on_resume(struct sg_loop *loop, struct sg_timer *t)
{
	struct listen_sock *ls = t->data;

	if (sg_io_set(loop, &ls->io, EPOLLIN) == -1)
		SG_ERR("listener :%u: epoll: %s", ls->port, strerror(errno));
}

/* A new connection (its PROXY protocol header read, if its bind expects
 * one) goes to its protocol's first stage; `port`: where the client
 * connected to (the bind's, or the one its CONNECT named). */
static void hand_over(struct listen_sock *ls, int fd, const struct sockaddr_storage *peer,
		      uint16_t port)
{
	if (ls->bind->proto == SG_PROTO_TLS)
		sg_tlspass_accept(&ls->w->ctx, ls->tls, ls->bind, fd, peer, port);
	else if (ls->bind->proto == SG_PROTO_HTTPS && ls->tls)
		sg_tlsterm_accept(&ls->w->ctx, ls->tls, ls->bind, fd, peer);
	else if (ls->bind->proto == SG_PROTO_HTTPS)
		close(fd); /* no certificate loaded (out of memory) */
	else if (ls->bind->proto == SG_PROTO_TCP)
		sg_tcpconn_accept(&ls->w->ctx, ls->bind, fd, peer);
	else
		sg_proxy_accept(&ls->w->ctx, ls->bind, fd, peer);
}

/* The header is read: the port's listening socket, as the config now in
 * force has it, takes the connection (closed if the port went since). */
static void after_preface(void *owner, uint16_t port, int fd, const struct sockaddr_storage *peer)
{
	struct sg_worker *w = owner;

	for (struct listen_sock *ls = w->socks; ls; ls = ls->next)
		if (ls->port == port && ls->bind) {
			hand_over(ls, fd, peer, port);
			return;
		}
	close(fd);
}

/* A CONNECT bind's client enters the bind of `port` (sg_frontend.reenter):
 * no PROXY header there, the CONNECT bind read the connection's first
 * bytes already. */
static void reenter(void *arg, int fd, const struct sockaddr_storage *peer, uint16_t port)
{
	struct sg_worker *w = arg;

	for (struct listen_sock *ls = w->socks; ls; ls = ls->next)
		if (ls->port == port && ls->bind && !ls->bind->connect) {
			hand_over(ls, fd, peer, port);
			return;
		}
	close(fd);
}

static void on_accept(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct listen_sock *ls = io->data;

	/* Bounded per wake-up so one busy listener cannot starve the rest. */
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(io->fd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd == -1) {
			int err = errno;

			if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
				return;
			/* The pending connection stays queued and the socket
			 * stays readable: without a pause the loop would spin.
			 * Existing connections keep working meanwhile. */
			SG_WARN("accept on :%u: %s; pausing new connections for %d ms", ls->port,
				strerror(err), WORKER_ACCEPT_PAUSE_MS);
			sg_io_set(loop, io, 0);
			sg_timer_arm(loop, &ls->pause, sg_loop_now(loop) + WORKER_ACCEPT_PAUSE_MS);
			return;
		}
		if (ls->bind->proxy.versions)
			sg_preface_accept(&ls->w->ctx, ls->bind, fd, &peer, after_preface, ls->w);
		else
			hand_over(ls, fd, &peer, ls->port);
	}
}

/* HTTP clients speak first. TCP_DEFER_ACCEPT queues a connection for
 * accept() only once its first bytes are in: one wake-up of this worker
 * per new connection instead of two (the handshake's last ACK, then the
 * request), which the client's CPU pays for on this kind of VM
 * (scripts/BENCH.md, W2). A client that sends nothing is handed over after
 * about a second all the same (the kernel resends its SYN-ACK once), and
 * sg_proxy_accept counts its idle time from its connect, not from then
 * (sg_net_accept_age_ms). That only holds while every idle timeout on the
 * port is at least that second: a shorter one would fire late, so such a
 * port accepts at once. TLS clients speak first too (the ClientHello);
 * there the bound is the hello timeout (user/tlspass.c). */
#define WORKER_DEFER_S 1

static void set_defer(struct listen_sock *ls)
{
	const struct sg_bind *b = ls->bind;
	uint64_t hello_ms = ls->w->ctx.head_timeout_ms;
	bool defer = b->proto == SG_PROTO_HTTP;

	for (size_t i = 0; i < b->nlisteners; i++)
		defer &= b->proto == SG_PROTO_HTTP &&
			 b->listeners[i].fhttp->http1_idle_timeout >= SG_DUR_S(WORKER_DEFER_S);
	if (b->proto == SG_PROTO_TLS)
		defer = hello_ms == 0 || hello_ms >= WORKER_DEFER_S * 1000;
	if (b->proto == SG_PROTO_HTTPS)
		defer = ls->tls && sg_tls_server_handshake_ms(ls->tls) >= WORKER_DEFER_S * 1000;
	if (b->proto != SG_PROTO_TCP &&
	    sg_net_defer_accept(ls->io.fd, defer ? WORKER_DEFER_S : 0) == -1)
		SG_WARN("listener :%u: TCP_DEFER_ACCEPT: %s", ls->port, strerror(errno));
}

/* The certificates of a bind that terminates TLS (HTTPS, or TLS in mode
 * Terminate), loaded again with every config (a reload
 * is how a renewed certificate comes in); a connection keeps the one it
 * began with. The gateway vetted them (sg_tls_server_new) before the
 * config went in force, so a failure here is only memory. */
static int load_tls(struct listen_sock *ls, char *err, size_t errlen)
{
	struct sg_tls_server *srv = NULL;

	int rc = 0;

	if (sg_tls_bind_terminates(ls->bind) && !(srv = sg_tls_server_new(ls->bind, err, errlen)))
		rc = -1; /* the port refuses connections until a config loads */
	sg_tls_server_unref(ls->tls);
	ls->tls = srv;
	return rc;
}

/* An internal bind (mode: internal) has no socket: a listen_sock with fd
 * -1 holds its bind and certificates for the CONNECTs that enter it. */
static int open_internal(struct sg_worker *w, const struct sg_bind *b, char *err, size_t errlen)
{
	struct listen_sock *ls = calloc(1, sizeof(*ls));

	if (!ls) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ls->io.fd = -1;
	sg_timer_init(&ls->pause, on_resume, ls);
	ls->port = b->port;
	ls->bind = b;
	ls->w = w;
	if (load_tls(ls, err, errlen) == -1) {
		free(ls);
		return -1;
	}
	ls->next = w->socks;
	w->socks = ls;
	return 0;
}

static int open_sock(struct sg_worker *w, const struct sg_bind *b, char *err, size_t errlen)
{
	struct listen_sock *ls;
	struct sockaddr_storage ss;
	socklen_t len = 0; /* set by the parse of an address made here, which cannot fail */
	char addr[32];

	if (b->internal)
		return open_internal(w, b, err, errlen);
	if (!(ls = calloc(1, sizeof(*ls)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(addr, sizeof(addr), "0.0.0.0:%u", b->port);
	sg_net_parse_addr(addr, &ss, &len);
	ls->io.fd = sg_net_listen(&ss, len, true);
	if (ls->io.fd == -1) {
		snprintf(err, errlen, "listen %s: %s", addr, strerror(errno));
		free(ls);
		return -1;
	}
	/* TCP_QUICKACK off: a request's ACK rides on the response instead
	 * of a segment of its own during the kernel's quick-ack start
	 * (HAProxy does the same for its HTTP listeners); a client that
	 * writes one request in two small pieces with Nagle on waits for the
	 * delayed ACK (40 ms) before its second. The same for HTTPS: a
	 * handshake's flights and the request then carry the ACKs, 17.5
	 * segments per one-request TLS connection instead of 19 (HAProxy's
	 * 17; scripts/BENCH.md "Quick ACKs on TLS"). Accepted sockets
	 * inherit it. TCP_DEFER_ACCEPT: set_defer, on every config. */
	if (b->proto == SG_PROTO_HTTP || b->proto == SG_PROTO_HTTPS) {
		int off = 0;

		setsockopt(ls->io.fd, IPPROTO_TCP, TCP_QUICKACK, &off, sizeof(off));
	}
	ls->io.cb = on_accept;
	ls->io.data = ls;
	sg_timer_init(&ls->pause, on_resume, ls);
	ls->port = b->port;
	ls->bind = b;
	ls->w = w;
	if (load_tls(ls, err, errlen) == -1) {
		close(ls->io.fd);
		free(ls);
		return -1;
	}
	set_defer(ls);
	if (sg_io_set(w->loop, &ls->io, EPOLLIN) == -1) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		close(ls->io.fd);
		sg_tls_server_unref(ls->tls);
		free(ls);
		return -1;
	}
	ls->next = w->socks;
	w->socks = ls;
	return 0;
}

static void free_sock(struct sg_closing *cl)
{
	struct listen_sock *ls =
		(struct listen_sock *)((char *)cl - offsetof(struct listen_sock, closing));

	sg_tls_server_unref(ls->tls);
	free(ls);
}

/* Listeners are closed from inside on_wake (reload, drain), and the batch
 * being dispatched may still hold an accept event for this one: its memory
 * goes back through the loop's close queue, after the batch. */
static void close_sock(struct sg_worker *w, struct listen_sock *ls)
{
	sg_timer_stop(w->loop, &ls->pause);
	if (ls->io.fd != -1) { /* an internal bind's has none */
		sg_io_set(w->loop, &ls->io, 0);
		close(ls->io.fd);
	}
	sg_loop_defer_close(w->loop, &ls->closing, free_sock);
}

static const struct sg_bind *bind_for(const struct sg_cfg *cfg, uint16_t port)
{
	for (size_t i = 0; i < cfg->nbinds; i++)
		if (cfg->binds[i].port == port)
			return &cfg->binds[i];
	return NULL;
}

/* Make the listening sockets match `cfg`: keep ports that stay (so no
 * connection in an accept queue is lost), close the ones that went, open
 * the new ones. */
static int reconcile(struct sg_worker *w, const struct sg_cfg *cfg, char *err, size_t errlen)
{
	struct listen_sock **pp = &w->socks;
	int ret = 0;

	while (*pp) {
		struct listen_sock *ls = *pp;

		ls->bind = bind_for(cfg, ls->port);
		/* A port that became internal, or stopped being, opens again. */
		if (ls->bind && ls->bind->internal != (ls->io.fd == -1))
			ls->bind = NULL;
		if (ls->bind && load_tls(ls, err, errlen) == -1)
			ret = -1;
		if (ls->bind) {
			if (ls->io.fd != -1)
				set_defer(ls);
			pp = &ls->next;
			continue;
		}
		*pp = ls->next;
		close_sock(w, ls);
	}
	for (size_t i = 0; i < cfg->nbinds; i++) {
		bool have = false;

		for (struct listen_sock *ls = w->socks; ls; ls = ls->next)
			have |= ls->port == cfg->binds[i].port;
		if (!have && open_sock(w, &cfg->binds[i], err, errlen) == -1)
			ret = -1;
	}
	return ret;
}

static void close_listeners(struct sg_worker *w)
{
	while (w->socks) {
		struct listen_sock *ls = w->socks;

		w->socks = ls->next;
		close_sock(w, ls);
	}
}

/* Checked every 50 ms while draining: done when no client is left, or
 * when the grace period ran out (then the rest are closed). */
static void on_drain_tick(struct sg_loop *loop, struct sg_timer *t)
{
	struct sg_worker *w = t->data;

	if (w->stats.active == 0 || sg_loop_now(loop) >= w->drain_deadline) {
		sg_proxy_close_all(&w->ctx);
		sg_tcpconn_close_all(&w->ctx);
		sg_h2proxy_close_all(&w->ctx);
		sg_tlspass_close_all(&w->ctx);
		sg_tlsterm_close_all(&w->ctx);
		sg_loop_stop(loop);
		return;
	}
	sg_timer_arm(loop, t, sg_loop_now(loop) + 50);
}

static void start_drain(struct sg_worker *w, uint64_t grace_ms)
{
	w->drain_started = true;
	close_listeners(w);
	sg_preface_close_all(&w->ctx); /* no request of theirs has begun */
	sg_tlsterm_close_all(&w->ctx); /* no request of theirs has begun */
	sg_proxy_drain(&w->ctx);
	sg_h2proxy_drain(&w->ctx);
	w->drain_deadline = sg_loop_now(w->loop) + grace_ms;
	sg_timer_init(&w->drain_timer, on_drain_tick, w);
	on_drain_tick(w->loop, &w->drain_timer);
}

static void on_wake(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_worker *w = io->data;
	struct sg_cfg *cfg;
	char err[256];
	uint64_t v;

	if (read(io->fd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		SG_WARN("worker %u: wake: %s", w->index, strerror(errno));
	if (atomic_load(&w->stopping)) {
		sg_loop_stop(loop);
		return;
	}
	if (atomic_load(&w->drain_ms) && !w->drain_started) {
		start_drain(w, atomic_load(&w->drain_ms));
		return;
	}
	if (w->drain_started)
		return; /* a draining worker takes no new config */
	pthread_mutex_lock(&w->lock);
	cfg = w->pending;
	w->pending = NULL;
	pthread_mutex_unlock(&w->lock);
	if (!cfg)
		return;
	if (reconcile(w, cfg, err, sizeof(err)) == -1)
		SG_ERR("worker %u: %s", w->index, err);
	sg_cfg_unref(w->ctx.cfg);
	w->ctx.cfg = cfg;
	if (w->ctx.pool)
		sg_extauthz_reloaded(w->ctx.pool);
}

static void *worker_main(void *arg)
{
	struct sg_worker *w = arg;

	if (sg_loop_run(w->loop) == -1)
		SG_ERR("worker %u: event loop failed: %s", w->index, strerror(errno));
	sg_mem_drain();
	return NULL;
}

static void worker_free(struct sg_worker *w)
{
	size_t left;

	sg_proxy_close_all(&w->ctx);
	sg_tcpconn_close_all(&w->ctx);
	sg_h2proxy_close_all(&w->ctx);
	sg_tlspass_close_all(&w->ctx);
	sg_tlsterm_close_all(&w->ctx);
	sg_preface_close_all(&w->ctx);
	close_listeners(w);
	if (w->drain_started)
		sg_timer_stop(w->loop, &w->drain_timer);
	if (w->wake_io.fd > 0)
		close(w->wake_io.fd);
	if (w->mcp)
		sg_mcp_service_port_close(w->mcp, w->index);
	sg_mirroring_free(w->ctx.mirroring);
	sg_tracer_free(w->ctx.tracer);
	sg_jwt_cache_free(w->ctx.jwt_cache);
	sg_h2b_pool_free(w->ctx.h2pool);
	sg_pool_free(w->ctx.pool);
	sg_sockmap_free(w->ctx.relays.kmap);
	/* Closed clients are freed by the loop's close queue; their HTTP/2
	 * sessions give their arenas back to `pages` then. */
	sg_loop_free(w->loop);
	sg_pages_free(w->ctx.pages);
	sg_preface_free(&w->ctx);
	left = sg_frontend_release_mem(&w->ctx);
	if (left) {
		SG_ERR("worker %u: %zu connections not freed at exit", w->index, left);
		/* LeakSanitizer does not look into the slabs' mappings: a
		 * sanitized build fails here as it would on a leak. */
		if (!SG_MEM_KEEPS)
			abort();
	}
	sg_cfg_unref(w->pending);
	sg_cfg_unref(w->ctx.cfg);
	pthread_mutex_destroy(&w->lock);
	sg_stats_destroy(&w->stats);
	free(w);
}

struct sg_worker *sg_worker_start(struct sg_cfg *cfg, const struct sg_frontend_opts *opts,
				  struct sg_splice *splice, struct sg_splice_ring *ring,
				  struct sg_mcp_service *mcp, unsigned index, char *err,
				  size_t errlen)
{
	struct sg_worker *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "worker %u: out of memory", index);
		sg_splice_ring_close(ring);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	sg_stats_init(&w->stats);
	sg_list_init(&w->ctx.clients);
	sg_list_init(&w->ctx.tcpconns);
	sg_list_init(&w->ctx.h2conns);
	sg_list_init(&w->ctx.hellos);
	sg_list_init(&w->ctx.prefaces);
	sg_list_init(&w->ctx.handshakes);
	w->ctx.stats = &w->stats;
	w->index = index;
	w->ctx.cfg = sg_cfg_ref(cfg);
	w->loop = sg_loop_new();
	if (w->loop) {
		char name[16];

		snprintf(name, sizeof(name), "worker %u", index);
		sg_loop_set_name(w->loop, name);
		sg_loop_set_busy_poll(w->loop, opts->busy_poll_ns);
		sg_loop_set_coalesce(w->loop, opts->coalesce_ns);
	}
	w->ctx.pool = w->loop ? sg_pool_new(w->loop) : NULL;
	w->ctx.pages = sg_pages_new(SG_H2_ARENA_SIZE, WORKER_ARENAS_PER_MAP);
	w->ctx.h2pool = w->ctx.pool && w->ctx.pages
				? sg_h2b_pool_new(w->loop, w->ctx.pool, w->ctx.pages)
				: NULL;
	w->ctx.mirroring =
		w->ctx.pool ? sg_mirroring_new(w->loop, w->ctx.pool, w->ctx.h2pool, &w->stats)
			    : NULL;
	w->ctx.tracer =
		w->ctx.pool ? sg_tracer_new(w->loop, w->ctx.pool, w->ctx.h2pool, &w->stats) : NULL;
	if (!w->ctx.mirroring || !w->ctx.h2pool || !w->ctx.tracer) {
		snprintf(err, errlen, "worker %u: out of memory", index);
		sg_splice_ring_close(ring);
		goto fail;
	}
	if (mcp && sg_mcp_service_port_open(mcp, index, w->loop, &w->ctx.mcp) == -1) {
		snprintf(err, errlen, "worker %u: mcp: %s", index, strerror(errno));
		sg_splice_ring_close(ring);
		goto fail;
	}
	w->mcp = mcp;
	w->ctx.loop = w->loop;
	w->ctx.reenter = reenter;
	w->ctx.reenter_arg = w;
	w->ctx.relays.download = opts->engine;
	w->ctx.relays.upload = opts->upload;
	w->ctx.relays.tunnel = opts->tunnel;
	w->ctx.relays.adapt = opts->relays_adapt;
	w->ctx.tunnel_promote = opts->tunnel_promote && splice;
	w->ctx.tunnel_idle_ms = opts->tunnel_idle_ms;
	w->ctx.head_timeout_ms = opts->head_timeout_ms;
	w->ctx.body_idle_ms = opts->body_idle_ms;
	sg_h2b_pool_keepalive(w->ctx.h2pool, opts->backend_ping_ms, opts->backend_pong_ms,
			      &w->stats);
	sg_pool_set_max_age(w->ctx.pool, opts->backend_max_age_ms);
	w->ctx.srclimit = opts->srclimit;
	w->ctx.admit = opts->admit;
	w->ctx.resets = opts->resets;
	w->ctx.held = opts->held;
	w->ctx.held_max = opts->held_max;
	if (splice) {
		char why[200];

		w->ctx.relays.kmap = sg_sockmap_new(splice, ring, w->loop, why, sizeof(why));
		if (!w->ctx.relays.kmap) {
			snprintf(err, errlen, "worker %u: sockmap: %s", index, why);
			goto fail;
		}
		sg_pool_set_sockmap(w->ctx.pool, w->ctx.relays.kmap);
	}
	w->ctx.access_log = opts->access_log;
	w->ctx.access_log_fixed = opts->access_log_fixed;
	w->ctx.rng = 0x9e3779b97f4a7c15ull * (index + 1);
	w->wake_io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->wake_io.cb = on_wake;
	w->wake_io.data = w;
	if (w->wake_io.fd == -1 || sg_io_set(w->loop, &w->wake_io, EPOLLIN) == -1) {
		snprintf(err, errlen, "worker %u: eventfd: %s", index, strerror(errno));
		goto fail;
	}
	if (reconcile(w, cfg, err, errlen) == -1)
		goto fail;
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		snprintf(err, errlen, "worker %u: cannot start thread", index);
		goto fail;
	}
	return w;
fail:
	if (w->loop)
		worker_free(w);
	else {
		sg_cfg_unref(w->ctx.cfg);
		sg_stats_destroy(&w->stats);
		free(w);
	}
	return NULL;
}

static void wake(struct sg_worker *w)
{
	uint64_t one = 1;

	if (write(w->wake_io.fd, &one, sizeof(one)) == -1)
		SG_WARN("worker %u: wake: %s", w->index, strerror(errno));
}

void sg_worker_update(struct sg_worker *w, struct sg_cfg *cfg)
{
	struct sg_cfg *old;

	pthread_mutex_lock(&w->lock);
	old = w->pending;
	w->pending = sg_cfg_ref(cfg);
	pthread_mutex_unlock(&w->lock);
	sg_cfg_unref(old);
	wake(w);
}

void sg_worker_drain(struct sg_worker *w, uint64_t grace_ms)
{
	atomic_store(&w->drain_ms, grace_ms ? grace_ms : 1);
	wake(w);
}

struct sg_stats *sg_worker_stats(struct sg_worker *w)
{
	return &w->stats;
}

struct sg_lb *sg_worker_lb(struct sg_worker *w)
{
	return w->ctx.pool ? sg_pool_lb(w->ctx.pool) : NULL;
}

void sg_worker_stop(struct sg_worker *w)
{
	if (!w)
		return;
	/* A draining worker ends by itself; others are told to stop now. */
	if (!atomic_load(&w->drain_ms))
		atomic_store(&w->stopping, true);
	wake(w);
	pthread_join(w->thread, NULL);
	worker_free(w);
}
