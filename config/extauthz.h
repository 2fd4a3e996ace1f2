/* agentgateway's extAuthz route policy (its ExtAuthz, schema/config.json)
 * parsed into struct sg_ext_authz; what user/core/authzcall.c asks the
 * authorization service with. */
#ifndef SG_EXTAUTHZ_CFG_H
#define SG_EXTAUTHZ_CFG_H

#include "config/cfg.h"
#include "config/fields.h"

/* The request body bytes sent when includeRequestBody names no
 * maxRequestBytes (agentgateway's default). */
#define SG_EXT_AUTHZ_BODY_DEFAULT 8192
/* The most includeRequestBody.maxRequestBytes may be: the body is held in
 * memory while the service decides. */
#define SG_EXT_AUTHZ_BODY_MAX (1024 * 1024)
/* cache.maxEntries when not given (agentgateway's default). */
#define SG_EXT_AUTHZ_CACHE_ENTRIES 10000

/* The pseudo-headers agentgateway's HeaderOrPseudo names, which an
 * HTTP check's addRequestHeaders and includeRequestHeaders may name. */
enum sg_ext_authz_pseudo {
	SG_EXT_AUTHZ_PSEUDO_METHOD,
	SG_EXT_AUTHZ_PSEUDO_SCHEME,
	SG_EXT_AUTHZ_PSEUDO_AUTHORITY,
	SG_EXT_AUTHZ_PSEUDO_PATH,
	SG_EXT_AUTHZ_PSEUDO_STATUS,
};

/* Which pseudo-header name[0..len) is (":method", ...), or -1. */
int sg_ext_authz_pseudo(const char *name, size_t len);

/* extAuthz into ((struct sg_filters *)dst)->ext_authz: {host: "addr:port"
 * | "unix:/path" (HTTP only), protocol: {grpc: {context, metadata}} | {http:
 * {includeResponseHeaders, path, redirect, body, addRequestHeaders,
 * metadata}}, failureMode: allow | deny | {denyWithStatus},
 * includeRequestHeaders, includeRequestBody {maxRequestBytes,
 * allowPartialMessage, packAsBytes}, cache {key, ttl, maxEntries},
 * policies: {http: {requestTimeout}}}; path, redirect, body, the added
 * headers' values, metadata and the cache's key and ttl are CEL. service
 * and backend targets and the other backend policies are refused by
 * name. */
/* A policy service's host: "addr:port" (a name, an IPv4 address, or an
 * IPv6 one in brackets) at n into *host (as written) and *ep. 0, or -1
 * with the error in c. */
int sg_service_host(struct sg_pctx *c, const struct sg_node *n, const char *path, const char **host,
		    struct sg_endpoint *ep);

/* A policy service's backend policies, {http: {requestTimeout}}, into
 * *(sg_dur *)dst; the others refused by name. */
/* url "http://address:port" (no path) into *host ("address:port") and
 * *ep, as sg_service_host. */
int sg_service_url(struct sg_pctx *c, const struct sg_node *n, const char *path, const char **host,
		   struct sg_endpoint *ep);

int sg_f_service_policies(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

int sg_f_ext_authz(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* AgentgatewayPolicy traffic.extAuth into the struct sg_ext_authz * at
 * dst: url "http://address:port[/path]" (the path: http's check path) or
 * backendRef (left in ref_at for config/k8s.c to resolve), failureMode
 * FailClosed (the default) or FailOpen, grpc {contextExtensions,
 * requestMetadata} or http
 * {path, redirect, body, allowedRequestHeaders, addRequestHeaders,
 * allowedResponseHeaders, responseMetadata}, forwardBody {maxSize} and
 * cache {key, ttl, maxEntries}, checked as agentgateway's CRD and
 * controller check them. An https url and conditional are refused by
 * name. */
int sg_f_agp_ext_authz(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

#endif
