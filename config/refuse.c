/* The keys splicegate refuses, with the reason a user reads. One table
 * for every place of the standalone file, found by key: a key means the
 * same thing wherever agentgateway's schema puts it. */
#include <string.h>

#include "config/refuse.h"

struct refusal {
	const char *key, *why;
};

static const struct refusal refused[] = {
	/* MCP, LLM, A2A: agent protocols over HTTP. */
	{ "openapi", "MCP targets made from an OpenAPI schema are not implemented yet" },
	{ "mcpGuardrails", "MCP guardrails are not implemented yet" },
	{ "ai", "LLM backends and policies are not supported" },
	{ "inferenceRouting", "LLM inference routing is not supported" },
	{ "a2a", "the Agent2Agent policy is not implemented yet" },
	/* Cloud providers. */
	{ "aws", "AWS backends are a cloud-provider key, not supported" },
	{ "spiffe", "SPIFFE identities are a cloud-provider key, not supported" },
	/* Backends chosen elsewhere than in the route. */
	{ "dynamic", "dynamic backends, to the destination the request names, are not "
		     "implemented yet" },
	{ "service", "service backends (top-level services:) are not implemented yet" },
	{ "backend", "named backends (top-level backends:) are not implemented yet: write the "
		     "backend inline as host: \"address:port\"" },
	{ "internal", "the in-process admin backend is not supported" },
	{ "invalid", "a backend that always fails is not supported" },
	{ "routeGroup", "route delegation (routeGroups) is not implemented yet" },
	/* Traffic policies not implemented yet. */
	{ "backendAuth", "backend credentials go in a route's or a backend's policies" },
	{ "backendTunnel", "tunnelling to a backend through a proxy is not implemented yet" },
	{ "buffer", "request body buffering is not implemented yet" },
	{ "extProc", "external processing is not implemented yet" },
	{ "sessionAffinity", "session affinity is not implemented yet" },
	{ "connect", "the frontend CONNECT policy is not implemented yet" },
	{ "networkExtAuthz", "external authorization of connections is not implemented yet" },
	{ "policies", "policies here are not implemented yet: put them in the route's "
		      "policies" },
	{ "ruleName", "a route here is one rule; name it with name" },
};

/* Top-level sections of the current format splicegate lacks. */
static const struct refusal refused_top[] = {
	{ "policies", "targeted policies are not implemented yet: put them in a route's "
		      "policies" },
	{ "backends", "named backends are not implemented yet: write them inline in each "
		      "route's backends" },
	{ "services", "services are not implemented yet: write the backends inline as host" },
	{ "workloads", "workloads are not implemented yet: write the backends inline as host" },
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

/* A key of which splicegate has only the default value `only`. */
static int only(struct sg_pctx *c, const struct sg_node *n, const char *path, const char *value,
		const char *why)
{
	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n))
		return sg_expected(c, n, path, "a string");
	if (!strcmp(n->str, value))
		return 0;
	sg_diag_err(c->d, n, "%s: \"%s\" is not supported (%s)", path, n->str, why);
	return -1;
}

int sg_f_tunnel_protocol(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return only(c, n, path, "direct",
		    "only direct: an egress proxy taking CONNECT, and HBONE or proxy tunnels, "
		    "are not implemented yet");
}

int sg_f_bind_mode(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return only(c, n, path, "standard",
		    "only standard: an internal bind, reached by re-entry from a CONNECT "
		    "listener, is not implemented yet");
}
