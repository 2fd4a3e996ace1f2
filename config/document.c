/* agentgateway's standalone document: its top-level keys (config:,
 * frontendPolicies:, binds:, gateways:, mcp:, policies:, ...), each read
 * by the module that knows it; config: and frontendPolicies: and the mcp:
 * shorthand are read here. */
#include "config/document.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/accesslog.h"
#include "config/fields.h"
#include "config/gateways.h"
#include "config/localsvc.h"
#include "config/mcpconf.h"
#include "config/refuse.h"
#include "config/ruleset.h"
#include "config/standalone.h"
#include "config/targeted.h"
#include "config/tlsconf.h"
#include "config/tracing.h"

#define MCP_DEFAULT_PORT 3000

/* ---- config: ------------------------------------------------------------ */

/* An integer that may be null (agentgateway's Option). */
static int f_opt_i64(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_node_is_null(n)) {
		*(int64_t *)dst = SG_UNSET;
		return 0;
	}
	return sg_f_i64(c, n, dst, path);
}

static int f_backend_globals(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	static const struct sg_field fields[] = {
		{ "connectTimeout", sg_f_dur, offsetof(struct sg_global, connect_timeout) },
		{ "poolIdleTimeout", sg_f_dur, offsetof(struct sg_global, pool_idle_timeout) },
		{ "poolMaxSize", f_opt_i64, offsetof(struct sg_global, pool_max_size) },
		{ "keepalives", sg_f_keepalive, offsetof(struct sg_global, keepalives) },
		{ 0 },
	};
	return sg_parse_fields(c, n, fields, dst, path);
}

static const struct sg_field global_fields[] = {
	{ "adminAddr", sg_f_str, offsetof(struct sg_global, admin_addr) },
	{ "statsAddr", sg_f_str, offsetof(struct sg_global, stats_addr) },
	{ "readinessAddr", sg_f_str, offsetof(struct sg_global, readiness_addr) },
	{ "connectionTerminationDeadline", sg_f_dur, offsetof(struct sg_global, drain_timeout) },
	{ "backend", f_backend_globals, 0 },
	{ "logging", sg_f_logging, offsetof(struct sg_global, logging) },
	{ "tracing", sg_f_tracing, offsetof(struct sg_global, tracing) },
	{ "spiffe", sg_f_refused, 0 },
	{ 0 },
};

/* ---- frontendPolicies: -------------------------------------------------- */

struct frontend_policies {
	bool has_http, has_tcp, has_tls;
	struct sg_frontend_http http;
	struct sg_frontend_tcp tcp;
	struct sg_frontend_tls tls;
	const struct sg_node *proxy; /* proxyProtocol, or its other name proxy */
	struct sg_frontend_proxy fproxy;
	const struct sg_log_policy *access; /* accessLog; NULL: none */
	struct sg_authz *netauthz;	    /* networkAuthorization; NULL: none */
	struct sg_tracing *tracing;	    /* tracing; NULL: none */
};

static int f_fp_http(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct frontend_policies *fp = dst;

	fp->has_http = true;
	return sg_f_frontend_http(c, n, &fp->http, path);
}

static int f_fp_tcp(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "keepalives", sg_f_keepalive, offsetof(struct sg_frontend_tcp, keepalives) },
		{ "maxConnections", sg_f_limit, offsetof(struct sg_frontend_tcp, max_connections) },
		{ 0 },
	};
	struct frontend_policies *fp = dst;

	fp->has_tcp = true;
	sg_keepalive_defaults(&fp->tcp.keepalives);
	fp->tcp.max_connections = SG_UNSET;
	return sg_parse_fields(c, n, fields, &fp->tcp, path);
}

static int f_fp_tls(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct frontend_policies *fp = dst;

	fp->has_tls = true;
	return sg_f_frontend_tls(c, n, &fp->tls, path);
}

/* proxyProtocol, which agentgateway also takes as `proxy` (one of them). */
static int f_fp_proxy(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct frontend_policies *fp = dst;

	if (fp->proxy) {
		sg_diag_err(c->d, n,
			    "%s: proxy and proxyProtocol are one setting: give one of them", path);
		return -1;
	}
	fp->proxy = n;
	return sg_f_frontend_proxy(c, n, &fp->fproxy, path);
}

static int f_fp_netauthz(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct frontend_policies *fp = dst;

	if (!(fp->netauthz = sg_arena_alloc(c->a, sizeof(*fp->netauthz))))
		return -1;
	return sg_authz_parse(c, n, fp->netauthz, path);
}

static const struct sg_field frontend_fields[] = {
	{ "http", f_fp_http, 0 },
	{ "tcp", f_fp_tcp, 0 },
	{ "tls", f_fp_tls, 0 },
	{ "proxyProtocol", f_fp_proxy, 0 },
	{ "proxy", f_fp_proxy, 0 },
	{ "networkAuthorization", f_fp_netauthz, 0 },
	{ "accessLog", sg_f_access_log, offsetof(struct frontend_policies, access) },
	{ "tracing", sg_f_frontend_tracing, offsetof(struct frontend_policies, tracing) },
	{ "connect", sg_f_refused, 0 },
	{ "networkExtAuthz", sg_f_refused, 0 },
	{ 0 },
};

