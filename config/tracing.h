/* agentgateway's tracing configuration: config.tracing (where spans are
 * exported and which requests are sampled) and frontendPolicies.tracing
 * (the same for the listeners it applies to), read into struct
 * sg_tracing. */
#ifndef SG_TRACING_H
#define SG_TRACING_H

#include "config/cfg.h"
#include "config/fields.h"

/* config.tracing {otlpEndpoint, otlpProtocol, headers, randomSampling,
 * clientSampling, path} into the const struct sg_tracing * at dst
 * (allocated in c's arena). otlpEndpoint is an http:// URL (https is
 * refused by name); sampling is true, false or a number from 0.0 to 1.0
 * (a CEL expression is refused by name); `fields` is refused by name.
 * Returns 0, or -1 after an error in c->d. */
int sg_f_tracing(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* frontendPolicies.tracing {host, protocol, path, randomSampling,
 * clientSampling} into the const struct sg_tracing * at dst; its
 * service and backend targets, policies, attributes, resources, remove
 * and filter are refused by name. Returns 0, or -1 after an error. */
int sg_f_frontend_tracing(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

#endif
