/* Internal to config/: the standalone dialect's top-level services: and
 * workloads: (agentgateway's Service and LocalWorkload), and the
 * `service: {name: "ns/hostname", port}` references that resolve against
 * them (route backends, frontendPolicies.tracing). */
#ifndef SG_CONFIG_LOCALSVC_H
#define SG_CONFIG_LOCALSVC_H

#include "config/cfg.h"
#include "config/fields.h"
#include "config/node.h"

/* The lists `services` and `workloads` (either may be NULL) into
 * cfg->services (marked local) and cfg->workloads. Read before anything
 * that names a service. Returns 0, or -1 after recording errors. */
int sg_localsvc_parse(struct sg_pctx *c, const struct sg_node *services,
		      const struct sg_node *workloads, struct sg_cfg *cfg);

/* A `service: {name, port}` map `n` (errors under `path`) into br: kind
 * SG_BREF_SERVICE, its service and port, its endpoints (the healthy
 * workloads of the service, each on its target port) and whether the
 * port speaks HTTP/2 (appProtocols Http2 or Grpc). A name that is not an
 * entry of services:, or a port neither the service nor a workload maps,
 * is an error. Returns 0, or -1 after recording an error. */
int sg_localsvc_ref(struct sg_pctx *c, const struct sg_node *n, const struct sg_cfg *cfg,
		    struct sg_backend_ref *br, const char *path);

#endif
