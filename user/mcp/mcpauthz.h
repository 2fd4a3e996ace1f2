/* agentgateway's mcpAuthorization: CEL rules (a RuleSet, policy/authz.h)
 * over who calls (jwt, apiKey, the request) and what they touch, CEL's
 * `mcp.tool`, `mcp.prompt` or `mcp.resource` ({target, name}). A call the
 * rules refuse is answered as if the name did not exist (JSON-RPC -32602
 * "Unknown tool: NAME", as agentgateway hides what exists); a list loses
 * the entries they refuse. Decided on the request's worker, where the
 * whole request is known, before the hub sees a call and before a list's
 * answer is written. The route's rules and its mcp backend's both apply. */
#ifndef SG_MCPAUTHZ_H
#define SG_MCPAUTHZ_H

#include <stdbool.h>
#include <stddef.h>

#include "user/core/request.h"
#include "user/mcp/jsonrpc.h"

/* What a POST asked, as the rules need it: a list method's kind
 * (0: not a list rules filter). */
struct sg_mcp_authz_ask {
	int list; /* 1 + index of the list's kind; 0: none */
};

/* The target a name as the client wrote it belongs to, with *rest its
 * name there: "<target>_<name>" when the backend's names carry prefixes
 * (the hub's rule, sg_mcp_prefixed). NULL: it names no target. */
const char *sg_mcp_target_of(const struct sg_mcp_backend *m, const char *name, const char **rest);

/* What request msg of a client of m touches: a tools/call, prompts/get,
 * resources/read, resources/subscribe or unsubscribe, or a
 * completion/complete whose ref is a prompt or a resource, whose name
 * (uri) names a target's (a resource's: the one target's, else target
 * ""): true with out's kind ("tool", "prompt", "resource"), target and
 * name there, and *written the name as the client wrote it (pointers into
 * msg and m). False: none (another method, no name, a prefix naming no
 * target). */
bool sg_mcp_touches(const struct sg_mcp_backend *m, const struct sg_jsonrpc *msg,
		    struct sg_celreq_mcp *out, const char **written);

/* Whether r's route has mcpAuthorization rules at all: without them
 * nothing below is called (an unconfigured policy costs nothing). */
bool sg_mcp_authz_on(const struct sg_request *r);

/* The POST body[0..len) of r, read before the hub sees it: a call of a
 * tool, prompt or resource the rules refuse gives the JSON-RPC error to
 * answer instead (malloc'd text); NULL lets it through, with in *ask what
 * its answer will need (sg_mcp_authz_reply). */
char *sg_mcp_authz_request(struct sg_request *r, const char *body, size_t len,
			   struct sg_mcp_authz_ask *ask);

/* The hub's answer `body` (malloc'd JSON-RPC text) to r's list call, the
 * entries the rules refuse taken out: the same text when nothing went,
 * else a new one (body freed). NULL when body was, or when memory ran out
 * (body freed: never the unfiltered list). */
char *sg_mcp_authz_reply(struct sg_request *r, const struct sg_mcp_authz_ask *ask, char *body);

/* Whether a client may see t, an entry of a list (its kind, its target,
 * its name there: a resource's or a resource template's URI). */
typedef bool (*sg_mcp_authz_see_fn)(void *arg, const struct sg_celreq_mcp *t);

/* sg_mcp_authz_reply's filter, the rules' decision given as `see`: body
 * answers a `method` call of a client of m; a list the rules filter
 * (tools/list, prompts/list, resources/list, resources/templates/list)
 * loses the entries `see` refuses. Same contract otherwise. */
char *sg_mcp_authz_filter(const struct sg_mcp_backend *m, const char *method, char *body,
			  sg_mcp_authz_see_fn see, void *arg);

#endif
