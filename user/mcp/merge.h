/* Federation of MCP targets as agentgateway does it: their initialize
 * results merged into one, their lists merged with names prefixed by the
 * target's, and a prefixed name taken apart again. No I/O. */
#ifndef SG_MCP_MERGE_H
#define SG_MCP_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "user/base/json.h"

/* What a target answered (its "result"; NULL: it failed or was not asked)
 * and its name. */
struct sg_mcp_part {
	const char *name;
	const struct sg_json *result;
};

/* One initialize result for the client: the protocol version the client
 * asked (`want`) when a target agreed to it, else the first target's; the
 * union of the targets' capabilities (each capability object the first
 * target's that has it); serverInfo the gateway's. Returns malloc'd JSON
 * text, NULL when no part has a result or memory ran out. */
char *sg_mcp_merge_initialize(const struct sg_mcp_part *parts, size_t n, const char *want);

/* One list result: result[key] of every part in order, each item's
 * `field` ("name") written "<target>_<value>" when `prefix`. Other keys
 * (nextCursor) are dropped: the merged list is whole. Returns malloc'd
 * JSON text {"<key>":[...]}, NULL when memory ran out. */
char *sg_mcp_merge_list(const struct sg_mcp_part *parts, size_t n, const char *key,
			const char *field, bool prefix);

/* Which of the n target names `name` starts with followed by "_" (the
 * longest such), with *rest the name past it. Returns its index, or -1. */
int sg_mcp_unprefix(const char *const *names, size_t n, const char *name, const char **rest);

#endif
