/* Request path normalisation (RFC 3986 §6.2.2 and §5.2.4, and Envoy's
 * merge_slashes and path_with_escaped_slashes_action), applied once to a
 * request's path before it is routed, so that the policies chosen by path,
 * the rewrites and the backend all see one spelling of it. A pure function
 * over the caller's bytes: no allocation, no I/O. */
#ifndef SG_PATHNORM_H
#define SG_PATHNORM_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg.h"

enum sg_pathnorm_result {
	SG_PATHNORM_SAME,    /* already normal: nothing written */
	SG_PATHNORM_CHANGED, /* out[0..*out_len) holds the normal form */
	SG_PATHNORM_REJECT,  /* a stray '%', or an escaped slash under REJECT_REQUEST: 400 */
};

/* Whether path[0..len) (the path alone, before any '?') may change under
 * `rules`: it holds a '%', a "//" or a "/." (a dot segment may begin). A
 * false answer is final; true means sg_pathnorm must look. One pass, no
 * write: what the request path pays for a path already normal. */
bool sg_pathnorm_needed(const char *path, size_t len, const struct sg_path_rules *rules);

/* The normal form of the origin-form path[0..len) (it begins with '/'; no
 * query) under `rules`, in order: percent-escapes of unreserved characters
 * decoded and the others' hex digits uppercased (rules->normalize); %2F and
 * %5C kept, refused or decoded (rules->escaped_slashes, whatever normalize
 * says); runs of '/' made one (rules->merge_slashes); dot segments removed
 * (rules->normalize; ".." never climbs above the root). A '%' not followed
 * by two hex digits is refused under normalize (kept, it could stand before
 * digits a decoded escape makes), else left as it is; an escaped slash
 * under REJECT_REQUEST is refused too. The result is a fixed point: applied
 * to its own output it answers SAME. out has room for len bytes (the form
 * is never longer) and may not overlap path. */
enum sg_pathnorm_result sg_pathnorm(const char *path, size_t len, const struct sg_path_rules *rules,
				    char *out, size_t *out_len);

#endif
