/* Global rate limits (a route's remoteRateLimit, AgentgatewayPolicy
 * traffic.rateLimit.global): after extAuthz and before a request's first
 * try, the rate limit service is asked about it over gRPC (Envoy's
 * envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit, on the
 * worker's shared HTTP/2 backend connections), on the worker's loop: the
 * request waits, nothing else does. The descriptors' CEL values are
 * evaluated over the request first; a descriptor with an entry that gives
 * no string is left out, and with none left the service is not asked, as
 * agentgateway does. Its answer: OVER_LIMIT is 429 with the service's
 * response headers, the x-ratelimit-* fields of its most constrained
 * status and its raw body; OK lets the request on with the service's
 * request headers, and its response gets the same x-ratelimit-* fields
 * and response headers. A service that cannot be asked (no answer within
 * the timeout, a failed call, more than SG_RLCALL_MAX_INFLIGHT calls of
 * the worker under way) is the failureMode's: failOpen passes, failClosed
 * answers 500 "rate limit failed". */
#ifndef SG_RLCALL_H
#define SG_RLCALL_H

#include "config/cfg.h"

/* The most calls one worker has under way; past it a request is treated
 * as if the service could not be asked. */
#define SG_RLCALL_MAX_INFLIGHT 1024

struct sg_request;
struct sg_rlcall;

/* Ask the service of l about r (routed, its plan made; its first try not
 * begun). Returns the call under way (the request keeps it as r->rl, then
 * hears the verdict through sg_request_rate_checked / sg_request_answer /
 * sg_request_denied), or NULL when the verdict came at once (nothing to
 * ask, or the call could not be made): r was then told already. */
struct sg_rlcall *sg_rlcall_start(struct sg_request *r, const struct sg_remote_rl *l);

/* The call's request is over before a verdict: the call stops, nothing is
 * heard of it again. NULL: nothing. */
void sg_rlcall_cancel(struct sg_rlcall *c);

#endif
