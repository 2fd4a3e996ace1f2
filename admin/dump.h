/* config_dump: render a loaded config as agentgateway's admin endpoint
 * renders its own, so the seeds' jq queries return what the seeds show. */
#ifndef SG_DUMP_H
#define SG_DUMP_H

#include "config/cfg.h"
#include "user/base/json.h"

/* Pretty JSON (two-space indent, trailing newline), malloc'd; NULL when
 * out of memory. */
char *sg_dump_config(const struct sg_cfg *cfg);

/* A backendTLS / backendAuth policy as a new object, as agentgateway
 * prints it (the secrets redacted); for admin/mcpdump.c's targets. */
struct sg_json *sg_dump_backend_tls(const struct sg_backend_tls *t);
struct sg_json *sg_dump_backend_auth(const struct sg_backend_auth *b);

#endif
