/* One blocking HTTP exchange of the gateway's own client (user/core/
 * jwksfetch.h's sg_fetch) on a detached thread of its own, its answer
 * heard on a loop's thread: how a request asks a service that only that
 * client reaches (MCP's authorization-server metadata and client
 * registration, user/core/mcpauthn.c), the loop never blocked. */
#ifndef SG_FETCHCALL_H
#define SG_FETCHCALL_H

#include <stdatomic.h>

#include "user/base/loop.h"
#include "user/core/jwksfetch.h"

struct sg_fetchcall;

/* What the caller hears, once, on the loop: sg_fetch's rc (0 or -1), its
 * answer `got` (its body freed after this returns) and, on failure, why. */
typedef void (*sg_fetchcall_fn)(void *arg, int rc, const struct sg_fetched *got, const char *err);

/* Starts f (its method, url, headers and body copied) on loop's side:
 * done(arg, ...) follows from the loop unless the call is cancelled
 * first. At most `max` calls count in *inflight at once (the caller's
 * counter, shared by every thread). Returns the call (the caller's until
 * done runs or it cancels), or NULL with errno (EAGAIN: max reached;
 * ENOMEM; pthread's) when it did not start: done never runs then. */
struct sg_fetchcall *sg_fetchcall_start(struct sg_loop *loop, const struct sg_fetch *f,
					sg_fetchcall_fn done, void *arg, atomic_int *inflight,
					int max);

/* The same, with `held` (a reference the caller took, on what f points to
 * beyond its strings: its tls settings) dropped by drop(held) once the
 * call is over, on whichever thread lets go last; also when the call did
 * not start. */
struct sg_fetchcall *sg_fetchcall_start_held(struct sg_loop *loop, const struct sg_fetch *f,
					     sg_fetchcall_fn done, void *arg, atomic_int *inflight,
					     int max, void (*drop)(void *held), void *held);

/* The caller lets go before the answer: done never runs; the thread stops
 * where it waits (f's own stop descriptor, if it had one, still counts)
 * and finishes alone. NULL: nothing. Not to be called once done ran. */
void sg_fetchcall_cancel(struct sg_fetchcall *c);

#endif