/* Standalone frontendPolicies become policies aimed at the standalone
 * gateway, keyed as agentgateway keys them ("frontend/http"). */
static const struct sg_target standalone_gateway = {
	.kind = SG_TARGET_GATEWAY,
	.ns = "default",
	.name = "default",
};

/* A policy of kind `kind` keyed `key`, aimed at the standalone gateway;
 * NULL out of memory. */
static struct sg_policy *frontend_policy(struct sg_draft *b, const char *key, enum sg_pol_kind kind)
{
	struct sg_policy *p = sg_draft_policy(b);

	if (p) {
		p->key = key;
		p->target = standalone_gateway;
		p->kind = kind;
	}
	return p;
}

static int add_frontend_policies(struct sg_draft *b, const struct frontend_policies *fp)
{
	struct sg_policy *p;

#define ADD(key, kind, member, value)                                                              \
	do {                                                                                       \
		if (!(p = frontend_policy(b, key, kind)))                                          \
			return -1;                                                                 \
		p->u.member = value;                                                               \
	} while (0)
	if (fp->has_http)
		ADD("frontend/http", SG_POL_FRONTEND_HTTP, fhttp, fp->http);
	if (fp->has_tcp)
		ADD("frontend/tcp", SG_POL_FRONTEND_TCP, ftcp, fp->tcp);
	if (fp->has_tls)
		ADD("frontend/tls", SG_POL_FRONTEND_TLS, ftls, fp->tls);
	if (fp->proxy)
		ADD("frontend/proxyProtocol", SG_POL_FRONTEND_PROXY, fproxy, fp->fproxy);
	if (fp->access)
		ADD("frontend/accessLog", SG_POL_FRONTEND_ACCESS_LOG, access, fp->access);
	if (fp->netauthz)
		ADD("frontend/networkAuthorization", SG_POL_FRONTEND_NETAUTHZ, netauthz,
		    fp->netauthz);
	if (fp->tracing)
		ADD("frontend/tracing", SG_POL_FRONTEND_TRACING, tracing, fp->tracing);
#undef ADD
	return 0;
}

/* ---- mcp: --------------------------------------------------------------- */

struct shorthand_in {
	uint16_t port;
	const struct sg_node *policies;
};

static const struct sg_field shorthand_fields[] = {
	{ "port", sg_f_port, offsetof(struct shorthand_in, port) },
	{ "policies", sg_f_node, offsetof(struct shorthand_in, policies) },
	{ "gateways", sg_f_refused, 0 },
	/* LocalMcpBackend's keys, flattened in: read by sg_f_mcp_backend */
	{ "targets", sg_f_ignore, 0 },
	{ "statefulMode", sg_f_ignore, 0 },
	{ "prefixMode", sg_f_ignore, 0 },
	{ "failureMode", sg_f_ignore, 0 },
	{ "dnsRebindingProtection", sg_f_ignore, 0 },
	{ 0 },
};

/* The backend's own keys of the shorthand map: a copy of n without the
 * shorthand's. */
static const struct sg_node *backend_part(struct sg_pctx *c, const struct sg_node *n)
{
	struct sg_node *m = sg_arena_alloc(c->a, sizeof(*m));
	size_t k = 0;

	if (!m)
		return NULL;
	*m = *n;
	m->items = sg_arena_alloc(c->a, (n->n + 1) * sizeof(*m->items));
	if (!m->items)
		return NULL;
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const char *key = sg_map_key(n, i)->str;

		if (strcmp(key, "port") && strcmp(key, "policies") && strcmp(key, "gateways")) {
			m->items[k++] = n->items[2 * i];
			m->items[k++] = n->items[2 * i + 1];
		}
	}
	m->n = m->cap = k;
	return m;
}

static int add_match(struct sg_pctx *c, struct sg_route *r, const char *prefix)
{
	struct sg_match *m =
		sg_arena_push(c->a, &r->matches, &r->nmatches, &r->capmatches, sizeof(*m));

	if (!m)
		return -1;
	m->path_kind = SG_PATH_PREFIX;
	m->path = prefix;
	return 0;
}

/* The top-level `mcp:` map n ({port, policies, targets, ...}): a listener
 * on its port (3000 when unsaid) with one route to the MCP backend its
 * other keys make. Returns 0, or -1 after recording errors. */
