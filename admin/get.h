/* GET /resources on the admin API, behind `splicegate get`. */
#ifndef SG_GET_H
#define SG_GET_H

#include "config/cfg.h"

/* The Kubernetes resources in force as a kubectl-style JSON List (each
 * with apiVersion, kind, metadata, spec as applied, and the Gateway API
 * `status`: Gateway conditions and listeners, route parents, policy
 * ancestors), filtered by kind, name and namespace (NULL: any). Malloc'd;
 * NULL when out of memory. */
char *sg_get_resources(const struct sg_cfg *cfg, const char *kind, const char *name,
		       const char *ns);

#endif
