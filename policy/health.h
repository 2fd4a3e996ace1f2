/* Passive health, as agentgateway decides it (its http/health.rs and
 * types/loadbalancer.rs): which try outcome is unhealthy, when an endpoint
 * is evicted and for how long, and the score power-of-two-choices compares.
 * Pure: the caller keeps the numbers (user/core/lb.c). */
#ifndef SG_HEALTH_H
#define SG_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "config/cfg.h"

/* agentgateway's base eviction time when `eviction` gives none. */
#define SG_HEALTH_DEFAULT_EVICTION SG_DUR_S(3)

/* Whether a try is unhealthy. `status` is its response status, 0 when it
 * got none (connect failure, reset, timeout, invalid response). Without a
 * policy or expression: no response or a 5xx. With an expression: its
 * value, where a try without a response is healthy (agentgateway's CEL
 * fails on the missing response.code and counts that as false). */
bool sg_health_unhealthy(const struct sg_health_policy *p, uint16_t status);

/* An unhealthy try was seen on an endpoint whose health score was `health`
 * (0..1) and that had `failures` unhealthy tries in a row and was evicted
 * `times_evicted` times since its last healthy one, all before this try.
 * Returns how long to evict it, 0 for not at all: the `eviction`
 * section's duration, else `fallback` (the route's retry backoff;
 * SG_DUR_UNSET: none), else 3s when there is an `eviction` section and
 * never without one — multiplied by times_evicted + 1. The thresholds:
 * consecutiveFailures (when > 0) is reached, or health is below
 * healthThreshold; either evicts when both are set; with neither, every
 * unhealthy try evicts. */
sg_dur sg_health_eviction(const struct sg_health_policy *p, sg_dur fallback, double health,
			  uint64_t failures, uint64_t times_evicted);

/* agentgateway's EWMA (alpha 0.3): the next value after `old` takes `v`;
 * a value of exactly 0 takes `v` whole. */
double sg_health_ewma(double old, double v);

/* The score power-of-two-choices keeps the higher of: health divided by
 * 1 + latency (seconds, EWMA of healthy tries) * (1 + 0.1 per request
 * outstanding). */
double sg_health_score(double health, double latency_s, unsigned pending);

#endif
