/* agentgateway's authorization decision over a RuleSet (config/cfg.h
 * struct sg_authz): its deny, require and allow rules evaluated over a
 * caller's CEL context. Pure: the context says what the request or
 * connection is. */
#ifndef SG_AUTHZ_H
#define SG_AUTHZ_H

#include <stdbool.h>

#include "config/cel.h"
#include "config/cfg.h"

/* Whether rule sets a[0..n) let the request or connection `run`'s context
 * describes through, as agentgateway's RuleSets decide: no rule at all
 * allows; a deny rule that holds in any set denies; a require rule that
 * does not hold (false or an error) in any set denies; an allow rule that
 * holds in any set allows; else it is allowed only when no set has an
 * allow rule. A rule "holds" when it evaluates to true: an error is false
 * (so a failing deny rule does not deny), except that a deny rule that
 * passes the run's step or memory bound denies (agentgateway has no such
 * bound). Each rule gets the run's step bound afresh; their values share
 * its memory. */
bool sg_authz_allows(const struct sg_authz *const *a, size_t n, struct sg_cel_run *run);

#endif
