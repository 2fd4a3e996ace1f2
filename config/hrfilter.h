/* HTTPRoute filters (Gateway API v1: a rule's `filters` and a backendRef's)
 * translated into struct sg_filters the way agentgateway's controller
 * translates them: the API server's defaults applied (redirect status 302,
 * CORS maxAge 5, mirror fraction denominator 100), trailing "/" trimmed
 * from path modifiers, header entries with equal names (case-insensitive)
 * kept once (the first), a rule's several header modifiers of one side
 * merged, and config_dump's order: RequestRedirect, URLRewrite and CORS as
 * listed, then the merged request and response header modifiers, then the
 * mirrors. What the API server's validation refuses is an error here too:
 * an unknown type, a body that is not its type's, a filter repeated
 * (RequestMirror may be), RequestRedirect beside URLRewrite or beside
 * backendRefs, ReplacePrefixMatch on a rule without exactly one PathPrefix
 * match; and ExtensionRef, which splicegate has nothing to resolve to. */
#ifndef SG_HRFILTER_H
#define SG_HRFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg.h"
#include "config/fields.h"

/* Resolves a mirror's backendRef as the dialect resolves any (kind,
 * ReferenceGrant, Service, endpoints) into br; an unresolved ref is
 * marked SG_BREF_INVALID and is not an error. Returns 0 or -1. */
typedef int (*sg_hr_resolve_fn)(void *ctx, const struct sg_node *n, const char *path,
				struct sg_backend_ref *br);

struct sg_hr_rule {
	const struct sg_match *matches; /* after the default PathPrefix "/" */
	size_t nmatches;
	bool has_backends;
	bool backend_level; /* a backendRef's filters: header modifiers,
			     * RequestRedirect and RequestMirror only */
	sg_hr_resolve_fn resolve;
	void *ctx;
};

/* An HTTPHeaderFilter {set, add, remove} merged into *m (allocated on
 * first use), and an HTTPCORSFilter into *out: for AgentgatewayPolicy's
 * traffic.headerModifiers and traffic.cors, which take the same shapes. */
int sg_hr_header_filter(struct sg_pctx *c, const struct sg_node *n, const char *path,
			struct sg_hdrmod **m);
int sg_hr_cors(struct sg_pctx *c, const struct sg_node *n, const char *path,
	       const struct sg_cors **out);

/* Translate `filters` (a sequence at `path`) into out. Returns 0 or -1
 * after recording an error. */
int sg_hr_filters(struct sg_pctx *c, const struct sg_node *filters, const char *path,
		  const struct sg_hr_rule *rule, struct sg_filters *out);

#endif
