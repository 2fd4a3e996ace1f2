/* Open client connections per source address, shared by every worker, for
 * --max-connections-per-source: one client cannot take the whole fd
 * table. */
#ifndef SG_SRCLIMIT_H
#define SG_SRCLIMIT_H

#include <stdbool.h>

struct sg_srclimit;

/* A table allowing at most `max` (> 0) open connections per address.
 * Returns NULL when out of memory. Owned by the caller; thread-safe. */
struct sg_srclimit *sg_srclimit_new(unsigned max);
void sg_srclimit_free(struct sg_srclimit *s);

/* Count one more connection from `ip` (the address as text, e.g.
 * "127.0.0.1"). Returns true when it may stay open, false when `ip`
 * already has max open (or its entry cannot be allocated): the caller
 * closes it, and must not release it. */
bool sg_srclimit_take(struct sg_srclimit *s, const char *ip);
/* One connection that sg_srclimit_take let in is gone. */
void sg_srclimit_release(struct sg_srclimit *s, const char *ip);
/* Connections now open from `ip` (for tests and /stats). */
unsigned sg_srclimit_count(struct sg_srclimit *s, const char *ip);

#endif
