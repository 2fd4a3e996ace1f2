/* The admin server (default 127.0.0.1:15000): config_dump, quitquitquit,
 * logging. One request per connection, answered from the loop it runs on. */
#ifndef SG_ADMIN_H
#define SG_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg.h"
#include "user/loop.h"

struct sg_admin;

/* What the admin server asks of the running gateway. */
struct sg_admin_ops {
	/* The config in force now (not owned by the admin). */
	const struct sg_cfg *(*current)(void *ctx);
	/* POST /quitquitquit: begin shutting down. */
	void (*quit)(void *ctx);
	/* POST /config (apply) and DELETE /config (delete) with a YAML body:
	 * returns the HTTP status and a malloc'd text/plain answer. */
	int (*change)(void *ctx, const char *body, size_t len, bool del, char **answer);
	/* GET /metrics: Prometheus text, malloc'd. */
	char *(*metrics)(void *ctx);
	void *ctx;
};

/* Which endpoints a listener serves: the admin API (loopback by default),
 * /metrics (statsAddr, :15020), /healthz/ready (readinessAddr, :15021). */
enum sg_admin_role {
	SG_ADMIN_API,
	SG_ADMIN_STATS,
	SG_ADMIN_READY,
};

/* Listen on `addr` and serve `role` on `loop`. Returns NULL with a reason
 * in err[0..errlen) when the address is bad or cannot be bound. */
struct sg_admin *sg_admin_start(struct sg_loop *loop, const char *addr, enum sg_admin_role role,
				const struct sg_admin_ops *ops, char *err, size_t errlen);
/* Closes the listener and every open admin connection. */
void sg_admin_stop(struct sg_admin *a);

#endif
