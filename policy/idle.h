/* A body idle watchdog: a deadline that counts from the last byte moved
 * (--body-idle-timeout, the route's responseIdleTimeout). It holds no
 * clock and does no I/O: callers pass the loop's time, a count of the
 * body bytes moved so far (any count that changes when a byte moves) and,
 * at the check, a way to learn of bytes they did not see themselves (the
 * socket map's per-socket activity stamps). user/http1/proxy.c keeps one per
 * HTTP/1 request, user/http2/h2proxy.c one per HTTP/2 stream. */
#ifndef SG_IDLE_H
#define SG_IDLE_H

#include <stdbool.h>
#include <stdint.h>

struct sg_idle {
	uint64_t limit;	    /* ms, 0 = not watching */
	uint64_t due;	    /* loop ms of the next check, 0 = none */
	uint64_t active_at; /* loop ms of the last byte seen moving */
	uint64_t seen;	    /* the count then */
};

/* Given the milliseconds since the last byte userspace saw move, returns
 * the milliseconds since any byte moved (never more than `idle`). */
typedef uint64_t (*sg_idle_quiet_fn)(void *arg, uint64_t idle);

/* Starts watching with `limit` ms (0: stops instead), counting from now. */
void sg_idle_start(struct sg_idle *w, uint64_t limit, uint64_t now, uint64_t moved);

/* Stops watching: due and limit become 0. */
void sg_idle_stop(struct sg_idle *w);

/* After an I/O event: when `moved` changed, the body was active now. */
void sg_idle_note(struct sg_idle *w, uint64_t now, uint64_t moved);

/* At w->due: true when nothing moved for the whole limit (`flowing`
 * false means no body is on its way, e.g. the request waits for a
 * response head: never a stall, the quiet time restarts). Else false and
 * w->due moves to limit after the last byte. `quiet` may be NULL. */
bool sg_idle_expired(struct sg_idle *w, uint64_t now, uint64_t moved, bool flowing,
		     sg_idle_quiet_fn quiet, void *arg);

#endif
