/* Internal to config/: the standalone dialect, agentgateway's local config
 * file (config:, frontendPolicies:, binds:). */
#ifndef SG_CONFIG_STANDALONE_H
#define SG_CONFIG_STANDALONE_H

#include "config/draft.h"
#include "config/node.h"

/* Parse one standalone document `doc` (a map) into b->cfg. Returns 0, or
 * -1 after recording errors in b->c.d. */
int sg_standalone_parse(struct sg_draft *b, const struct sg_node *doc);

#endif
