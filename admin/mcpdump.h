/* config_dump's view of an `mcp` backend, in agentgateway's shape. */
#ifndef SG_ADMIN_MCPDUMP_H
#define SG_ADMIN_MCPDUMP_H

#include "config/cfg.h"
#include "user/base/json.h"

/* A new object {targets: [...], statefulMode, prefixMode?, failureMode?,
 * dnsRebindingProtection?}, the caller's; NULL when out of memory. */
struct sg_json *sg_dump_mcp(const struct sg_mcp_backend *m);

#endif
