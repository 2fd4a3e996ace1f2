/* Endpoint state for passive health and power-of-two-choices, kept per
 * worker: each worker scores and evicts endpoints from the tries it made
 * itself (agentgateway keeps one set per process; a worker here sees its
 * share of the traffic, so it reaches a threshold on its share of the
 * failures). The numbers are policy/health.h's; this module keeps them,
 * times the evictions on the worker's loop and shows them to the admin
 * thread. */
#ifndef SG_LB_H
#define SG_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config/cfg.h"
#include "user/base/json.h"
#include "user/base/loop.h"

struct sg_lb;
struct sg_lb_ep;

/* At most this many endpoints have state per worker; past it an endpoint
 * is scored as a fresh one and never evicted. */
#define SG_LB_MAX_ENDPOINTS 65536

/* A worker's table, its timers on `loop`. NULL when out of memory. */
struct sg_lb *sg_lb_new(struct sg_loop *loop);
/* Stops its timers and frees every endpoint's state. NULL is fine. */
void sg_lb_free(struct sg_lb *lb);

/* ep's state ("addr:port"), created on first use (healthy, no latency
 * yet). NULL when out of memory or past SG_LB_MAX_ENDPOINTS. Lives as long
 * as lb. Worker thread only. */
struct sg_lb_ep *sg_lb_get(struct sg_lb *lb, const struct sg_endpoint *ep);

/* sg_route_pick_lb (policy/route.h) over this worker's state: endpoints
 * evicted here are left out while their backend has another, and the
 * higher of two draws by score wins. `again`: the request drew before
 * (struct sg_route_lb's). lb NULL: no state. */
bool sg_lb_pick(struct sg_lb *lb, const struct sg_brefs *backends, uint64_t rnd, uint64_t tried,
		bool again, size_t *bi, size_t *ei);

/* The endpoint of `backends` whose session id (policy/session.h) is
 * `id`, any backend's, whatever its weight, in *bi and *ei; false when none
 * has it now or this worker has it evicted (lb NULL: no state, never
 * evicted): the request is then balanced as any other. */
bool sg_lb_pick_session(struct sg_lb *lb, const struct sg_brefs *backends, uint64_t id, size_t *bi,
			size_t *ei);

/* A try to e began / ended (response over, or dropped): the requests
 * outstanding the score counts. */
void sg_lb_begin(struct sg_lb_ep *e);
void sg_lb_end(struct sg_lb_ep *e);

/* How long a 429 answer asks its sender to wait, as agentgateway reads it
 * for an eviction (its http/outlierdetection.rs), `now` the wall clock:
 * Retry-After (seconds, or an HTTP-date not past), else retry-after-ms,
 * else x-ratelimit-reset (seconds below 30 days, else a Unix time not
 * past), else the least of x-ratelimit-reset-requests, -tokens,
 * -requests-day and -tokens-minute (Go durations, or seconds when the
 * value ends in a digit). SG_DUR_UNSET for any other status, or when none
 * of them can be read. */
struct sg_h1_resp;
sg_dur sg_lb_retry_after(const struct sg_h1_resp *resp, time_t now);

/* A try to e got response `status` (0: none: it failed) after
 * `latency_ns`, under its backend's health policy `p` (NULL: none) and
 * `fallback` eviction time (a 429's sg_lb_retry_after, else the route's
 * retry backoff, else SG_DUR_UNSET):
 * updates its health, latency and failure run, and evicts it when
 * policy/health.h says so and it is not evicted already. Returns true when
 * this try evicted it. */
bool sg_lb_judge(struct sg_lb *lb, struct sg_lb_ep *e, const struct sg_health_policy *p,
		 sg_dur fallback, uint16_t status, uint64_t latency_ns);

/* Whether e is evicted now. */
bool sg_lb_evicted(const struct sg_lb_ep *e);

/* Totals of one worker, any thread: evictions and restores so far, and
 * endpoints evicted now. */
void sg_lb_totals(struct sg_lb *lb, uint64_t *evictions, uint64_t *restores, uint64_t *evicted);

/* Calls fn for each endpoint of one worker's table, any thread: its
 * "addr:port", the tries judged there, those judged unhealthy (no
 * response, or a status its backend's health policy calls unhealthy) and
 * its evictions. The table's lock is held meanwhile: fn must not call into
 * lb. */
typedef void sg_lb_visit(void *ctx, const char *endpoint, uint64_t tries, uint64_t failed,
			 uint64_t evictions);
void sg_lb_each(struct sg_lb *lb, sg_lb_visit *fn, void *ctx);

/* The endpoints of several workers' tables as a JSON array (one object per
 * worker and endpoint: worker, endpoint, evicted, evictedForMs, health,
 * latencyMs, pending, consecutiveFailures, timesEvicted, evictions,
 * restores), for GET /stats; any thread. NULL when out of memory. */
struct sg_json *sg_lb_json(struct sg_lb *const *all, size_t n);

#endif