static int mcp_shorthand(struct sg_draft *b, const struct sg_node *n)
{
	struct sg_pctx *c = &b->c;
	struct shorthand_in in = { .port = MCP_DEFAULT_PORT };
	struct sg_standalone_listener sl = { .name = "mcp" };
	const struct sg_node *bn;
	struct sg_backend_ref *br;
	struct sg_listener *l;
	struct sg_route *r;

	if (sg_parse_fields(c, n, shorthand_fields, &in, "mcp") == -1)
		return -1;
	if (!(bn = backend_part(c, n)) || !(l = sg_standalone_listener(b, in.port, &sl, n, "mcp")))
		return -1;
	r = sg_arena_push(c->a, &l->routes, &l->nroutes, &l->caproutes, sizeof(*r));
	if (!r)
		return -1;
	r->at = n;
	r->ns = "default";
	r->name = "mcp";
	r->key = sg_arena_printf(c->a, "%s/%s", l->key, r->name);
	/* agentgateway's convert_mcp_config: a port of its own takes every
	 * path (its default_matches), so the well-known paths of
	 * mcpAuthentication reach the route too. */
	if (add_match(c, r, "/") == -1)
		return -1;
	if (in.policies && sg_standalone_own_policies(c, in.policies, r, "mcp.policies") == -1)
		return -1;
	br = sg_arena_push(c->a, &r->backends.v, &r->backends.n, &r->backends.cap, sizeof(*br));
	if (!br)
		return -1;
	br->weight = 1;
	br->at = n;
	return sg_f_mcp_backend(c, bn, br, "mcp");
}

/* ---- the document ------------------------------------------------------- */

struct standalone_in {
	const struct sg_node *config, *frontend, *binds;
	const struct sg_node *gateways, *routes, *tcp_routes, *mcp;
	const struct sg_node *backends, *policies, *services, *workloads, *groups;
};

static const struct sg_field top_fields[] = {
	{ "config", sg_f_node, offsetof(struct standalone_in, config) },
	{ "frontendPolicies", sg_f_node, offsetof(struct standalone_in, frontend) },
	{ "binds", sg_f_node, offsetof(struct standalone_in, binds) },
	{ "gateways", sg_f_node, offsetof(struct standalone_in, gateways) },
	{ "routes", sg_f_node, offsetof(struct standalone_in, routes) },
	{ "tcpRoutes", sg_f_node, offsetof(struct standalone_in, tcp_routes) },
	{ "mcp", sg_f_node, offsetof(struct standalone_in, mcp) },
	{ "policies", sg_f_node, offsetof(struct standalone_in, policies) },
	{ "backends", sg_f_node, offsetof(struct standalone_in, backends) },
	{ "services", sg_f_node, offsetof(struct standalone_in, services) },
	{ "workloads", sg_f_node, offsetof(struct standalone_in, workloads) },
	{ "routeGroups", sg_f_node, offsetof(struct standalone_in, groups) },
	{ "ui", sg_f_refused, 0 },
	{ 0 },
};

int sg_document_parse(struct sg_draft *b, const struct sg_node *doc)
{
	struct sg_pctx *c = &b->c;
	struct standalone_in in = { 0 };
	struct frontend_policies fp = { 0 };
	int ret = 0;

	if (b->nstandalone++) {
		sg_diag_err(c->d, doc,
			    "only one standalone document (config:/binds:) is allowed; the first "
			    "one is already loaded");
		return -1;
	}
	/* agentgateway's simplified modes are other products' front ends:
	 * said by name rather than as an unknown field. */
	for (const char *const *mode = (const char *const[]){ "llm", NULL }; *mode; mode++)
		if (sg_map_get(doc, *mode)) {
			sg_diag_err(
				c->d, sg_map_get(doc, *mode),
				"%s: agentgateway's %s mode is not supported by splicegate (an "
				"HTTP and TCP gateway): write the routes as binds: (agentgateway's "
				"routing-based configuration)",
				*mode, "LLM");
			return -1;
		}
	if (sg_parse_fields(c, doc, top_fields, &in, "") == -1)
		ret = -1; /* and the known keys are parsed on, as a listener's are */
	if (in.config && sg_parse_fields(c, in.config, global_fields, &b->cfg->global, "config"))
		ret = -1;
	if (sg_named_backends_parse(c, in.backends, b->cfg, "backends") == -1)
		ret = -1;
	/* before anything that names a service */
	if (sg_localsvc_parse(c, in.services, in.workloads, b->cfg) == -1)
		ret = -1;
	sg_frontend_http_defaults(&fp.http);
	if (in.frontend &&
	    (sg_parse_fields(c, in.frontend, frontend_fields, &fp, "frontendPolicies") == -1 ||
	     sg_tracing_resolve(c, fp.tracing, b->cfg, "frontendPolicies.tracing") == -1 ||
	     add_frontend_policies(b, &fp) == -1))
		ret = -1;
	if (b->cfg->global.tracing && fp.tracing) { /* agentgateway's own refusal */
		sg_diag_err(c->d, sg_map_get(in.frontend, "tracing"),
			    "frontendPolicies.tracing: cannot use deprecated config.tracing "
			    "together with frontendPolicies.tracing");
		ret = -1;
	}
	/* before any route, which may delegate to one */
	if (in.groups && sg_standalone_groups(b, in.groups) == -1)
		ret = -1;
	if (in.binds && sg_standalone_binds(b, in.binds) == -1)
		ret = -1;
	if (sg_gateways_parse(b, in.gateways, in.routes, in.tcp_routes) == -1)
		ret = -1;
	if (in.mcp && mcp_shorthand(b, in.mcp) == -1)
		ret = -1;
	if (in.policies && sg_targeted_parse(b, in.policies) == -1)
		ret = -1;
	if (ret == 0 && sg_standalone_check_groups(b) == -1)
		ret = -1;
	return ret;
}
