/* Least privilege: once the gateway has done what needs more (loading BPF,
 * binding its first listeners), it keeps only the capabilities it still uses,
 * through capget/capset and prctl directly (libcap is not a dependency). */
#ifndef SG_PRIV_H
#define SG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The mask bit of capability number c (CAP_* from <linux/capability.h>). */
#define SG_PRIV_CAP(c) (UINT64_C(1) << (c))

/* The calling thread's capability sets, bit c = capability c. */
struct sg_priv_caps {
	uint64_t effective;
	uint64_t permitted;
	uint64_t inheritable;
	uint64_t bounding;
	uint64_t ambient;
	bool no_new_privs;
};

/* Reads the calling thread's sets (capget and prctl). Returns 0 or -errno. */
int sg_priv_read(struct sg_priv_caps *out);

/* Keeps `keep` (SG_PRIV_CAP bits) and drops every other capability of the
 * calling thread, for good: sets no_new_privs (no execve can gain anything),
 * removes the rest from the bounding set, clears the ambient and inheritable
 * sets, and sets permitted = effective = keep & permitted (what the thread
 * does not have is not granted). The bounding set needs CAP_SETPCAP to
 * shrink; without it (a non-root service started with AmbientCapabilities)
 * it is left as the service manager set it, and no_new_privs still stops
 * execve from using it. Read the result with sg_priv_read.
 *
 * Capabilities belong to threads: threads created afterwards inherit the
 * reduced sets, threads that exist already keep theirs. Call it before
 * starting any thread. Returns 0, or -errno with a one-line reason in
 * err[0..errlen) (the sets may then be partly reduced). */
int sg_priv_drop(uint64_t keep, char *err, size_t errlen);

/* "cap_net_bind_service,cap_bpf" (lowercase, ascending), "none" for 0, and
 * "cap_N" for numbers past the names this build knows. Returns buf, which is
 * always NUL-terminated (truncated when too small). */
const char *sg_priv_names(uint64_t caps, char *buf, size_t len);

#endif
