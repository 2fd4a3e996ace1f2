/* Session persistence settings (config/cfg.h struct sg_session): Gateway
 * API's sessionPersistence on an HTTPRoute or GRPCRoute rule, in the
 * shapes it has had (v1.1 to v1.6: sessionName, absoluteTimeout,
 * idleTimeout, type, cookieConfig {lifetimeType}; since: type,
 * absoluteTimeout, cookie {name, path, lifetimeType}, header {name}),
 * which a standalone route's `sessionPersistence` policy takes too. */
#ifndef SG_CONFIG_SESSCONF_H
#define SG_CONFIG_SESSCONF_H

#include "config/fields.h"
#include "config/node.h"

/* n read into an arena-allocated struct sg_session; `scope` (a text
 * naming the rule) gives a session without a name its default one (NULL:
 * later, sg_sessconf_named). NULL after recording an error: a bad value,
 * cookie settings on a Header session or header ones on a Cookie
 * session, a name given twice, a Permanent cookie without an
 * absoluteTimeout above 0. */
const struct sg_session *sg_sessconf_parse(struct sg_pctx *c, const struct sg_node *n,
					   const char *path, const char *scope);

/* The standalone route policy: dst is a struct sg_route, whose session
 * is set (without its default name: sg_sessconf_named once the route's
 * key is known). Returns 0 or -1 after recording an error. */
int sg_f_session(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* s, given the default name for `scope` when it has none (a copy in the
 * arena; s itself when it has a name, NULL stays NULL). *ok false when
 * memory ran out. */
const struct sg_session *sg_sessconf_named(struct sg_pctx *c, const struct sg_session *s,
					   const char *scope, bool *ok);

#endif
