/* Per-source-address tables shared by every worker:
 *   struct sg_srclimit: open client connections per address, for
 *     --max-connections-per-source (one client cannot take the whole fd
 *     table);
 *   struct sg_srcrate: events per address in a fixed window, for bounds
 *     that must hold across reconnects (HTTP/2 rapid reset: a client that
 *     reconnects starts a new connection's count, not its address's). */
#ifndef SG_SRCLIMIT_H
#define SG_SRCLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sg_srclimit;

/* A table allowing at most `max` (> 0) open connections per address.
 * Returns NULL when out of memory. Owned by the caller; thread-safe. */
struct sg_srclimit *sg_srclimit_new(unsigned max);
void sg_srclimit_free(struct sg_srclimit *s);

/* Count one more connection from `ip` (the address as text, e.g.
 * "127.0.0.1"). Its source is an IPv4 address, an IPv6 address's /64
 * (a client is handed a whole /64), an IPv4-mapped IPv6 address's IPv4
 * one. Returns true when it may stay open, false when that source
 * already has max open (or its entry cannot be allocated): the caller
 * closes it, and must not release it. */
bool sg_srclimit_take(struct sg_srclimit *s, const char *ip);
/* One connection that sg_srclimit_take let in is gone. */
void sg_srclimit_release(struct sg_srclimit *s, const char *ip);
/* The same with n units at once against a bound of the caller's (the
 * table's own max is not read): true when ip's source had at most
 * max - n counted, and now has n more; false: nothing counted. */
bool sg_srclimit_take_n(struct sg_srclimit *s, const char *ip, unsigned n, unsigned max);
/* n units that sg_srclimit_take_n counted are given back. */
void sg_srclimit_release_n(struct sg_srclimit *s, const char *ip, unsigned n);
/* Connections now open from `ip`'s source (for tests and /stats). */
unsigned sg_srclimit_count(struct sg_srclimit *s, const char *ip);

struct sg_srcrate;

/* A table counting events per address over windows of `window_ms`, for at
 * most `max_sources` addresses at once (past that, an address whose window
 * is over makes room, else the new address is not counted: the table
 * never grows beyond its bound). Returns NULL when out of memory.
 * Owned by the caller; thread-safe. */
struct sg_srcrate *sg_srcrate_new(uint64_t window_ms, size_t max_sources);
void sg_srcrate_free(struct sg_srcrate *r);

/* One event from `ip` at `now_ms` (a monotonic clock shared by the
 * callers), counted for its source as sg_srclimit_take counts (an IPv6
 * address's /64). Returns how many events that source had in its current
 * window, counting this one; a window starts with a source's first event
 * after its last window ended. 0 when it could not be counted. */
unsigned sg_srcrate_add(struct sg_srcrate *r, const char *ip, uint64_t now_ms);

#endif
