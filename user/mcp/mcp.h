/* The gateway's MCP endpoint: a route whose backend is agentgateway's
 * `mcp` serves MCP's streamable HTTP transport itself (POST of JSON-RPC
 * messages, Mcp-Session-Id sessions, DELETE to end one) and federates the
 * backend's targets (stdio children) behind it: initialize fanned out
 * and merged, lists merged with target prefixes, calls routed by prefix.
 * One hub per worker; the wiring hands it to core/ as ctx->mcp. */
#ifndef SG_MCP_H
#define SG_MCP_H

#include "user/base/loop.h"
#include "user/core/frontend.h"

struct sg_mcp_hub;

/* Sessions a worker holds at most, and a session's idle life. */
#define SG_MCP_SESSIONS_MAX 256
#define SG_MCP_SESSION_IDLE_MS (30 * 60 * 1000)
/* A call to the targets is answered with a JSON-RPC error after this. */
#define SG_MCP_CALL_MS 60000
/* Child processes in the whole process, at most. */
#define SG_MCP_CHILDREN_MAX 512

/* A hub on `loop` (the caller's: sg_mcp_hub_free), NULL when out of
 * memory; *svc filled for sg_frontend's mcp. */
struct sg_mcp_hub *sg_mcp_hub_new(struct sg_loop *loop, struct sg_request_service *svc);

/* Every session ended (their children killed), pending calls dropped
 * without an answer (their requests are gone first), hub freed. NULL is
 * fine. */
void sg_mcp_hub_free(struct sg_mcp_hub *hub);

#endif
