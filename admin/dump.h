/* config_dump: render a loaded config as agentgateway's admin endpoint
 * renders its own, so the seeds' jq queries return what the seeds show. */
#ifndef SG_DUMP_H
#define SG_DUMP_H

#include "config/cfg.h"
#include "user/base/json.h"

/* Pretty JSON (two-space indent, trailing newline), malloc'd; NULL when
 * out of memory. */
char *sg_dump_config(const struct sg_cfg *cfg);

#endif
