/* agentgateway's fault injection: the `delay` route policy (latency added
 * before the request goes on). Aborts are directResponse's conditional
 * form (config/filters.h). */
#ifndef SG_FAULT_H
#define SG_FAULT_H

#include "config/cfg.h"
#include "config/fields.h"

/* `delay: {duration: D}` into the struct sg_filters at dst (its delay): D
 * is a duration ("2s", compiled as duration("2s"), as agentgateway reads
 * it) or a CEL expression giving a duration or milliseconds. The
 * expression is cfg's (c->cfg). Returns 0, or -1 after an error in c->d
 * (an expression that does not compile, at its column). */
int sg_f_delay(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

#endif
