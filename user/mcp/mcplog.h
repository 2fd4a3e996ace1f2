/* What an MCP request did, kept on it for its access log line, CEL's
 * `mcp` (mcp.methodName, mcp.sessionId, mcp.tool.name, ...) and the MCP
 * metrics (agentgateway_mcp_requests_total): read on the request's worker
 * from its ask and from the hub's reply. */
#ifndef SG_MCPLOG_H
#define SG_MCPLOG_H

#include "user/core/request.h"
#include "user/mcp/mcp.h"

/* r's ask: its session (Mcp-Session-Id), and for a POST its JSON-RPC
 * method and what it touches (a tool, prompt or resource and its target).
 * Kept in r->mcp (made here; nothing when out of memory). */
void sg_mcp_log_ask(struct sg_request *r, const struct sg_mcp_ask *ask);

/* The hub's reply to r: the session an initialize began, when r had
 * none. */
void sg_mcp_log_reply(struct sg_request *r, const struct sg_mcp_reply *rep);

/* A traced request's calls to targets (rep's tcalls), each a client
 * span under its server span, as agentgateway's: named "METHOD TARGET"
 * ("tools/call TARGET_TOOL" for a tool's call), with mcp.target,
 * mcp.method.name and gen_ai.tool.name. Nothing when r is not traced. */
void sg_mcp_log_spans(struct sg_request *r, const struct sg_mcp_reply *rep);

/* The method as the metrics label it: one of MCP's (2025-06-18 and its
 * tasks), else "other", so that a client cannot grow the label set.
 * Returns a static text. */
const char *sg_mcp_log_method_label(const char *method);

#endif
