/* Admission counters shared by every worker, per listening port: client
 * connections open (frontendPolicies.tcp.maxConnections) and requests in
 * progress (frontendPolicies.http.maxConcurrentRequests). Keyed by port,
 * not by a config's bind, so a count survives a reload and connections of
 * the old config still count against the new bound. */
#ifndef SG_ADMIT_H
#define SG_ADMIT_H

#include <stdbool.h>
#include <stdint.h>

enum sg_admit_kind {
	SG_ADMIT_CONN, /* a client connection, from accept to close */
	SG_ADMIT_REQ,  /* an HTTP/1 request or HTTP/2 stream, head to end */
};

struct sg_admit;

/* The gateway's table (every port at 0). NULL when out of memory. Owned by
 * the caller; thread-safe, lock-free. */
struct sg_admit *sg_admit_new(void);
void sg_admit_free(struct sg_admit *a);

/* Count one more `kind` on `port`. Returns true when it may go on: `max`
 * is 0 (no bound) or fewer than `max` were counted. False: nothing is
 * counted, the caller refuses it and must not release it. A NULL table
 * admits everything (unit tests build frontends without one). The bound
 * holds across threads: two takers never both get the last place. */
bool sg_admit_take(struct sg_admit *a, enum sg_admit_kind kind, uint16_t port, uint32_t max);
/* One that sg_admit_take let in is over. */
void sg_admit_release(struct sg_admit *a, enum sg_admit_kind kind, uint16_t port);
/* How many are counted now (for tests and /stats). */
uint32_t sg_admit_count(const struct sg_admit *a, enum sg_admit_kind kind, uint16_t port);

#endif
