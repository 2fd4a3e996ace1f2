/* Route filters in the configuration (struct sg_filters, config/cfg.h):
 * the standalone dialect's route and backend `policies` keys
 * requestHeaderModifier, responseHeaderModifier, requestRedirect,
 * urlRewrite, directResponse and cors, in agentgateway's shapes (and the
 * route policies csrf and localRateLimit, kept with them), and the
 * pieces the Kubernetes dialect's translation of HTTPRoute filters shares
 * (config/k8s.c). requestMirror needs a backend resolved by the dialect:
 * config/standalone.c parses it. */
#ifndef SG_FILTERS_H
#define SG_FILTERS_H

#include "config/cfg.h"
#include "config/fields.h"
#include "config/headers.h"

/* Field parsers whose dst is a struct sg_filters. */
int sg_f_request_headers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_response_headers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_request_redirect(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_url_rewrite(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_direct_response(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_cors(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
/* csrf {additionalOrigins: [...]}. */
int sg_f_csrf(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
/* localRateLimit: a list of {maxTokens, tokensPerFill, fillInterval, type}. */
int sg_f_local_rate_limit(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* A route has SG_MAX_RATELIMITS local rate limits at most (Kubernetes'
 * rateLimit.local allows 16). */
#define SG_MAX_RATELIMITS 16

/* One more limit in l, zeroed (its clock not started), or NULL after
 * recording an error at `at` (too many, out of memory). Set its fields, then
 * sg_ratelimit_check: which refuses what agentgateway refuses (a
 * fillInterval of 0; maxTokens below tokensPerFill) and fills the bucket.
 * Both return -1 after recording an error. */
struct sg_ratelimit *sg_ratelimit_add(struct sg_pctx *c, struct sg_ratelimits *l,
				      const struct sg_node *at, const char *path);
int sg_ratelimit_check(struct sg_pctx *c, struct sg_ratelimit *rl, const struct sg_node *at,
		       const char *path);

/* CORS header lists as agentgateway keeps them: names lowercased (its
 * HeaderName), in the arena. Returns 0 or -1 (out of memory). */
int sg_cors_lowercase(struct sg_pctx *c, struct sg_cors *cors);
/* struct sg_strs of CORS allowOrigins entries, each "*" or an origin
 * (config/origin.h); any other is an error at its own node. */
int sg_f_origins(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* Note that f has a filter of `kind` (config_dump lists them in this
 * order); a kind already listed stays where it is. */
void sg_filters_list(struct sg_filters *f, enum sg_filter_kind kind);

/* The standalone dialect's order, agentgateway's fixed one, for the
 * filters f has. */
void sg_filters_standalone_order(struct sg_filters *f);

/* Whether f has any filter. */
bool sg_filters_any(const struct sg_filters *f);

#endif
