/* agentgateway's access log configuration: frontendPolicies.accessLog
 * (AgentgatewayPolicy frontend.accessLog) and config.logging, their CEL
 * compiled when the config loads; and how a listener's policy and the
 * global one combine. */
#ifndef SG_ACCESSLOG_H
#define SG_ACCESSLOG_H

#include "config/cfg.h"
#include "config/fields.h"

/* frontendPolicies.accessLog {filter, add, remove} into the const struct
 * sg_log_policy * at dst (allocated in c's arena). `otlp` and `database`
 * are refused by name; an expression that reads the request's body or the
 * response's headers (gone when the line is written) is refused. Returns 0, or -1
 * after an error in c->d. */
int sg_f_access_log(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* AgentgatewayPolicy frontend.accessLog {filter, attributes: {remove,
 * add: [{name, expression}]}} (the CRD's AccessLog) into the same; `otlp`
 * refused by name. */
int sg_f_access_log_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* config.logging {filter, fields: {add, remove}, level, format} into the
 * const struct sg_logging * at dst. level: one of error, warn, info,
 * debug (a list of one; per-module levels are refused); format: text or
 * json; `database` refused by name. Returns 0, or -1 after an error. */
int sg_f_logging(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* {add: {name: expression}, remove: [names]} into the struct
 * sg_log_policy at dst (its add and remove; agentgateway's
 * RawLoggingFields, which config.tracing's fields are too), and `add`
 * alone into the struct sg_transform_exprs at dst: expressions read when
 * the request is over, so one reading the request's body or the
 * response's headers is refused. */
int sg_f_log_fields(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
/* The Kubernetes forms (the CRD's LogTracingAttributes): `attributes`
 * {remove: [names], add: [{name, expression}]} into the struct
 * sg_log_policy at dst, and `add`'s list alone into the struct
 * sg_transform_exprs at dst. */
int sg_f_log_attributes(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_log_add_list(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* filter: an expression over the ended request (the same bound) into the
 * const struct sg_cel * at dst; null: none. */
int sg_f_log_filter(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_log_add(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* Whether p's filter or added fields read `need` (SG_CEL_NEED_* bits);
 * p NULL: false. */
bool sg_log_policy_reads(const struct sg_log_policy *p, unsigned need);

/* The log policy a listener's requests follow: `pol`'s filter, add and
 * remove where it has them, `global`'s (config.logging) where it has
 * not, as agentgateway merges them. NULL when neither has any; otherwise
 * one of the two, or a merge in arena `a` (NULL when out of memory: the
 * listener's own is used). */
const struct sg_log_policy *sg_log_policy_merge(struct sg_arena *a, const struct sg_log_policy *pol,
						const struct sg_logging *global);

#endif
