/* Worker threads: each has its own event loop, its own SO_REUSEPORT
 * listening sockets and backend pool, and serves connections start to end. */
#ifndef SG_WORKER_H
#define SG_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/http1/proxy.h"
#include "user/relay/relay.h"

struct sg_worker;
struct sg_lb;
struct sg_mcp_service;

/* Bind every listener of `cfg` and start serving on a new thread. Takes a
 * reference to cfg. With `splice` (the BPF side, kept open by the caller
 * until the worker stops) and `ring` (its notification ring, which the
 * worker owns from now on, even on failure) the worker pairs sockets in the
 * socket map for the sockmap engine; SG_RELAY_SOCKMAP needs them. `mcp`:
 * the gateway's MCP service (user/mcp/mcpsvc.h), which the worker's port
 * `index` reaches and which the caller frees after the worker stopped;
 * NULL: MCP routes are answered 503. Returns NULL with a reason in err. */
struct sg_worker *sg_worker_start(struct sg_cfg *cfg, const struct sg_frontend_opts *opts,
				  struct sg_splice *splice, struct sg_splice_ring *ring,
				  struct sg_mcp_service *mcp, unsigned index, char *err,
				  size_t errlen);
/* Hand the worker a new config (it takes a reference): new connections use
 * it, listeners are opened and closed to match, connections in flight keep
 * the config they began on. Asynchronous; safe from another thread. */
void sg_worker_update(struct sg_worker *w, struct sg_cfg *cfg);
/* Graceful drain: stop accepting (listeners close, so new connections are
 * refused), close idle keep-alive connections, let requests in flight
 * finish; the thread ends when none are left or after `grace_ms`, when the
 * rest are closed. Asynchronous; sg_worker_stop then waits for it. */
void sg_worker_drain(struct sg_worker *w, uint64_t grace_ms);
/* Stop (at once unless draining), close every connection, join, free. */
void sg_worker_stop(struct sg_worker *w);
/* The worker's counters (read from any thread). */
struct sg_stats *sg_worker_stats(struct sg_worker *w);
/* Its endpoint state (user/core/lb.h), for /stats and /metrics; NULL: none. */
struct sg_lb *sg_worker_lb(struct sg_worker *w);

#endif
