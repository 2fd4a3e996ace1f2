/* The MCP service: the thread the gateway's one MCP hub (user/mcp/mcp.h)
 * runs on, and each worker's port to it. A request a worker routes to an
 * `mcp` backend becomes a job: its ask goes to the service's inbox, the
 * hub answers it there, and the reply comes back through the worker's
 * port (an inbox in the worker's loop), which writes it to the client.
 * So every session is seen from every worker, and the hub's children and
 * JSON work never run on a worker's loop. The thread starts with the
 * first job: a gateway without MCP runs none. */
#ifndef SG_MCPSVC_H
#define SG_MCPSVC_H

#include <stdbool.h>
#include <stdint.h>

#include "user/base/loop.h"
#include "user/core/frontend.h"

struct sg_mcp_service;

/* A service with room for `nports` workers' ports; NULL when out of
 * memory or descriptors (errno). */
struct sg_mcp_service *sg_mcp_service_new(unsigned nports);

/* Worker `index`'s port on its loop, opened before that loop runs; *svc
 * filled for sg_frontend's mcp. -1 with errno. */
int sg_mcp_service_port_open(struct sg_mcp_service *m, unsigned index, struct sg_loop *loop,
			     struct sg_request_service *svc);

/* The port closed, once its loop stopped for good and its requests are
 * over: replies still on their way are dropped. */
void sg_mcp_service_port_close(struct sg_mcp_service *m, unsigned index);

/* Target processes restarted since the start, and running now: false
 * (nothing filled) when the service never started (a gateway that serves
 * no MCP shows no MCP metric) or m is NULL. Any thread. */
bool sg_mcp_service_counts(struct sg_mcp_service *m, uint64_t *restarts, uint64_t *processes);

/* Once every port is closed: the thread stopped, every session ended
 * (children killed), everything freed. NULL is fine. */
void sg_mcp_service_free(struct sg_mcp_service *m);

#endif
