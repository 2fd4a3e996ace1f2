/* Policy attachment and precedence: which timeout, retry, frontend and
 * backend settings are in force for each listener, route and backend. */
#ifndef SG_RESOLVE_H
#define SG_RESOLVE_H

#include "config/cfg.h"
#include "config/diag.h"

/* Fill every eff_* field and listener frontend pointer of `cfg` from its
 * policies (most specific wins, whole object at once). Pure over the
 * config; returns 0, or -1 with the reason in `d`. */
int sg_resolve(struct sg_cfg *cfg, struct sg_diag *d);

/* The policy of `kind` most specific to a route rule, or NULL. Exposed for
 * tests: listener < route < rule, a Gateway without section lowest. */
const struct sg_policy *sg_policy_for_route(const struct sg_cfg *cfg, enum sg_pol_kind kind,
					    const struct sg_listener *l, const struct sg_route *r);
const struct sg_policy *sg_policy_for_listener(const struct sg_cfg *cfg, enum sg_pol_kind kind,
					       const struct sg_listener *l);
const struct sg_policy *sg_policy_for_backend(const struct sg_cfg *cfg, enum sg_pol_kind kind,
					      const struct sg_backend_ref *br);

#endif
