/* Table-driven parsing of YAML maps into C structs (nginx's ngx_command_t
 * idea): each key names a parser and an offset. Shared by both dialects,
 * with the tables and defaults they have in common. */
#ifndef SG_FIELDS_H
#define SG_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/arena.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "config/node.h"

struct sg_pctx {
	struct sg_arena *a;
	struct sg_diag *d;
	struct sg_cfg *cfg; /* what compiled expressions are registered with (NULL: none) */
};

/* A field parser: reads `n` into `dst`. `path` names the key for errors.
 * Returns 0, or -1 after recording an error. */
typedef int (*sg_field_fn)(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

struct sg_field {
	const char *key;
	sg_field_fn fn; /* NULL: accepted and ignored (e.g. status:) */
	size_t off;
	bool required;
};

/* Walk `map` (error unless it is a map) and run each key's parser on `obj`.
 * Unknown keys and missing required keys are errors; a required key with a
 * null value ("name:", "name: ~") counts as missing. Returns 0 or -1. */
int sg_parse_fields(struct sg_pctx *c, const struct sg_node *map, const struct sg_field *tbl,
		    void *obj, const char *path);

/* "path.key" / "path[i]" built in the arena. */
const char *sg_path_key(struct sg_pctx *c, const char *path, const char *key);
const char *sg_path_idx(struct sg_pctx *c, const char *path, size_t i);

/* Errors in the one shape every config error has. */
int sg_expected(struct sg_pctx *c, const struct sg_node *n, const char *path, const char *what);
int sg_need_map(struct sg_pctx *c, const struct sg_node *n, const char *path);
int sg_need_seq(struct sg_pctx *c, const struct sg_node *n, const char *path);

/* Scalar parsers (dst types in brackets). sg_f_str leaves dst alone on a
 * null value, so a default stored there beforehand survives "key: ~". */
int sg_f_str(struct sg_pctx *c, const struct sg_node *n, void *dst,
	     const char *path); /* const char * */
int sg_f_bool(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path); /* bool */
int sg_f_u32(struct sg_pctx *c, const struct sg_node *n, void *dst,
	     const char *path); /* uint32_t */
/* uint32_t: a Kubernetes quantity of bytes, whole, with no suffix or one
 * of k M G (powers of 1000) and Ki Mi Gi (of 1024), at most UINT32_MAX. */
int sg_f_byte_size(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_i64(struct sg_pctx *c, const struct sg_node *n, void *dst,
	     const char *path); /* int64_t, >= 0 */
int sg_f_limit(struct sg_pctx *c, const struct sg_node *n, void *dst,
	       const char *path); /* int64_t, 1..UINT32_MAX; null: SG_UNSET */
int sg_f_port(struct sg_pctx *c, const struct sg_node *n, void *dst,
	      const char *path); /* uint16_t, 1..65535 */
int sg_f_dur(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path); /* sg_dur */
/* sg_dur written as the Kubernetes CRDs take one (Gateway API's Duration,
 * GEP-2257: "1h30m", "500ms"; no fraction, no other unit, no map); the
 * _min form also refuses one under `min`, as the CRDs' CEL rules do. */
int sg_f_gwapi_dur(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_gwapi_dur_min(struct sg_pctx *c, const struct sg_node *n, sg_dur *dst, const char *path,
		       sg_dur min);
int sg_f_strs(struct sg_pctx *c, const struct sg_node *n, void *dst,
	      const char *path); /* struct sg_strs */
int sg_f_codes(struct sg_pctx *c, const struct sg_node *n, void *dst,
	       const char *path); /* struct sg_codes */
/* const char *: a host name or IPv4 address (config/hostname.h); null
 * leaves dst alone as sg_f_str does. */
int sg_f_hostname(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
/* struct sg_strs of names a TLS route serves by SNI (sg_sni_name_valid). */
int sg_f_sni_names(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_ignore(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
/* The node itself (const struct sg_node *), read by the caller later. */
int sg_f_node(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
/* enum sg_http_version: agentgateway's "HTTP/1.1" or "HTTP/2.0" (also
 * "1.1", "2", "2.0"). */
int sg_f_http_version(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* Defaults of DESIGN §2/§3, which the tables below start from. */
void sg_frontend_http_defaults(struct sg_frontend_http *h);
void sg_keepalive_defaults(struct sg_keepalive *k);
void sg_global_defaults(struct sg_global *g);

/* Tables both dialects use: keepalives {enabled, time, interval, retries}
 * (struct sg_keepalive; null: on, with the defaults), frontend HTTP
 * options (struct sg_frontend_http), retry {attempts, backoff, codes}
 * (struct sg_retry). */
int sg_f_keepalive(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_frontend_http(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
/* proxyProtocol {version: v1|v2|all, mode: strict|optional} into a struct
 * sg_frontend_proxy; _k8s: AgentgatewayPolicy's V1|V2|All, Strict|Optional. */
int sg_f_frontend_proxy(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_frontend_proxy_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst,
			    const char *path);
/* sg_f_retry: the Kubernetes dialect's, attempts above 255 taken as 255
 * (agentgateway's controller). */
int sg_f_retry(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
/* The same with agentgateway's precondition and condition (CEL), as its
 * standalone config has them, attempts from 1 to 255 (a NonZeroU8 there). */
int sg_f_retry_cel(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
/* agentgateway's backend `health` policy (const struct sg_health_policy *,
 * arena-allocated): standalone {unhealthyExpression, eviction {duration,
 * restoreHealth, consecutiveFailures, healthThreshold}} with scores from
 * 0.0 to 1.0; the Kubernetes one (AgentgatewayPolicy backend.health)
 * names the expression unhealthyCondition, takes scores from 0 to 100, a
 * duration of at least 1s and defaults it to 3s, as the CRD does. */
int sg_f_health(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_health_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* Standalone `path: {exact|pathPrefix|regex: ...}` into m. Returns 0 or
 * -1 after recording an error. */
int sg_parse_match_path(struct sg_pctx *c, const struct sg_node *n, struct sg_match *m,
			const char *path);

/* A CEL expression's field: `src` (at node `at`, key `path`) compiled
 * into *out, registered with c->cfg. Returns 0, or -1 after an error
 * naming the expression's column. */
int sg_cel_field(struct sg_pctx *c, const struct sg_node *at, const char *src,
		 const struct sg_cel **out, const char *path);

#endif
