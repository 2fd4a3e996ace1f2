/* Worker threads: each has its own event loop, its own SO_REUSEPORT
 * listening sockets and backend pool, and serves connections start to end. */
#ifndef SG_WORKER_H
#define SG_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/relay.h"

struct sg_worker;

/* Bind every listener of `cfg` and start serving on a new thread. The
 * config must outlive the worker. Returns NULL with a reason in err. */
struct sg_worker *sg_worker_start(const struct sg_cfg *cfg, enum sg_relay_engine engine,
				  unsigned index, char *err, size_t errlen);
/* Stop accepting, close every connection, join the thread, free. */
void sg_worker_stop(struct sg_worker *w);

#endif
