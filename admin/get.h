/* GET /resources on the admin API, behind `splicegate get`. */
#ifndef SG_GET_H
#define SG_GET_H

#include <time.h>

#include "config/cfg.h"

/* What the statuses said at the configs in force so far: each resource's
 * metadata.generation (1 when it comes, one more at each change of its
 * spec; a resource deleted and applied again starts at 1) and each
 * condition's lastTransitionTime (moved only when its status changes, as
 * Kubernetes does). Owned by whoever made it. */
struct sg_get_history;
struct sg_get_history *sg_get_history_new(void);
void sg_get_history_free(struct sg_get_history *h);
/* Call each time a config goes in force (and for the first): compares
 * cfg's resources and statuses with what h holds, at wall-clock time
 * `now`, and keeps cfg's. Returns 0, or -ENOMEM with h unchanged. */
int sg_get_record(struct sg_get_history *h, const struct sg_cfg *cfg, time_t now);

/* The Kubernetes resources in force as a kubectl-style JSON List (each
 * with apiVersion, kind, metadata, spec as applied, and the Gateway API
 * `status`: Gateway conditions and listeners, route parents, policy
 * ancestors), filtered by kind, name and namespace (NULL: any). With h
 * (the history recorded for cfg), metadata.generation and every
 * condition's observedGeneration (the resource's generation: each status
 * is made from the spec in force) and lastTransitionTime. Secrets are
 * "<redacted>", as config_dump has them (any local user reads this): a
 * Secret's data and stringData values, an AgentgatewayPolicy's inline
 * basicAuthentication users, backend.auth key and JWKS, and the
 * last-applied-configuration annotation of both kinds. Malloc'd; NULL
 * when out of memory. */
char *sg_get_resources(const struct sg_cfg *cfg, const struct sg_get_history *h, const char *kind,
		       const char *name, const char *ns);

#endif
