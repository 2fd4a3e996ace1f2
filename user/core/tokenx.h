/* backendAuth oauthTokenExchange on one try (agentgateway's
 * apply_token_exchange): the caller's token is traded at the policy's
 * token endpoint (RFC 8693 token exchange, or RFC 7523's jwt-bearer
 * grant) for the token the try's backend gets (user/core/backendcred.c
 * puts it in place of the caller's). The endpoint is asked by the
 * gateway's own client (user/core/fetchcall.h) off the loop, the try held
 * meanwhile (struct sg_attempt_ops' prepare); answers are kept in the
 * policy's cache (user/auth/authzcache.h) by a SHA-256 of what was asked
 * (the subject and actor tokens and their types, the additional
 * parameters' values), until 15 s before the token expires (expires_in,
 * else the cache's defaultTtl; never past the subject JWT's exp). */
#ifndef SG_TOKENX_H
#define SG_TOKENX_H

#include "config/cfg.h"
#include "user/core/attempt.h"

struct sg_request;
struct sg_tokenx;

/* r's current try goes to a backend with exchange t: its token, from the
 * cache (r->tx_token set: SG_ATTEMPT_GO) or asked for (r->tx set:
 * SG_ATTEMPT_HOLD; the answer sets r->tx_token and calls sg_attempt_go,
 * or fails r), or r failed at once (SG_ATTEMPT_STOP): 400 invalid
 * request without a subject (or actor) token or when an additional
 * parameter is no string, 503 when too many exchanges are under way. */
enum sg_attempt_prep sg_tokenx_start(struct sg_request *r, const struct sg_token_exchange *t);

/* The exchange is no longer wanted (its answer is dropped). NULL: nothing. */
void sg_tokenx_cancel(struct sg_tokenx *x);

#endif
