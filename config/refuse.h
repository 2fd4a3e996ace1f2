/* Keys of agentgateway's standalone schema (schema/config.json) that
 * splicegate does not implement: each is refused by name with the reason,
 * so that no key is taken and then ignored. MCP, LLM and the cloud
 * providers' keys say so in one line. */
#ifndef SG_REFUSE_H
#define SG_REFUSE_H

#include "config/fields.h"

/* A field parser for a key splicegate refuses: records "PATH: not
 * supported (WHY)" at `n`, WHY found by the last component of `path`
 * (the key; under gateways:, every refused key is a gateway policy), and
 * returns -1. Unknown-key messages do not list these keys. */
int sg_f_refused(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* A bind's tunnelProtocol ("direct", or "connect": dst, a bool, true)
 * and mode ("standard", or "internal": true); agentgateway's other
 * tunnel protocols are refused by name. */
int sg_f_tunnel_protocol(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_bind_mode(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

#endif
