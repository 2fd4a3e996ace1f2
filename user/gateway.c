/* The gateway process: config, listeners, admin, signals, one event loop.
 * Signals arrive through a signalfd so they are handled in the loop like
 * any other event, never inside a handler. */
#include "user/gateway.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "config/build.h"
#include "policy/ratelimit.h"
#include "admin/admin.h"
#include "admin/get.h"
#include "admin/sockstats.h"
#include "user/http2/h2proxy.h"
#include "user/ctl/journal.h"
#include "user/ctl/state.h"
#include "user/base/log.h"
#include "user/base/loop.h"
#include "user/base/net.h"
#include "user/priv.h"
#include "user/core/admit.h"
#include "user/auth/jwksremote.h"
#include "user/auth/oidc.h"
#include "user/core/jwksfetch.h"
#include "user/core/srclimit.h"
#include "user/core/stats.h"
#include "user/ctl/store.h"
#include "user/tls/tls.h"
#include "user/ctl/watch.h"
#include "user/mcp/mcpsvc.h"
#include "user/worker.h"

#define SG_MAX_WORKERS 256

/* Owns everything it points to. */
struct gateway {
	struct sg_loop *loop;
	struct sg_store *store;
	struct sg_cfg *cfg; /* sg_store_current(store) */
	struct sg_admin *admin, *stats, *ready;
	struct sg_admin *admin_socket; /* writes: --admin-socket */
	struct sg_journal *journal;    /* --state-dir, NULL: none */
	const struct sg_gateway_opts *opts;
	uint64_t reloads_ok, reloads_failed;
	/* The last config change's outcome, and the time (s since the epoch)
	 * of the last that went in force: the start's load counts as one. */
	bool reload_last_ok;
	int64_t reload_ok_at;
	bool quitting;
	/* SIGTERM came: readiness fails while the listeners accept on for
	 * --drain-delay (delay_timer), then the drain begins (quitting). */
	bool leaving;
	struct sg_timer delay_timer;
	struct sg_watch *watch; /* the config files, NULL without -c */
	struct sg_io signal_io;
	struct sg_worker *workers[SG_MAX_WORKERS];
	unsigned nworkers;
	struct sg_mcp_service *mcp;   /* every worker's MCP hub, freed after them */
	struct sg_splice *splice;     /* the BPF side, NULL without the sockmap engine */
	const char *engine;	      /* the --splice mode in force */
	struct sg_srclimit *srclimit; /* --max-connections-per-source, NULL: none */
	struct sg_admit *admit;	      /* maxConnections, maxConcurrentRequests */
	struct sg_srcrate *resets;    /* HTTP/2 resets per address (user/http2/h2proxy.c) */
	struct sg_srclimit *held;     /* request bodies held per address (user/core/request.c) */
	/* The certificate files of the config in force, as stat(2) saw them
	 * last (cert_stamp); checked every GATEWAY_CERT_POLL_MS. */
	struct sg_timer cert_timer;
	uint64_t cert_seen;
	uint64_t keys_seen;		/* --tls-ticket-keys, as stat(2) saw it last */
	struct sg_get_history *history; /* generations and transition times */
};

/* A config change (reload, apply, delete, certificate files) went in
 * force, or failed: counted, and the metrics' last-reload gauges set. */
static void reloaded(struct gateway *g, bool ok)
{
	if (ok) {
		g->reloads_ok++;
		g->reload_ok_at = (int64_t)time(NULL);
	} else {
		g->reloads_failed++;
	}
	g->reload_last_ok = ok;
}

#define GATEWAY_CERT_POLL_MS 1000

static uint64_t cert_stamp(const struct sg_cfg *cfg);

/* The statuses of the config now in force, against those before. */
static void record_status(struct gateway *g)
{
	if (sg_get_record(g->history, g->cfg, time(NULL)) < 0)
		SG_WARN("out of memory: generations and transition times are those of the "
			"config before");
}

/* config.logging's level, when the config in force gives one and
 * --log-level was not given (a later POST /logging lasts until the next
 * config goes in force). */
static void apply_log_level(const struct gateway *g)
{
	const struct sg_logging *l = g->cfg->global.logging;

	if (!g->opts->log_level_fixed && l && l->level)
		sg_log_set_level(l->level);
}

/* The store's config goes in force: its rate limits keep the tokens the
 * one in force had (every worker still holds that one), the workers get
 * it, and its certificate files are what the poll compares with from now
 * on. */
static void take_config(struct gateway *g)
{
	struct sg_cfg *next = sg_store_current(g->store);

	sg_ratelimits_carry(next, g->cfg, sg_loop_now_ns(g->loop));
	g->cfg = next;
	apply_log_level(g);
	record_status(g);
	g->cert_seen = cert_stamp(g->cfg);
	sg_jwksfetch_start(g->cfg);
	for (unsigned i = 0; i < g->nworkers; i++)
		sg_worker_update(g->workers[i], g->cfg);
}

