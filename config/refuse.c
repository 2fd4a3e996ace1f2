/* The keys splicegate refuses, with the reason a user reads. One table
 * for every place of the standalone file and of an AgentgatewayPolicy,
 * found by key: a key means the same thing wherever agentgateway's schema
 * puts it. */
#include <string.h>

#include "config/refuse.h"

struct refusal {
	const char *key, *why;
};

static const struct refusal refused[] = {
	/* MCP, LLM, A2A: agent protocols over HTTP. */
	{ "mcpGuardrails", "MCP guardrails are not implemented yet" },
	{ "ai", "LLM backends and policies are not supported" },
	{ "inferenceRouting", "LLM inference routing is not supported" },
	{ "a2a", "the Agent2Agent policy is a route's: put it in the route's policies" },
	/* Cloud providers. */
	{ "aws", "AWS backends are a cloud-provider key, not supported" },
	{ "spiffe", "SPIFFE identities are a cloud-provider key, not supported" },
	/* Backends chosen elsewhere than in the route. */
	{ "target", "a dynamic backend's target expression is not implemented yet: the "
		    "destination is the connection's SNI at its destination port" },
	{ "service", "a service backend is a route's (of the top-level services:)" },
	{ "backend", "a route does not name a top-level backends: entry yet (they serve "
		     "frontendPolicies.tracing): write the backend inline as host: "
		     "\"address:port\"" },
	{ "internal", "the in-process admin backend is not supported" },
	{ "invalid", "a backend that always fails is not supported" },
	{ "routeGroup", "route delegation (routeGroups) is not implemented yet" },
	/* Traffic policies not implemented yet. */
	{ "backendAuth", "backend credentials go in a route's or a backend's policies" },
	{ "backendTunnel", "tunnelling to a backend through a proxy is not implemented yet" },
	{ "buffer", "request body buffering is not implemented yet" },
	{ "extProc", "external processing is not implemented yet" },
	/* agentgateway hashes the value over a service's endpoints or an LLM
	 * backend's providers; a host backend has one endpoint (its
	 * addresses are tried in order), where agentgateway ignores it. */
	{ "sessionAffinity", "it picks among a service's endpoints, and a host backend has one: "
			     "give the route a sessionPersistence policy to keep a client on one "
			     "of its backends" },
	{ "connect", "the frontend CONNECT policy is not implemented yet" },
	{ "networkExtAuthz", "external authorization of connections is not implemented yet" },
	{ "policies", "policies here are not implemented yet: put them in the route's "
		      "policies" },
	/* AgentgatewayPolicy sections splicegate lacks. */
	{ "mcp", "MCP settings in an AgentgatewayPolicy are not implemented yet (the "
		 "standalone mcp backend is: docs/mcp.md)" },
	{ "transformation", "transformations in an AgentgatewayPolicy are not implemented yet "
			    "(the standalone route policy transformations is)" },
	{ "extAuth", "external authorization of a backend is not implemented yet: put it in "
		     "traffic.extAuth" },
	{ "tunnel", "tunnelling to a backend through a proxy is not implemented yet" },
	{ "metrics", "metric attributes are not implemented yet" },
	{ "networkAuthorization", "network authorization in an AgentgatewayPolicy is not "
				  "implemented yet (the standalone "
				  "frontendPolicies.networkAuthorization is)" },
	{ "targetSelectors", "targets chosen by label are not implemented yet: name them in "
			     "targetRefs" },
	{ "ruleName", "a route here is one rule; name it with name" },
};

/* Top-level sections of the current format splicegate lacks. */
static const struct refusal refused_top[] = {
	{ "routeGroups", "route delegation is not implemented yet" },
	{ "ui", "agentgateway's UI is not part of splicegate" },
};

static const char *why(const struct refusal *t, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].key, key))
			return t[i].why;
	return NULL;
}

int sg_f_refused(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *key = dot ? dot + 1 : path;
	const char *reason = NULL;

	(void)dst;
	if (key == path)
		reason = why(refused_top, sizeof(refused_top) / sizeof(refused_top[0]), key);
	if (!reason)
		reason = why(refused, sizeof(refused) / sizeof(refused[0]), key);
	if (reason)
		sg_diag_err(c->d, n, "%s: not supported (%s)", path, reason);
	else
		sg_diag_err(c->d, n, "%s: not supported", path);
	return -1;
}

/* A string key of which splicegate has the values `yes` (true into dst)
 * and `no` (false); `refused` are agentgateway's others, refused with
 * `why`. */
static int one_of(struct sg_pctx *c, const struct sg_node *n, bool *dst, const char *path,
		  const char *no, const char *yes, const char *const *others, const char *why)
{
	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n))
		return sg_expected(c, n, path, "a string");
	if (!strcmp(n->str, no) || !strcmp(n->str, yes)) {
		*dst = !strcmp(n->str, yes);
		return 0;
	}
	for (; *others; others++)
		if (!strcmp(n->str, *others)) {
			sg_diag_err(c->d, n, "%s: \"%s\" is not supported (%s)", path, n->str, why);
			return -1;
		}
	sg_diag_err(c->d, n, "%s: expected %s or %s, got \"%s\"", path, no, yes, n->str);
	return -1;
}

int sg_f_tunnel_protocol(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const char *const others[] = { "hboneWaypoint", "hboneGateway", "proxy", NULL };

	return one_of(c, n, dst, path, "direct", "connect", others,
		      "only direct and connect: HBONE and PROXY-protocol tunnels are not "
		      "implemented");
}

int sg_f_bind_mode(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const char *const others[] = { NULL };

	return one_of(c, n, dst, path, "standard", "internal", others, "");
}
