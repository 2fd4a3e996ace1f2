/* The gateway process: config, listeners, admin, signals, one event loop.
 * Signals arrive through a signalfd so they are handled in the loop like
 * any other event, never inside a handler. */
#include "user/gateway.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "admin/admin.h"
#include "user/log.h"
#include "user/loop.h"
#include "user/net.h"

/* Owns everything it points to. */
struct gateway {
	struct sg_loop *loop;
	struct sg_cfg *cfg;
	struct sg_admin *admin;
	struct sg_io signal_io;
	int *listen_fds;
	size_t nlisten;
};

static const struct sg_cfg *current_cfg(void *ctx)
{
	struct gateway *g = ctx;

	return g->cfg;
}

static void quit(void *ctx)
{
	struct gateway *g = ctx;

	SG_INFO("shutting down");
	sg_loop_stop(g->loop);
}

static void on_signal(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct signalfd_siginfo si;

	while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			quit(io->data);
	}
}

static int watch_signals(struct gateway *g)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	g->signal_io.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (g->signal_io.fd == -1)
		return -1;
	g->signal_io.cb = on_signal;
	g->signal_io.data = g;
	return sg_io_set(g->loop, &g->signal_io, EPOLLIN);
}

static int bind_listeners(struct gateway *g)
{
	const struct sg_cfg *cfg = g->cfg;

	g->listen_fds = calloc(cfg->nbinds + 1, sizeof(int));
	if (!g->listen_fds)
		return -1;
	for (size_t i = 0; i < cfg->nbinds; i++) {
		struct sockaddr_storage ss;
		socklen_t len;
		char addr[32];
		int fd;

		snprintf(addr, sizeof(addr), "0.0.0.0:%u", cfg->binds[i].port);
		if (sg_net_parse_addr(addr, &ss, &len) == -1)
			return -1;
		fd = sg_net_listen(&ss, len, true);
		if (fd == -1) {
			SG_ERR("listen %s: %s", addr, strerror(errno));
			return -1;
		}
		g->listen_fds[g->nlisten++] = fd;
		SG_INFO("listening on %s (%s)", addr,
			cfg->binds[i].proto == SG_PROTO_TCP ? "tcp" : "http");
	}
	return 0;
}

static void teardown(struct gateway *g)
{
	sg_admin_stop(g->admin);
	for (size_t i = 0; i < g->nlisten; i++)
		close(g->listen_fds[i]);
	free(g->listen_fds);
	if (g->signal_io.fd > 0)
		close(g->signal_io.fd);
	sg_loop_free(g->loop);
	sg_cfg_free(g->cfg);
}

static struct sg_cfg *load(const struct sg_gateway_opts *opts)
{
	struct sg_diag d;
	struct sg_cfg *cfg;

	sg_diag_init(&d);
	cfg = sg_cfg_load(opts->config_paths, opts->nconfig_paths, &d);
	sg_diag_print(&d, stderr);
	sg_diag_free(&d);
	return cfg;
}

int sg_gateway_run(const struct sg_gateway_opts *opts)
{
	struct gateway g = { 0 };
	struct sg_admin_ops ops = { current_cfg, quit, &g };
	char err[256];
	int ret = 2;

	g.cfg = load(opts);
	if (!g.cfg)
		return 1;
	g.loop = sg_loop_new();
	if (!g.loop || watch_signals(&g) == -1) {
		SG_ERR("event loop: %s", strerror(errno));
		goto out;
	}
	if (bind_listeners(&g) == -1)
		goto out;
	g.admin = sg_admin_start(g.loop,
				 opts->admin_addr ? opts->admin_addr : g.cfg->global.admin_addr,
				 &ops, err, sizeof(err));
	if (!g.admin) {
		SG_ERR("%s", err);
		goto out;
	}
	SG_INFO("admin on %s", opts->admin_addr ? opts->admin_addr : g.cfg->global.admin_addr);
	ret = sg_loop_run(g.loop) == 0 ? 0 : 2;
out:
	teardown(&g);
	return ret;
}
