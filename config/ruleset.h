/* agentgateway's CEL authorization rules as its configs write them: a
 * RuleSet ({rules: [...]}) for the `authorization` route policy and for
 * frontendPolicies.networkAuthorization, and the AgentgatewayPolicy's
 * traffic.authorization, compiled when the config loads.
 * policy/authz.h decides with them. */
#ifndef SG_RULESET_H
#define SG_RULESET_H

#include "config/cfg.h"
#include "config/fields.h"

/* RuleSet n ({rules: [rule, ...]}, a rule a string (an allow rule) or a
 * map of exactly one of allow, deny, require to a CEL expression) at
 * `path` into *a. An expression that does not compile is refused at its
 * column. Returns 0, or -1 after an error in c->d. */
int sg_authz_parse(struct sg_pctx *c, const struct sg_node *n, struct sg_authz *a,
		   const char *path);

/* The `authorization` route policy into the struct sg_filters at dst
 * (its authz), as sg_authz_parse. */
int sg_f_authorization(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* The `mcpAuthorization` route or backend policy into the struct
 * sg_filters at dst (its mcp_authz), as sg_authz_parse: rules over CEL's
 * `mcp` (user/mcp/mcpauthz.h decides with them). */
int sg_f_mcp_authorization(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* AgentgatewayPolicy traffic.authorization ({action: Allow | Deny |
 * Require, Allow by default; policy: {matchExpressions: [1 to 256 CEL
 * expressions]}}) into the const struct sg_authz * at dst: each
 * expression a rule of the action's kind, as agentgateway's controller
 * translates it. */
int sg_f_agp_authorization(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

#endif
