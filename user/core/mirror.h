/* Request mirroring (Gateway API RequestMirror, agentgateway requestMirror):
 * a copy of a request, as the route's filters left it, written to one
 * endpoint of a mirror backend on a connection of its own (a backend
 * spoken to in HTTP/2: a stream on the worker's shared connection to it,
 * user/core/h2backend.h), whose answer is read and thrown away. Fire and forget: the request it copies never waits
 * for it and never fails with it. Bounded per worker: at most
 * SG_MIRROR_MAX_INFLIGHT copies in flight (more are dropped), each at most
 * SG_MIRROR_MAX_BODY bytes of body (a request whose body is larger, or not
 * held whole, is not mirrored) and SG_MIRROR_TIMEOUT_MS long. Every copy
 * is counted in /metrics: sent (written whole, the backend answered or
 * closed), failed (connect or write error, timeout) or dropped (a bound).
 *
 * Loops (a mirror that reaches the gateway again): every copy carries
 * SG_MIRROR_MARK, which the gateway writes on copies alone (user/codec/h1.c
 * drops a received one from every request it forwards), and a request
 * that carries it is never mirrored (counted looped). Each route's (or
 * backend's) mirror sends at most SG_MIRROR_MAX_PER_SECOND copies a second
 * per worker; more are counted limited. */
#ifndef SG_MIRROR_H
#define SG_MIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/core/backend.h"
#include "user/codec/h1.h"
#include "user/core/h2backend.h"
#include "user/base/loop.h"
#include "user/core/stats.h"

#define SG_MIRROR_MAX_INFLIGHT 64
#define SG_MIRROR_MAX_BODY (64 * 1024)
#define SG_MIRROR_TIMEOUT_MS 10000
#define SG_MIRROR_MAX_PER_SECOND 1000
#define SG_MIRROR_MARK "x-splicegate-mirror"

/* A worker's mirror copies in flight. */
struct sg_mirroring;

/* h2pool: the worker's HTTP/2 backend connections (NULL: copies to
 * HTTP/2 backends are dropped). */
struct sg_mirroring *sg_mirroring_new(struct sg_loop *loop, struct sg_pool *pool,
				      struct sg_h2b_pool *h2pool, struct sg_stats *stats);
/* Closes every copy in flight. NULL is fine. */
void sg_mirroring_free(struct sg_mirroring *m);
size_t sg_mirroring_inflight(const struct sg_mirroring *m);

/* The request a copy is made of: the head (with the route filters' edit
 * applied, as the backend would get it) and its body when whole in memory
 * (`body_whole`; a request without body is whole with body_len 0). */
struct sg_mirror_request {
	const struct sg_h1_req *req;
	const struct sg_h1_edit *edit;
	const char *client_ip;
	const char *body;
	size_t body_len;
	bool body_whole;
};

/* Send a copy of r to each of `mirrors` that its percentage picks (rng:
 * the worker's xorshift state), within each one's bound a second. m NULL,
 * or r a copy itself (SG_MIRROR_MARK): nothing is mirrored. */
void sg_mirroring_send(struct sg_mirroring *m, const struct sg_mirrors *mirrors,
		       const struct sg_mirror_request *r, uint64_t *rng);

#endif
