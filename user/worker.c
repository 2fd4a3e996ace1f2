/* A worker: thread + loop + listeners + pool. The main thread talks to it
 * only through an eventfd (stop), so no state is shared but the immutable
 * config. */
#include "user/worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "user/log.h"
#include "user/loop.h"
#include "user/net.h"
#include "user/proxy.h"

struct listen_sock {
	struct sg_io io;
	const struct sg_bind *bind;
	struct sg_worker *w;
};

/* Owned by the gateway; everything it points to is its own. */
struct sg_worker {
	unsigned index;
	pthread_t thread;
	struct sg_loop *loop;
	struct sg_proxy_ctx ctx;
	struct sg_io stop_io;
	struct listen_sock *socks;
	size_t nsocks;
};

static void on_accept(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct listen_sock *ls = io->data;

	/* Bounded per wake-up so one busy listener cannot starve the rest. */
	for (int i = 0; i < 64; i++) {
		int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE)
				SG_WARN("accept: %s", strerror(errno));
			return;
		}
		sg_proxy_accept(&ls->w->ctx, ls->bind, fd);
	}
}

static void on_stop(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	uint64_t v;

	if (read(io->fd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		SG_WARN("worker stop: %s", strerror(errno));
	sg_loop_stop(loop);
}

static int bind_all(struct sg_worker *w, const struct sg_cfg *cfg, char *err, size_t errlen)
{
	w->socks = calloc(cfg->nbinds + 1, sizeof(*w->socks));
	if (!w->socks)
		return -1;
	for (size_t i = 0; i < cfg->nbinds; i++) {
		struct listen_sock *ls = &w->socks[w->nsocks];
		struct sockaddr_storage ss;
		socklen_t len;
		char addr[32];

		snprintf(addr, sizeof(addr), "0.0.0.0:%u", cfg->binds[i].port);
		sg_net_parse_addr(addr, &ss, &len);
		ls->io.fd = sg_net_listen(&ss, len, true);
		if (ls->io.fd == -1) {
			snprintf(err, errlen, "listen %s: %s", addr, strerror(errno));
			return -1;
		}
		w->nsocks++;
		ls->io.cb = on_accept;
		ls->io.data = ls;
		ls->bind = &cfg->binds[i];
		ls->w = w;
		if (sg_io_set(w->loop, &ls->io, EPOLLIN) == -1) {
			snprintf(err, errlen, "epoll: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct sg_worker *w = arg;

	if (sg_loop_run(w->loop) == -1)
		SG_ERR("worker %u: event loop failed: %s", w->index, strerror(errno));
	return NULL;
}

static void worker_free(struct sg_worker *w)
{
	sg_proxy_close_all(&w->ctx);
	for (size_t i = 0; i < w->nsocks; i++) {
		sg_io_set(w->loop, &w->socks[i].io, 0);
		close(w->socks[i].io.fd);
	}
	free(w->socks);
	if (w->stop_io.fd > 0)
		close(w->stop_io.fd);
	sg_pool_free(w->ctx.pool);
	sg_loop_free(w->loop);
	free(w);
}

struct sg_worker *sg_worker_start(const struct sg_cfg *cfg, enum sg_relay_engine engine,
				  unsigned index, char *err, size_t errlen)
{
	struct sg_worker *w = calloc(1, sizeof(*w));

	if (!w || !(w->loop = sg_loop_new()) || !(w->ctx.pool = sg_pool_new(w->loop))) {
		snprintf(err, errlen, "worker %u: out of memory", index);
		goto fail;
	}
	w->index = index;
	w->ctx.loop = w->loop;
	w->ctx.cfg = cfg;
	w->ctx.engine = engine;
	w->ctx.rng = 0x9e3779b97f4a7c15ull * (index + 1);
	w->stop_io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->stop_io.cb = on_stop;
	if (w->stop_io.fd == -1 || sg_io_set(w->loop, &w->stop_io, EPOLLIN) == -1) {
		snprintf(err, errlen, "worker %u: eventfd: %s", index, strerror(errno));
		goto fail;
	}
	if (bind_all(w, cfg, err, errlen) == -1)
		goto fail;
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		snprintf(err, errlen, "worker %u: cannot start thread", index);
		goto fail;
	}
	return w;
fail:
	if (w && w->loop)
		worker_free(w);
	else
		free(w);
	return NULL;
}

void sg_worker_stop(struct sg_worker *w)
{
	uint64_t one = 1;

	if (!w)
		return;
	if (write(w->stop_io.fd, &one, sizeof(one)) == -1)
		SG_WARN("worker %u: stop: %s", w->index, strerror(errno));
	pthread_join(w->thread, NULL);
	worker_free(w);
}