static const struct sg_cfg *current_cfg(void *ctx)
{
	struct gateway *g = ctx;

	return g->cfg;
}

static const struct sg_get_history *history(void *ctx)
{
	struct gateway *g = ctx;

	return g->history;
}

/* Whether the gateway may listen on `port`: nobody else does. Workers
 * bind with SO_REUSEPORT, which would let them share a port with another
 * process of the same user (a second gateway started by mistake, which
 * then takes most new connections), so the probe binds without it, never
 * listening (net.h). The probe and the workers' binds are apart by a
 * moment, in which another process could still take the port. Our own
 * workers may still hold a port a reload adds back: that is no conflict.
 * Returns 0, or -1 with the reason in d. */
static int port_free(uint16_t port, struct sg_diag *d)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char addr[32];
	int rc;

	snprintf(addr, sizeof(addr), "0.0.0.0:%u", port);
	sg_net_parse_addr(addr, &ss, &len);
	/* A worker may close its own listener there between the probe and
	 * the look at our descriptors (a reload that removed the port, then
	 * one that adds it back): then the port is in /proc's listeners but
	 * in none of our fds, and the next probe finds it free. A port
	 * another process listens on stays in use every time. */
	for (int tries = 0; tries < 3; tries++) {
		rc = sg_net_probe(&ss, len);
		if (rc != -EADDRINUSE)
			break;
		if (sg_net_port_held_by_self(port)) {
			rc = 0;
			break;
		}
	}
	if (rc == -EADDRINUSE)
		sg_diag_err(d, NULL, "%s in use: another process listens there", addr);
	else if (rc < 0)
		sg_diag_err(d, NULL, "listen %s: %s", addr, strerror(-rc));
	return rc < 0 ? -1 : 0;
}

/* Ports a new config adds must be free before it goes in force (old
 * NULL: every port, at start). */
static int ports_available(void *ctx, const struct sg_cfg *old, const struct sg_cfg *cfg,
			   struct sg_diag *d)
{
	for (size_t i = 0; i < cfg->nbinds; i++) {
		bool had = false;

		if (cfg->binds[i].internal) /* no socket */
			continue;
		for (size_t j = 0; old && j < old->nbinds; j++)
			had |= old->binds[j].port == cfg->binds[i].port && !old->binds[j].internal;
		if (!had && port_free(cfg->binds[i].port, d) == -1)
			return -1;
	}
	return 0;
}

/* "8080, 9090": the ports of cfg's binds, for the log. */
static const char *ports_of(const struct sg_cfg *cfg, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cfg->nbinds && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u", i ? ", " : "",
					 cfg->binds[i].port);
	return buf;
}

/* A config with no listener is valid (a gateway may start empty and be
 * given its Gateways with apply), but one that takes the place of a
 * config with listeners stops all traffic: an emptied ConfigMap, a file
 * truncated by mistake. */
static bool closes_every_listener(const struct sg_cfg *old, const struct sg_cfg *cfg)
{
	return old->nbinds > 0 && cfg->nbinds == 0;
}

/* Vets every new config before it goes in force (reload, apply, delete). */
static int vet(void *ctx, const struct sg_cfg *old, const struct sg_cfg *cfg, struct sg_diag *d)
{
	struct gateway *g = ctx;
	char ports[256];

	if (g->opts->refuse_empty_reload && closes_every_listener(old, cfg)) {
		sg_diag_err(d, NULL,
			    "the new config has no listeners: it would close every listener "
			    "(ports %s); refused (--refuse-empty-reload)",
			    ports_of(old, ports, sizeof(ports)));
		return -1;
	}
	if (sg_tls_check(cfg, d) == -1)
		return -1;
	return ports_available(ctx, old, cfg, d);
}

/* After a change went in force. */
static void warn_if_empty(const struct gateway *g, const struct sg_cfg *old, const char *what)
{
	char ports[256];

	if (closes_every_listener(old, g->cfg))
		SG_WARN("%s: the new config has no listeners: every listener is closed (ports %s) "
			"and no traffic is served; start splicegate with --refuse-empty-reload "
			"to refuse such a change",
			what, ports_of(old, ports, sizeof(ports)));
}

/* An apply or delete on its way in. */
struct pending {
	struct gateway *g;
	const char *body;
	size_t len;
	bool del;
	const char *ns;
};

/* Vets an apply or delete, then journals it: a change goes in force only
 * once a restart would replay it. */
static int vet_change(void *ctx, const struct sg_cfg *old, const struct sg_cfg *cfg,
		      struct sg_diag *d)
{
	const struct pending *p = ctx;
	int rc;

