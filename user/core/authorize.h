/* agentgateway's CEL authorization on one request or connection: a
 * route's `authorization` rules as a step of its filter plan (after
 * authentication, before the rate limits, as agentgateway orders them),
 * for HTTP/1 and HTTP/2 clients alike, and frontendPolicies.
 * networkAuthorization when a connection is accepted. The decision is
 * policy/authz.h's; this is the context it reads. */
#ifndef SG_AUTHORIZE_H
#define SG_AUTHORIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/core/filter.h"

/* Rule set a over the request `in` describes (with what in->authn
 * proved): SG_FILTER_FORWARD when it is allowed, SG_FILTER_REFUSED (p->
 * refusal SG_FAIL_AUTHZ: 403 "authorization failed", gRPC status 7) when
 * not. */
enum sg_filter_result sg_authz_request(struct sg_filter_plan *p, const struct sg_authz *a,
				       const struct sg_filter_input *in);

/* Whether networkAuthorization a lets a connection from ip (text) and
 * port in: its rules read source.address and source.port (anything else
 * is absent, so a rule reading it does not hold). */
bool sg_authz_connection(const struct sg_authz *a, const char *ip, uint16_t port);

#endif
