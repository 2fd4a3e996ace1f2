/* The admin server (default 127.0.0.1:15000): config_dump, quitquitquit,
 * logging; and the stats and readiness listeners. One request per
 * connection, answered from the loop it runs on, within fixed bounds. */
#ifndef SG_ADMIN_H
#define SG_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/cfg.h"
#include "user/base/loop.h"

struct sg_admin;
struct sg_get_history;

/* What the admin server asks of the running gateway. */
struct sg_admin_ops {
	/* The config in force now (not owned by the admin). */
	const struct sg_cfg *(*current)(void *ctx);
	/* POST /quitquitquit: begin shutting down. */
	void (*quit)(void *ctx);
	/* POST /config (apply) and DELETE /config (delete) with a YAML body:
	 * returns the HTTP status and a malloc'd text/plain answer. */
	int (*change)(void *ctx, const char *body, size_t len, bool del, const char *ns,
		      char **answer);
	/* GET /metrics: Prometheus text, malloc'd. */
	char *(*metrics)(void *ctx);
	/* GET /stats: spliced sockets and BPF verdicts as JSON, malloc'd. */
	char *(*sockstats)(void *ctx);
	/* GET /healthz/ready: false once the gateway is going away (SIGTERM),
	 * so that load balancers stop sending before its listeners close. NULL:
	 * always ready. */
	bool (*ready)(void *ctx);
	/* GET /resources: the status history of the config in force (not
	 * owned by the admin; admin/get.h). NULL: none kept. */
	const struct sg_get_history *(*history)(void *ctx);
	void *ctx;
};

/* Which endpoints a listener serves: the admin API (loopback by default),
 * /metrics (statsAddr, :15020), /healthz/ready (readinessAddr, :15021). */
enum sg_admin_role {
	SG_ADMIN_API,
	SG_ADMIN_STATS,
	SG_ADMIN_READY,
};

/* Listen on `addr` and serve `role` on `loop`. Each connection carries one
 * request: a head of 16 KiB at most (431), a body only for the admin API
 * and of SG_CFG_MAX_TEXT at most (413; held only for POST and DELETE
 * /config where they are served, any other read and dropped before the
 * head is answered), all of it within 10 s of the accept
 * (else closed; 408 if part came), and an answer that must move every
 * 10 s; past 128 open connections new ones are reset, and while answers
 * not yet taken hold more than 32 MiB, config_dump, resources, metrics
 * and stats are 503 (Retry-After: 1). Returns NULL with a
 * reason in err[0..errlen) when the address is bad or cannot be bound. */
struct sg_admin *sg_admin_start(struct sg_loop *loop, const char *addr, enum sg_admin_role role,
				const struct sg_admin_ops *ops, char *err, size_t errlen);
/* The admin API (SG_ADMIN_API) on a unix stream socket at `path`, its file
 * made with `mode` (user/base/net.h sg_net_listen_unix: a stale file is
 * replaced, a live one is an error); the file is removed at stop. Only
 * who may open the file (its mode, its owner) can connect: this is where
 * the gateway takes writes. Same bounds and answers as sg_admin_start.
 * Returns NULL with a reason in err when it cannot listen there. */
struct sg_admin *sg_admin_start_unix(struct sg_loop *loop, const char *path, mode_t mode,
				     const struct sg_admin_ops *ops, char *err, size_t errlen);
/* Make the admin API read-only: POST /config, DELETE /config, /logging and
 * /quitquitquit get 403 with a text that names `writes_at` (the admin
 * socket), since anyone on the host who can connect to a TCP port could
 * otherwise change the config or stop the gateway. NULL: writes served.
 * Writes from a web browser (an Origin or Sec-Fetch-Site header: any page
 * it shows could send one) get 403 either way. Returns 0 or -ENOMEM. */
int sg_admin_read_only(struct sg_admin *a, const char *writes_at);
/* The admin API (SG_ADMIN_API) answers every request from a peer outside
 * 127.0.0.0/8 and ::1 with 403 unless allowed here (--admin-allow-remote):
 * it can change the config and stop the gateway, and has no authentication.
 * Stats and readiness serve everyone, as scrapers and probes are remote.
 * Unless allowed, the admin API on a TCP port also answers 403 a Host
 * that is neither localhost nor an IP address (DNS rebinding). */
void sg_admin_allow_remote(struct sg_admin *a, bool allow);
/* Closes the listener and every open admin connection. */
void sg_admin_stop(struct sg_admin *a);

#endif
