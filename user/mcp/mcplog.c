/* An MCP request's telemetry fields (the contract is mcplog.h). */
#include "user/mcp/mcplog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user/core/trace.h"
#include "user/mcp/jsonrpc.h"
#include "user/mcp/mcpauthz.h"

static const char *const methods[] = {
	"initialize",
	"ping",
	"tools/list",
	"tools/call",
	"prompts/list",
	"prompts/get",
	"resources/list",
	"resources/read",
	"resources/templates/list",
	"resources/subscribe",
	"resources/unsubscribe",
	"completion/complete",
	"logging/setLevel",
	"roots/list",
	"sampling/createMessage",
	"elicitation/create",
	"tasks/get",
	"tasks/list",
	"tasks/result",
	"tasks/cancel",
	"notifications/initialized",
	"notifications/cancelled",
	"notifications/progress",
	"notifications/roots/list_changed",
};

const char *sg_mcp_log_method_label(const char *method)
{
	for (size_t i = 0; method && i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(method, methods[i]))
			return methods[i];
	return "other";
}

/* r's fields, made on first use; NULL when out of memory. */
static struct sg_request_mcp *fields(struct sg_request *r)
{
	if (!r->mcp)
		r->mcp = calloc(1, sizeof(*r->mcp));
	return r->mcp;
}

static const char *put(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s);
	return dst;
}

void sg_mcp_log_ask(struct sg_request *r, const struct sg_mcp_ask *ask)
{
	const struct sg_mcp_backend *m = r->at.route->backends.v[0].mcp;
	struct sg_request_mcp *f = fields(r);
	struct sg_celreq_mcp t = { 0 };
	struct sg_jsonrpc msg = { 0 };
	const char *why, *written;

	if (!f)
		return;
	if (ask->has_sid)
		f->cel.session = put(f->session, sizeof(f->session), ask->sid);
	if (ask->method != SG_MCP_POST || !ask->body)
		return;
	if (sg_jsonrpc_parse(ask->body, ask->body_len, &msg, &why)) {
		sg_json_free(msg.root);
		return;
	}
	if (msg.kind != SG_JSONRPC_RESPONSE && msg.method) {
		f->cel.method = put(f->method, sizeof(f->method), msg.method);
		f->metric_method = sg_mcp_log_method_label(msg.method);
		if (sg_mcp_touches(m, &msg, &t, &written)) {
			f->cel.kind = put(f->kind, sizeof(f->kind), t.kind);
			f->cel.target = put(f->target, sizeof(f->target), t.target);
			f->cel.name = put(f->name, sizeof(f->name), t.name);
		}
	}
	sg_jsonrpc_free(&msg);
}

void sg_mcp_log_spans(struct sg_request *r, const struct sg_mcp_reply *rep)
{
	for (size_t i = 0; r->trace && i < rep->ntcalls; i++) {
		const struct sg_mcp_tcall *c = &rep->tcalls[i];
		const char *attrs[] = { "mcp.target", c->target,	  "mcp.method.name",
					c->method,    "gen_ai.tool.name", c->tool };
		char name[192];

		if (!c->start_ns)
			continue;
		if (c->tool[0])
			snprintf(name, sizeof(name), "%s %s_%s", c->method, c->target, c->tool);
		else
			snprintf(name, sizeof(name), "%s %s", c->method, c->target);
		sg_trace_call(r->trace, name, c->start_ns, c->end_ns, attrs, c->tool[0] ? 3 : 2,
			      c->error[0] ? c->error : NULL);
	}
}

void sg_mcp_log_reply(struct sg_request *r, const struct sg_mcp_reply *rep)
{
	struct sg_request_mcp *f = rep->sid[0] ? fields(r) : NULL;

	if (f && !f->cel.session)
		f->cel.session = put(f->session, sizeof(f->session), rep->sid);
}
