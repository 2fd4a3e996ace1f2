/* An MCP `openapi` target's document (OpenAPI 3.0, JSON or YAML) read at
 * load and made tools as agentgateway makes them (its
 * mcp/upstream/openapi parse_openapi_schema over the openapiv3 crate):
 * each operation a tool named by its operationId, whose input schema has
 * `path`, `query` and `header` objects of its parameters and `body` of its
 * JSON (or octet-stream) request body, each schema written back as the
 * openapiv3 crate writes it. What agentgateway would send wrongly or
 * drop (cookie parameters, styles other than the default, other body
 * media types, servers per path) is refused by name. */
#ifndef SG_CONFIG_OPENAPICONF_H
#define SG_CONFIG_OPENAPICONF_H

#include <stddef.h>

#include "config/arena.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "config/fields.h"
#include "config/node.h"

/* The JSON of a document's tools, all together, at most (a tools/list
 * answer must fit in one MCP message). */
#define SG_OPENAPI_TOOLS_MAX (3u << 20)
/* A document's size, at most. */
#define SG_OPENAPI_DOC_MAX (16u << 20)

/* The target's `schema` n: {file: PATH} or an inline string (the
 * document's text); {url} is refused by name. The document is read and
 * its operations made t's tools (t->tools, ntools, api_prefix, in the
 * arena). Returns 0, or -1 after recording an error (the document's own
 * errors at its file:line:col). */
int sg_openapi_schema(struct sg_pctx *c, const struct sg_node *n, struct sg_mcp_target *t,
		      const char *path);

/* The conversion alone: the parsed document `doc` into t's tools, as
 * above. Returns 0, or -1 after recording an error in d. */
int sg_openapi_tools(struct sg_arena *a, struct sg_diag *d, const struct sg_node *doc,
		     struct sg_mcp_target *t);

/* The path of a document's server URL that prefixes its operations', as
 * agentgateway reads it: "https://h/v2/" -> "/v2", "https://h" -> "",
 * "/api/v3" -> "/api/v3" (in the arena). */
const char *sg_openapi_server_prefix(struct sg_arena *a, const char *url);

#endif
