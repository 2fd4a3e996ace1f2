/* agentgateway's MCP configuration: the `mcp` backend of a route
 * (LocalMcpBackend: targets over stdio or streamable HTTP, statefulMode,
 * prefixMode, failureMode) and the top-level `mcp:` shorthand, which
 * serves one such backend on a port at /mcp and /sse. */
#ifndef SG_CONFIG_MCPCONF_H
#define SG_CONFIG_MCPCONF_H

#include "config/draft.h"
#include "config/fields.h"
#include "config/node.h"

/* The `mcp` key of a route's backend: dst is the struct sg_backend_ref,
 * made SG_BREF_MCP with its backend in the arena. Returns 0, or -1 after
 * recording an error (a key splicegate lacks is refused by name). */
int sg_f_mcp_backend(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

#endif