	if (vet(p->g, old, cfg, d) == -1)
		return -1;
	if (!p->g->journal)
		return 0;
	rc = sg_journal_append(p->g->journal, p->del, p->ns, p->body, p->len);
	if (rc < 0) {
		sg_diag_err(d, NULL, "%s: %s: refused, since a restart would lose it",
			    sg_journal_path(p->g->journal), strerror(-rc));
		return -1;
	}
	return 0;
}

static int change(void *ctx, const char *body, size_t len, bool del, const char *ns, char **answer)
{
	struct gateway *g = ctx;
	struct pending p = { g, body, len, del, ns };
	struct sg_diag d;
	char *names = NULL;
	int rc;

	struct sg_cfg *old = sg_cfg_ref(g->cfg);

	sg_diag_init(&d);
	rc = sg_store_change(g->store, body, len, del, ns, vet_change, &p, answer, &names, &d);
	if (rc < 0)
		reloaded(g, false);
	else
		reloaded(g, true);
	if (rc < 0) {
		*answer = sg_diag_join(&d);
		sg_diag_free(&d);
		sg_cfg_unref(old);
		return 400;
	}
	sg_diag_free(&d);
	take_config(g);
	sg_state_log(del ? "delete" : "apply", names);
	free(names);
	SG_INFO("config %s: %zu resources in force", del ? "delete" : "apply", g->cfg->nresources);
	warn_if_empty(g, old, del ? "config delete" : "config apply");
	sg_cfg_unref(old);
	return rc == 0 ? 200 : 404;
}

static char *metrics(void *ctx)
{
	struct gateway *g = ctx;
	struct sg_stats *all[SG_MAX_WORKERS];
	struct sg_stats_extra x = {
		.reloads_ok = g->reloads_ok,
		.reloads_failed = g->reloads_failed,
		.workers = g->nworkers,
		.version = g->opts->version,
		.reload_last_ok = g->reload_last_ok,
		.reload_ok_at = g->reload_ok_at,
	};
	struct sg_splice_counters verdicts;

	if (g->splice && sg_splice_counters(g->splice, &verdicts) == 0)
		x.verdicts = &verdicts;
	struct sg_lb *lbs[SG_MAX_WORKERS];

	for (unsigned i = 0; i < g->nworkers; i++) {
		all[i] = sg_worker_stats(g->workers[i]);
		lbs[i] = sg_worker_lb(g->workers[i]);
	}
	x.lbs = lbs;
	x.mcp = sg_mcp_service_counts(g->mcp, &x.mcp_restarts, &x.mcp_processes);
	return sg_stats_render(all, g->nworkers, &x);
}

static char *sockstats(void *ctx)
{
	struct gateway *g = ctx;
	struct sg_lb *lbs[SG_MAX_WORKERS];

	for (unsigned i = 0; i < g->nworkers; i++)
		lbs[i] = sg_worker_lb(g->workers[i]);
	return sg_sockstats_json(g->splice, g->engine, lbs, g->nworkers);
}

/* POST /quitquitquit, SIGINT, and SIGTERM after its delay: workers stop
 * accepting and drain for up to connectionTerminationDeadline; the process
 * exits when they are done. */
static void quit(void *ctx)
{
	struct gateway *g = ctx;
	uint64_t grace = sg_dur_to_ms_ceil(g->cfg->global.drain_timeout);

	if (g->quitting)
		return;
	g->quitting = true;
	g->leaving = true;
	SG_INFO("draining (up to %llu ms), then shutting down", (unsigned long long)grace);
	for (unsigned i = 0; i < g->nworkers; i++)
		sg_worker_drain(g->workers[i], grace);
	sg_loop_stop(g->loop);
}

/* Reads the config files, unless one is being written (then the watch
 * calls again once it is closed); no writer gets in while they are read
 * (user/ctl/watch.h). Returns 0 with the texts, 1 when the read is put off,
 * -1 when reading failed (reasons in d). What was read while a file was
 * created or renamed into place may be torn, so it is put off too. */
static int read_files(struct gateway *g, struct sg_source **files, size_t *nfiles,
		      struct sg_diag *d)
{
	uint64_t mark = 0;
	int rc;

	*files = NULL;
	*nfiles = 0;
	if (g->watch && sg_watch_begin_read(g->watch, &mark) < 0) {
		sg_watch_request(g->watch);
		return 1;
	}
	rc = sg_sources_read(g->opts->config_paths, g->opts->nconfig_paths, files, nfiles, d);
	if (g->watch && sg_watch_end_read(g->watch, mark)) {
		SG_DEBUG("reload: config files changed while read; reading again once settled");
		sg_sources_free(*files, *nfiles);
		*files = NULL;
		*nfiles = 0;
		sg_watch_request(g->watch);
		return 1;
	}
	return rc;
}

/* SIGHUP and the watch: re-read the config files; a broken one keeps the
 * config in force. */
