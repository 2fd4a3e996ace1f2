/* agentgateway's tracing configuration: config.tracing (where spans are
 * exported and which requests are sampled) and frontendPolicies.tracing
 * (the same for the listeners it applies to), read into struct
 * sg_tracing. */
#ifndef SG_TRACING_H
#define SG_TRACING_H

#include "config/cfg.h"
#include "config/fields.h"

/* config.tracing {otlpEndpoint, otlpProtocol, headers, randomSampling,
 * clientSampling, path, fields} into the const struct sg_tracing * at dst
 * (allocated in c's arena). otlpEndpoint is an http:// or https:// URL;
 * sampling is true, false, a number from 0.0 to 1.0,
 * or a CEL expression over the request's head. Returns 0, or -1 after an
 * error in c->d. */
int sg_f_tracing(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* frontendPolicies.tracing {host | backend, protocol, path,
 * randomSampling, clientSampling, attributes, remove, resources, filter,
 * policies} into the struct sg_tracing * at dst (resources evaluated
 * here, once). `backend` is only noted: sg_tracing_resolve finds it.
 * Of `policies`, backendTLS is taken (the collector is spoken to over
 * TLS with it), the others refused by name, as is a service target.
 * Returns 0, or -1 after an error. */
int sg_f_frontend_tracing(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* The standalone top-level backends: list [{name, host, policies}] into
 * cfg->named_backends: names unique, host "host:port", policies as a
 * tracing policy's (backendTLS); the other forms (internal, mcp, ai,
 * aws) refused by name. Returns 0, or -1 after an error. */
int sg_named_backends_parse(struct sg_pctx *c, const struct sg_node *n, struct sg_cfg *cfg,
			    const char *path);

/* t's `backend` (NULL t, or none: nothing to do) found in
 * cfg->named_backends: its address becomes t's collector, its backendTLS
 * the TLS in force unless t's own policies give one. Returns 0, or -1
 * after an error at path (the policy's) when there is no such entry. */
int sg_tracing_resolve(struct sg_pctx *c, struct sg_tracing *t, const struct sg_cfg *cfg,
		       const char *path);

/* AgentgatewayPolicy frontend.tracing, the CRD's Tracing: {url, protocol
 * HTTP|GRPC (default GRPC), path, attributes {remove, add: [{name,
 * expression}]}, resources [{name, expression}], randomSampling,
 * clientSampling, filter} into the same; a backendRef is refused by
 * name. */
int sg_f_frontend_tracing_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst,
			      const char *path);

#endif
