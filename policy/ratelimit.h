/* Local rate limits at run time (agentgateway's http/localratelimit.rs):
 * taking a request's token from each of its route's buckets (struct
 * sg_ratelimit, config/cfg.h), and carrying the buckets over a reload.
 * Lock-free: every worker takes from the same buckets. Pure but for the
 * clock, which the caller passes. */
#ifndef SG_RATELIMIT_H
#define SG_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/cfg.h"

/* What the x-ratelimit-* fields of a response say: the most constrained
 * limit's size, the tokens it has left and the whole seconds until its
 * next fill. */
struct sg_ratelimit_status {
	uint64_t limit, remaining, reset_s;
};

/* Take one token from each limit of l that counts requests, in order, as
 * agentgateway does: at `now_ns` (CLOCK_MONOTONIC) a bucket first gains
 * tokensPerFill for each whole fillInterval that ended since its last
 * fill, up to maxTokens. Returns true when every one had a token; *st is
 * then the limit with the fewest left (the first of equals), and
 * st->limit is 0 when no limit counts requests. False at the first limit
 * without a token (the earlier ones keep the token they gave): *st is
 * that limit's. A limit of maxTokens 0 refuses every request. */
bool sg_ratelimits_take(const struct sg_ratelimits *l, uint64_t now_ns,
			struct sg_ratelimit_status *st);

/* A config going into force (prev: the one in force, NULL for the
 * first): each limit of next's routes that the same route (by key) had in
 * prev, at the same place and with the same numbers, keeps the tokens and
 * the fill time prev's had, so that applying a config does not refill the
 * limits it did not change; the others start full, their first fill a
 * fillInterval after now_ns, as agentgateway builds them. A limit several
 * routes share (an AgentgatewayPolicy on a Gateway) is done once. Call
 * before any worker takes from next. */
void sg_ratelimits_carry(struct sg_cfg *next, const struct sg_cfg *prev, uint64_t now_ns);

#endif