static void reload(struct gateway *g)
{
	struct sg_source *files;
	size_t nfiles;
	struct sg_diag d;
	struct sg_cfg *old = sg_cfg_ref(g->cfg);
	int rc;

	sg_diag_init(&d);
	rc = read_files(g, &files, &nfiles, &d);
	if (rc == 0)
		rc = sg_store_reload_sources(g->store, files, nfiles, vet, g, &d);
	else if (rc == -1)
		sg_sources_free(files, nfiles);
	else
		rc = 3; /* put off */
	if (rc == 1) {
		SG_DEBUG("reload: config files unchanged");
	} else if (rc == 2) {
		SG_INFO("reload: the config files are still the ones that failed above; "
			"the config in force is unchanged");
	} else if (rc == -1) {
		reloaded(g, false);
		SG_ERR("reload failed; the config in force is unchanged:");
		sg_diag_print(&d, stderr);
	} else if (rc == 0) {
		reloaded(g, true);
		sg_diag_print(&d, stderr); /* warnings */
		take_config(g);
		SG_INFO("reloaded: %zu binds, %zu policies", g->cfg->nbinds, g->cfg->npolicies);
		warn_if_empty(g, old, "reload");
	}
	sg_diag_free(&d);
	sg_cfg_unref(old);
}

static bool ready(void *ctx)
{
	const struct gateway *g = ctx;

	return !g->leaving;
}

static void on_drain_delay(struct sg_loop *loop, struct sg_timer *t)
{
	quit(t->data);
}

/* SIGTERM (systemctl stop, a pod's deletion): a load balancer that probes
 * readiness has to see it fail before connections are refused, so the
 * listeners accept on for --drain-delay (as Envoy's drain time and
 * agentgateway's) and only then does the drain begin. A second SIGTERM
 * ends the delay. */
static void leave(struct gateway *g)
{
	uint64_t delay = g->opts->drain_delay_ms;

	if (g->leaving || !delay) {
		quit(g);
		return;
	}
	g->leaving = true;
	SG_INFO("SIGTERM: readiness answers 503 from now; listeners accept for %llu ms more "
		"(--drain-delay), then drain",
		(unsigned long long)delay);
	sg_timer_init(&g->delay_timer, on_drain_delay, g);
	sg_timer_arm(g->loop, &g->delay_timer, sg_loop_now(g->loop) + delay);
}

/* --access-log-file: the file becomes the process's stdout, where every
 * worker writes its lines. dup2 swaps it in one step, so a line goes whole
 * to the old file or whole to the new one; none is lost while logrotate
 * moves the file and sends SIGUSR1. */
static int open_access_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd == -1 || dup2(fd, STDOUT_FILENO) == -1) {
		int err = errno;

		if (fd != -1)
			close(fd);
		return -err;
	}
	close(fd);
	return 0;
}

static void reopen_access_log(const struct gateway *g)
{
	const char *path = g->opts->access_log_file;
	int rc;

	if (!path) {
		SG_INFO("SIGUSR1: no --access-log-file to open again");
		return;
	}
	if ((rc = open_access_log(path)) < 0)
		SG_WARN("SIGUSR1: cannot open %s: %s; the access log stays where it was", path,
			strerror(-rc));
	else
		SG_INFO("SIGUSR1: access log reopened: %s", path);
}

static void on_signal(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct signalfd_siginfo si;

	while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM)
			leave(io->data);
		else if (si.ssi_signo == SIGINT)
			quit(io->data);
		else if (si.ssi_signo == SIGHUP)
			reload(io->data);
		else if (si.ssi_signo == SIGUSR1)
			reopen_access_log(io->data);
	}
}

/* Editors and Kubernetes (ConfigMap volumes swap a `..data` symlink)
 * replace files rather than write them, so the directories are watched, and
 * a burst of events becomes one reload 200 ms after the last (later if a
 * config file is still being written: user/ctl/watch.h). */
static void on_files_changed(void *ctx)
{
	reload(ctx);
}

/* One file's identity, size and times (a file written in place, one
 * renamed over it, a Kubernetes Secret volume's symlink swap all change
 * it), hashed into h. */
