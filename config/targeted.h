/* Internal to config/: the standalone dialect's top-level policies:
 * (agentgateway's LocalPolicy), each one policy aimed at a gateway or one
 * of its listeners, a route or one of its rules, or a service. */
#ifndef SG_CONFIG_TARGETED_H
#define SG_CONFIG_TARGETED_H

#include "config/draft.h"
#include "config/node.h"

/* The list `n` (errors under "policies") into b->cfg's policies, keyed
 * "<namespace>/<name>" and named {kind: Local, name, namespace}, as
 * agentgateway lists them. Whether each target names something is
 * checked once every document is read (sg_targeted_check). Returns 0, or
 * -1 after recording errors. */
int sg_targeted_parse(struct sg_draft *b, const struct sg_node *n);

/* Bind the service targets of cfg's policies (by hostname) to their
 * services, before the config is resolved. */
void sg_targeted_bind(struct sg_cfg *cfg);

/* After resolve: an error for each top-level policy whose target names no
 * gateway, listener, route or service of cfg. Returns 0, or -1. */
int sg_targeted_check(const struct sg_cfg *cfg, struct sg_diag *d);

#endif
