/* config_dump's pieces that more than one of its files prints
 * (admin/dump.c, admin/mcpdump.c): durations, string lists, credential
 * locations and policy services' targets as agentgateway prints them, and
 * the backend policies a route's backends and an mcp backend's targets
 * both carry (backendTLS, backendAuth, the secrets redacted). Each returns
 * a new value, the caller's. */
#ifndef SG_ADMIN_DUMPPOLICY_H
#define SG_ADMIN_DUMPPOLICY_H

#include "config/cfg.h"
#include "user/base/json.h"

/* "1m30s" as agentgateway's duration serde writes it; null when unset. */
struct sg_json *sg_dump_dur(sg_dur d);
struct sg_json *sg_dump_strs(const struct sg_strs *s);
struct sg_json *sg_dump_location(const struct sg_cred_location *l);
/* Adds to o a policy service's target: {"service": {...}} or {"host"}. */
void sg_dump_service_target(struct sg_json *o, const struct sg_policy_service *to);
struct sg_json *sg_dump_backend_tls(const struct sg_backend_tls *t);
struct sg_json *sg_dump_backend_auth(const struct sg_backend_auth *b);

#endif
