/* A route's or backend's backendAuth on one try (agentgateway's
 * apply_backend_auth): the credentials go where each says, on the request
 * the try's backend gets, after every other edit of the plan. A header
 * replaces any the request has of that name (its prefix first); a query
 * parameter replaces those of its name in the target; a cookie replaces
 * one of its name in the Cookie line. Passthrough sends the token the
 * route's jwtAuth or oidc verified (none verified: nothing is added);
 * jwtSign a token signed for this try (user/auth/jwtsign.h). */
#ifndef SG_BACKENDCRED_H
#define SG_BACKENDCRED_H

#include "config/cfg.h"
#include "user/core/filter.h"

/* b's credentials into plan p (its backend plan made) of the request `in`
 * describes. 0 or -ENOMEM. */
int sg_backend_auth_apply(struct sg_filter_plan *p, const struct sg_backend_auth *b,
			  const struct sg_filter_input *in);

#endif