static uint64_t file_stamp(uint64_t h, const char *path)
{
	struct stat st;
	uint64_t v[6] = { 0 };

	if (stat(path, &st) == 0) {
		v[0] = st.st_dev;
		v[1] = st.st_ino;
		v[2] = (uint64_t)st.st_size;
		v[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000 + (uint64_t)st.st_mtim.tv_nsec;
		v[4] = (uint64_t)st.st_ctim.tv_sec * 1000000000 + (uint64_t)st.st_ctim.tv_nsec;
	} else {
		v[5] = (uint64_t)errno;
	}
	h = h * 1099511628211ull + 1;
	for (const char *p = path; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (size_t m = 0; m < 6; m++)
		h = (h ^ v[m]) * 1099511628211ull;
	return h;
}

/* file_stamp of each of the paths that are not NULL, after h. */
static uint64_t files_stamp(uint64_t h, const char *const paths[3])
{
	for (size_t k = 0; k < 3; k++)
		if (paths[k])
			h = file_stamp(h, paths[k]);
	return h;
}

/* What the certificate, key and CA files of cfg look like now (file_stamp
 * of each): the listeners' and the standalone backendTLS policies' (a
 * client certificate or a backend's CA renewed is read as a listener's
 * is); 0 when cfg names no file. */
static uint64_t cert_stamp(const struct sg_cfg *cfg)
{
	uint64_t h = 0;

	for (size_t i = 0; i < cfg->nbinds; i++)
		for (size_t j = 0; j < cfg->binds[i].nlisteners; j++) {
			const struct sg_tls_cert *t = cfg->binds[i].listeners[j].tls;

			if (t)
				h = files_stamp(h,
						(const char *const[3]){ t->cert_path, t->key_path,
									t->root_path });
		}
	for (size_t i = 0; i < cfg->nbtls_files; i++) {
		const struct sg_backend_tls *t = cfg->btls_files[i];

		h = files_stamp(h,
				(const char *const[3]){ t->cert_path, t->key_path, t->root_path });
	}
	return h;
}

/* The ticket key file changed: its keys replace those in use, for new
 * tickets and resumptions alike; a broken one leaves them in use and is
 * reported once, until the file changes again. */
static void poll_ticket_keys(struct gateway *g)
{
	uint64_t now;
	char err[256];
	int n;

	if (!g->opts->tls_ticket_keys)
		return;
	now = file_stamp(0, g->opts->tls_ticket_keys);
	if (now == g->keys_seen)
		return;
	g->keys_seen = now;
	n = sg_tls_ticket_keys_load(g->opts->tls_ticket_keys, err, sizeof(err));
	if (n < 0)
		SG_ERR("TLS ticket keys changed but do not load; the ones in force stay: %s", err);
	else
		SG_INFO("TLS ticket keys reloaded: %d keys from %s", n, g->opts->tls_ticket_keys);
}

/* A certificate file changed while the config files did not: build the
 * same config again, which reads it (the workers then load it for new
 * connections; established ones keep theirs). A broken one leaves the
 * config in force and is reported once, until the files change again. */
static void on_cert_timer(struct sg_loop *loop, struct sg_timer *t)
{
	struct gateway *g = t->data;
	uint64_t now = cert_stamp(g->cfg);
	struct sg_diag d;

	sg_timer_arm(loop, t, sg_loop_now(loop) + GATEWAY_CERT_POLL_MS);
	poll_ticket_keys(g);
	if (now == g->cert_seen)
		return;
	g->cert_seen = now;
	sg_diag_init(&d);
	if (sg_store_rebuild(g->store, vet, g, &d) == -1) {
		reloaded(g, false);
		SG_ERR("certificate files changed but do not load; the ones in force stay:");
		sg_diag_print(&d, stderr);
	} else {
		reloaded(g, true);
		take_config(g);
		SG_INFO("certificate files changed: reloaded");
	}
	sg_diag_free(&d);
}

static int watch_configs(struct gateway *g)
{
	if (g->opts->nconfig_paths == 0)
		return 0;
	return sg_watch_start(g->loop, g->opts->config_paths, g->opts->nconfig_paths, 200,
			      on_files_changed, g, &g->watch);
}

static int watch_signals(struct gateway *g)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
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

static unsigned worker_count(const struct sg_gateway_opts *opts)
{
	long n = opts->workers > 0 ? opts->workers : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > SG_MAX_WORKERS ? SG_MAX_WORKERS : (unsigned)n;
}

/* Least privilege (issue 8). What the running gateway still needs once its
 * privileged setup is done: CAP_NET_BIND_SERVICE, because a reload or
 * `apply` may add a listener below port 1024 (bound by the workers, in
 * their own threads). Measured on 6.18 with kernel.unprivileged_bpf_disabled
 * = 2: updates, lookups and deletes on BPF maps already open (pairing
 * sockets in the sockmap, budgets, stats) need no capability; creating a
 * map (a worker's ring buffer) needs CAP_BPF; loading the program needs
 * CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON (EACCES without it). So the BPF
 * objects and every worker's ring are opened before the drop. */
static int drop_privileges(void)
{
	const uint64_t keep = SG_PRIV_CAP(CAP_NET_BIND_SERVICE);
	struct sg_priv_caps now;
	char err[160], names[256];
	int rc;

	rc = sg_priv_drop(keep, err, sizeof(err));
	if (rc == 0 && (rc = sg_priv_read(&now)) < 0)
		snprintf(err, sizeof(err), "reading them back: %s", strerror(-rc));
	if (rc < 0) {
		SG_ERR("dropping capabilities: %s", err);
		return -1;
	}
	SG_INFO("capabilities: keeping %s, no_new_privs",
		sg_priv_names(now.effective, names, sizeof(names)));
	SG_DEBUG("capability bounding set: %s", sg_priv_names(now.bounding, names, sizeof(names)));
	return 0;
}

/* What auto does with a tunnel besides its engine, for the log. */
static const char *tunnel_how(const struct sg_frontend_opts *po)
{
	if (po->relays_adapt && po->tunnel_promote)
		return " (splice while saturated, sockmap once interactive)";
	if (po->relays_adapt)
		return " (splice while saturated)";
	return po->tunnel_promote ? " (sockmap once interactive)" : "";
}

/* The engines for --splice MODE, for HTTP response and request bodies and
 * for tunnels (TCP routes, 101 and CONNECT). sockmap and auto open the BPF
 * side: the objects `splicegate bpf load` pinned, else a private load.
 * sockmap insists and splices everything in the kernel. auto moves HTTP
 * bodies both ways and bulk tunnels with the copy engine, whose buffer
 * grows to 1 MiB for a bulk stream and which then runs as fast as splice(2)
 * or faster, depending on the host (scripts/BENCH.md, "Downloads copied",
 * "Uploads and concurrent downloads", "Tunnels copied"; several at once
 * too: "Crowds copied again"), and moves a tunnel into the socket map once
 * it looks interactive, where the kernel cuts the latency of every exchange
 * (bpf/README.md); without BPF the same but no tunnel moves, said once. */
static int choose_engine(struct gateway *g, const char *mode, struct sg_frontend_opts *po)
{
	bool is_auto = !mode || !strcmp(mode, "auto");
	struct sg_splice_opts sopts = { 0 };
	char why[256];

	g->engine = mode ? mode : "auto";
	po->engine = po->upload = po->tunnel = SG_RELAY_COPY;
	po->relays_adapt = is_auto;
	if (!is_auto) {
		if (sg_relay_engine_parse(mode, &po->engine) == -1) {
			SG_ERR("--splice %s: not an engine", mode);
			return -1;
		}
		po->upload = po->tunnel = po->engine;
		if (po->engine != SG_RELAY_SOCKMAP)
			return 0;
	}
	/* SG_SOCKMAP_MAX_SOCKS: a smaller socket map for a private load, so
	 * tests can fill it (fallback per connection, DESIGN §5 fact 10).
	 * SG_SOCKMAP_BACKLOG: the backlog bound of a private load in bytes,
	 * for measurements (bpf/README.md, "Why HTTP bodies leave the
	 * kernel"); `splicegate bpf load --backlog` is the pinned equivalent. */
	if (getenv("SG_SOCKMAP_MAX_SOCKS"))
		sopts.max_socks = (uint32_t)strtoul(getenv("SG_SOCKMAP_MAX_SOCKS"), NULL, 10);
	if (getenv("SG_SOCKMAP_BACKLOG"))
		sopts.backlog = strtoull(getenv("SG_SOCKMAP_BACKLOG"), NULL, 10);
	g->splice = sg_splice_open(&sopts, why, sizeof(why));
	if (!g->splice && !is_auto) {
		SG_ERR("--splice sockmap: the BPF program cannot be used: %s", why);
		return -1;
	}
	if (!g->splice) {
		SG_WARN("BPF sockmap not available (%s): no tunnel moves into the kernel", why);
		return 0;
	}
	SG_INFO("BPF sockmap %s", sg_splice_describe(g->splice));
	po->tunnel_promote = is_auto;
	return 0;
}

static int start_workers(struct gateway *g, const struct sg_gateway_opts *opts)
{
	struct sg_frontend_opts po = {
		.access_log = SG_ACCESS_LOG_TEXT,
		.tunnel_idle_ms = opts->tunnel_idle_ms,
		.head_timeout_ms = opts->head_timeout_ms,
		.body_idle_ms = opts->body_idle_ms,
		.backend_ping_ms = opts->backend_ping_ms,
		.backend_pong_ms = opts->backend_pong_ms,
		.backend_max_age_ms = opts->backend_max_age_ms,
		.srclimit = g->srclimit,
		.resets = g->resets,
		.held = g->held,
		.held_max = opts->held_per_source,
		.admit = g->admit,
		.busy_poll_ns = opts->busy_poll_ns,
		.coalesce_ns = opts->coalesce_ns,
	};
	struct sg_splice_ring *rings[SG_MAX_WORKERS] = { 0 };
	char err[256];

	if (choose_engine(g, opts->splice, &po) == -1)
		return -1;
	po.access_log_fixed = opts->access_log != NULL;
	if (opts->access_log && !strcmp(opts->access_log, "json"))
		po.access_log = SG_ACCESS_LOG_JSON;
	else if (opts->access_log && !strcmp(opts->access_log, "off"))
		po.access_log = SG_ACCESS_LOG_OFF;
	g->nworkers = worker_count(opts);
	/* Creating a ring buffer needs CAP_BPF (while
	 * kernel.unprivileged_bpf_disabled is set); using it does not. */
	for (unsigned i = 0; g->splice && i < g->nworkers; i++) {
		rings[i] = sg_splice_ring_open(g->splice, err, sizeof(err));
		if (!rings[i]) {
			SG_ERR("worker %u: %s", i, err);
			goto close_rings;
		}
	}
	/* Capabilities belong to threads: drop them before the first worker
	 * thread starts, so that every thread inherits the reduced sets. */
	if (drop_privileges() == -1)
		goto close_rings;
	g->mcp = sg_mcp_service_new(g->nworkers);
	if (!g->mcp) {
		SG_ERR("mcp service: %s", strerror(errno));
		goto close_rings;
	}
	for (unsigned i = 0; i < g->nworkers; i++) {
		g->workers[i] = sg_worker_start(g->cfg, &po, g->splice, rings[i], g->mcp, i, err,
						sizeof(err));
		rings[i] = NULL; /* the worker's now, even when it failed */
		if (!g->workers[i]) {
			SG_ERR("%s", err);
			goto close_rings;
		}
	}
	for (size_t i = 0; i < g->cfg->nbinds; i++)
		SG_INFO("%s 0.0.0.0:%u (%s%s)",
			g->cfg->binds[i].internal ? "internal bind, no socket," : "listening on",
			g->cfg->binds[i].port, sg_proto_name(g->cfg->binds[i].proto),
			g->cfg->binds[i].connect ? ", CONNECT" : "");
	SG_INFO("%u workers, %s engine for response bodies, %s for request bodies%s, %s for "
		"tunnels%s",
		g->nworkers, sg_relay_engine_name(po.engine), sg_relay_engine_name(po.upload),
		po.relays_adapt ? " (splice while saturated)" : "", sg_relay_engine_name(po.tunnel),
		tunnel_how(&po));
	if (po.busy_poll_ns)
		SG_INFO("busy polling until %llu us after the last event",
			(unsigned long long)(po.busy_poll_ns / 1000));
	if (po.coalesce_ns)
		SG_INFO("coalescing wake-ups: %llu us naps while busy",
			(unsigned long long)(po.coalesce_ns / 1000));
	return 0;

close_rings:
	for (unsigned i = 0; i < g->nworkers; i++)
		sg_splice_ring_close(rings[i]); /* NULL: not opened, or given away */
	return -1;
}

static void teardown(struct gateway *g)
{
	sg_admin_stop(g->admin_socket);
	sg_admin_stop(g->admin);
	sg_admin_stop(g->stats);
	sg_admin_stop(g->ready);
	for (unsigned i = 0; i < g->nworkers; i++)
		sg_worker_stop(g->workers[i]);
	sg_mcp_service_free(g->mcp);
	sg_splice_close(g->splice);
	if (g->signal_io.fd > 0)
		close(g->signal_io.fd);
	sg_watch_stop(g->watch);
	sg_loop_free(g->loop);
	sg_store_close(g->store);
	sg_jwks_remote_join(2000); /* their configs told them to stop */
	sg_srclimit_free(g->srclimit);
	sg_srcrate_free(g->resets);
	sg_srclimit_free(g->held);
	sg_admit_free(g->admit);
	sg_journal_close(g->journal);
	sg_get_history_free(g->history);
}

static int ports_at_start(struct gateway *g)
{
	struct sg_diag d;
	int rc;

	sg_diag_init(&d);
	rc = ports_available(g, NULL, g->cfg, &d);
	if (rc == -1)
		sg_diag_print(&d, stderr);
	sg_diag_free(&d);
	return rc;
}

static const char *admin_addr(const struct gateway *g)
{
	return g->opts->admin_addr ? g->opts->admin_addr : g->cfg->global.admin_addr;
}

/* The admin API on its TCP port (read-only unless --admin-tcp-writes) and
 * on its unix socket (everything), /metrics and /healthz/ready: all bound
 * before any listener, so that a gateway that cannot have them exits
 * without having served. */
static int start_admin(struct gateway *g, const struct sg_admin_ops *ops)
{
	const struct sg_gateway_opts *opts = g->opts;
	char err[256];

	g->admin = sg_admin_start(g->loop, admin_addr(g), SG_ADMIN_API, ops, err, sizeof(err));
	if (g->admin) {
		sg_admin_allow_remote(g->admin, opts->admin_allow_remote);
		if (opts->admin_allow_remote)
			SG_WARN("admin API open to non-loopback clients (--admin-allow-remote)");
		if (opts->admin_tcp_writes)
			SG_WARN("admin API on %s takes writes from anyone on this host who can "
				"connect (--admin-tcp-writes)",
				admin_addr(g));
		else if (sg_admin_read_only(g->admin, opts->admin_socket) < 0) {
			sg_admin_stop(g->admin);
			g->admin = NULL;
			snprintf(err, sizeof(err), "out of memory");
		}
	}
	if (g->admin)
		g->admin_socket = sg_admin_start_unix(g->loop, opts->admin_socket, 0660, ops, err,
						      sizeof(err));
	if (g->admin_socket)
		g->stats = sg_admin_start(g->loop, g->cfg->global.stats_addr, SG_ADMIN_STATS, ops,
					  err, sizeof(err));
	if (g->stats)
		g->ready = sg_admin_start(g->loop, g->cfg->global.readiness_addr, SG_ADMIN_READY,
					  ops, err, sizeof(err));
	if (!g->ready) {
		SG_ERR("%s", err);
		return -1;
	}
	return 0;
}

static struct sg_store *load(const struct sg_gateway_opts *opts)
{
	struct sg_diag d;
	struct sg_store *store;

	sg_diag_init(&d);
	store = sg_store_open(opts->config_paths, opts->nconfig_paths, &d);
	if (store && sg_tls_check(sg_store_current(store), &d) == -1) {
		sg_store_close(store);
		store = NULL;
	}
	sg_diag_print(&d, stderr);
	sg_diag_free(&d);
	return store;
}

int sg_gateway_run(const struct sg_gateway_opts *opts)
{
	struct gateway g = { 0 };
	struct sg_admin_ops ops = { current_cfg, quit,	change,	 metrics,
				    sockstats,	 ready, history, &g };
	int ret = 2, rc;

	g.opts = opts;
	sg_oidc_set_fetch(sg_jwksfetch_get); /* oidc discovery, from the first config on */
	g.store = load(opts);
	if (!g.store)
		return 1;
	g.cfg = sg_store_current(g.store);
	g.reload_last_ok = true; /* the config the gateway starts on is in force */
	g.reload_ok_at = (int64_t)time(NULL);
	if (opts->state_dir) {
		g.journal = sg_state_open(opts->state_dir, opts->reset_state, g.store);
		if (!g.journal)
			goto out;
		g.cfg = sg_store_current(g.store);
	}
	sg_jwksfetch_start(g.cfg);
	if (!(g.history = sg_get_history_new())) {
		SG_ERR("out of memory");
		goto out;
	}
	record_status(&g);
	apply_log_level(&g);
	if (opts->tls_ticket_keys) {
		char err[256];
		int n;

		g.keys_seen = file_stamp(0, opts->tls_ticket_keys);
		if ((n = sg_tls_ticket_keys_load(opts->tls_ticket_keys, err, sizeof(err))) < 0) {
			SG_ERR("--tls-ticket-keys: %s", err);
			goto out;
		}
		SG_INFO("TLS ticket keys: %d keys from %s", n, opts->tls_ticket_keys);
	}
	if (opts->access_log_file && (rc = open_access_log(opts->access_log_file)) < 0) {
		SG_ERR("--access-log-file: %s: %s", opts->access_log_file, strerror(-rc));
		goto out;
	}
	sg_net_set_bufs(&opts->bufs);
	if (opts->max_per_source && !(g.srclimit = sg_srclimit_new(opts->max_per_source))) {
		SG_ERR("out of memory");
		goto out;
	}
	g.resets = sg_srcrate_new(SG_H2P_SOURCE_RESET_WINDOW_MS, SG_H2P_SOURCE_RESET_SOURCES);
	g.admit = sg_admit_new();
	g.held = sg_srclimit_new(1); /* each take names its bound */
	if (!g.resets || !g.admit || !g.held) {
		SG_ERR("out of memory");
		goto out;
	}
	g.loop = sg_loop_new();
	if (g.loop)
		sg_loop_set_name(g.loop, "main");
	if (!g.loop || watch_signals(&g) == -1) {
		SG_ERR("event loop: %s", strerror(errno));
		goto out;
	}
	sg_ratelimits_carry(g.cfg, NULL, sg_loop_now_ns(g.loop));
	/* Nothing is bound, and nothing said to listen, until every port
	 * is known to be free and the admin side is bound. */
	if (ports_at_start(&g) == -1 || start_admin(&g, &ops) == -1 ||
	    start_workers(&g, opts) == -1)
		goto out;
	g.cert_seen = cert_stamp(g.cfg);
	sg_timer_init(&g.cert_timer, on_cert_timer, &g);
	sg_timer_arm(g.loop, &g.cert_timer, sg_loop_now(g.loop) + GATEWAY_CERT_POLL_MS);
	rc = watch_configs(&g);
	if (rc < 0)
		SG_WARN("cannot watch config files: %s (SIGHUP still reloads)", strerror(-rc));
	SG_INFO("admin on %s (%s), admin socket %s", admin_addr(&g),
		opts->admin_tcp_writes ? "writes too: --admin-tcp-writes" : "read-only",
		opts->admin_socket);
	ret = sg_loop_run(g.loop) == 0 ? 0 : 2;
out:
	teardown(&g);
	return ret;
}
