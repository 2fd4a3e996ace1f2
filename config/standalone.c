/* The standalone dialect's listeners and routes (binds:, and what
 * gateways:, routeGroups: and mcp: make of theirs), parsed straight into
 * the model; config/document.c reads the document around them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/auth.h"
#include "config/backendauth.h"
#include "config/oidcconf.h"
#include "config/extauthz.h"
#include "config/remoterl.h"
#include "config/fault.h"
#include "config/draft.h"
#include "config/fields.h"
#include "config/filters.h"
#include "config/ruleset.h"
#include "config/transform.h"
#include "config/standalone.h"
#include "config/hostname.h"
#include "config/localsvc.h"
#include "config/mcpauthconf.h"
#include "config/mcpconf.h"
#include "config/refuse.h"
#include "config/sessconf.h"
#include "config/tlsconf.h"

/* ---- routes ------------------------------------------------------------- */

static int f_timeout(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "requestTimeout", sg_f_dur, offsetof(struct sg_timeout, request) },
		{ "backendRequestTimeout", sg_f_dur, offsetof(struct sg_timeout, backend_request) },
		{ "responseIdleTimeout", sg_f_dur, offsetof(struct sg_timeout, response_idle) },
		{ 0 },
	};
	struct sg_route *r = dst;

	r->has_timeout = true;
	r->timeout.request = SG_DUR_UNSET;
	r->timeout.backend_request = SG_DUR_UNSET;
	r->timeout.response_idle = SG_DUR_UNSET;
	return sg_parse_fields(c, n, fields, &r->timeout, path);
}

static int f_route_retry(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_route *r = dst;

	r->has_retry = true;
	return sg_f_retry_cel(c, n, &r->retry, path);
}

static int host_endpoint(struct sg_pctx *c, struct sg_backend_ref *br, const char *path);
static int f_backend_tls(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

static int f_mirror_backend(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "host", sg_f_str, offsetof(struct sg_backend_ref, host), true },
		{ 0 },
	};
	struct sg_backend_ref *br = sg_arena_alloc(c->a, sizeof(*br));

	if (!br)
		return -1;
	br->kind = SG_BREF_HOST;
	br->weight = 1;
	br->at = n;
	*(struct sg_backend_ref **)dst = br;
	if (n->kind == SG_NODE_MAP && sg_map_len(n) == 1 && !sg_map_get(n, "host")) {
		sg_diag_err(c->d, n, "%s: only {host: \"address:port\"} is supported here", path);
		return -1;
	}
	if (sg_parse_fields(c, n, fields, br, path) == -1)
		return -1;
	return host_endpoint(c, br, path);
}

static int f_fraction(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	char *end;
	double v;

	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n))
		return sg_expected(c, n, path, "a number from 0 to 1");
	v = strtod(n->str, &end);
	if (*end || end == n->str || !(v >= 0 && v <= 1))
		return sg_expected(c, n, path, "a number from 0 to 1");
	*(double *)dst = v;
	return 0;
}

/* requestMirror {backend: {host}, percentage}: one mirror. */
static int f_request_mirror(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "backend", f_mirror_backend, offsetof(struct sg_mirror, backend), true },
		{ "percentage", f_fraction, offsetof(struct sg_mirror, percentage), true },
		{ 0 },
	};
	struct sg_mirrors *ms = &((struct sg_filters *)dst)->mirrors;
	struct sg_mirror *m = sg_arena_push(c->a, &ms->v, &ms->n, &ms->cap, sizeof(*m));

	if (!m)
		return -1;
	return sg_parse_fields(c, n, fields, m, path);
}

#define FILTERS(type) offsetof(type, filters)

/* a2a: {} (agentgateway's A2aPolicy has no field). */
static int f_a2a(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = { { 0 } };

	((struct sg_filters *)dst)->a2a = true;
	return sg_node_is_null(n) ? 0 : sg_parse_fields(c, n, fields, dst, path);
}

static const struct sg_field route_policy_fields[] = {
	{ "timeout", f_timeout, 0 },
	{ "retry", f_route_retry, 0 },
	{ "requestHeaderModifier", sg_f_request_headers, FILTERS(struct sg_route) },
	{ "responseHeaderModifier", sg_f_response_headers, FILTERS(struct sg_route) },
	{ "requestRedirect", sg_f_request_redirect, FILTERS(struct sg_route) },
	{ "urlRewrite", sg_f_url_rewrite, FILTERS(struct sg_route) },
	{ "requestMirror", f_request_mirror, FILTERS(struct sg_route) },
	{ "directResponse", sg_f_direct_response, FILTERS(struct sg_route) },
	{ "cors", sg_f_cors, FILTERS(struct sg_route) },
	{ "csrf", sg_f_csrf, FILTERS(struct sg_route) },
	{ "localRateLimit", sg_f_local_rate_limit, FILTERS(struct sg_route) },
	{ "transformations", sg_f_transformations, FILTERS(struct sg_route) },
	{ "jwtAuth", sg_f_jwt_auth, FILTERS(struct sg_route) },
	{ "authorization", sg_f_authorization, FILTERS(struct sg_route) },
	{ "apiKey", sg_f_api_keys, FILTERS(struct sg_route) },
	{ "basicAuth", sg_f_basic_auth, FILTERS(struct sg_route) },
	{ "extAuthz", sg_f_ext_authz, FILTERS(struct sg_route) },
	{ "remoteRateLimit", sg_f_remote_rate_limit, FILTERS(struct sg_route) },
	{ "delay", sg_f_delay, FILTERS(struct sg_route) },
	{ "oidc", sg_f_oidc, FILTERS(struct sg_route) },
	/* Not in agentgateway's schema: Gateway API's sessionPersistence, in
	 * the shape config_dump shows for an HTTPRoute rule's. */
	{ "sessionPersistence", sg_f_session, 0 },
	{ "a2a", f_a2a, FILTERS(struct sg_route) },
	/* schema/config.json's FilterOrPolicy keys splicegate lacks */
	{ "ai", sg_f_refused, 0 },
	{ "backendAuth", sg_f_backend_auth, FILTERS(struct sg_route) },
	{ "backendTLS", f_backend_tls, offsetof(struct sg_route, backend_tls) },
	{ "backendTunnel", sg_f_refused, 0 },
	{ "buffer", sg_f_refused, 0 },
	{ "extProc", sg_f_refused, 0 },
	{ "mcpAuthentication", sg_f_mcp_authentication, FILTERS(struct sg_route) },
	{ "mcpAuthorization", sg_f_mcp_authorization, FILTERS(struct sg_route) },
	{ "mcpGuardrails", sg_f_refused, 0 },
	{ 0 },
};

static int f_route_policies(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_parse_fields(c, n, route_policy_fields, dst, path);
}

int sg_standalone_route_policies(struct sg_pctx *c, const struct sg_node *n, struct sg_route *r,
				 const char *path)
{
	return f_route_policies(c, n, r, path);
}

static int f_kv_value(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_kv_match *kv = dst;
	const struct sg_node *exact = sg_map_get(n, "exact"), *regex = sg_map_get(n, "regex");

	if (sg_need_map(c, n, path) == -1)
		return -1;
	if (sg_map_len(n) != 1 || (!exact && !regex))
		return sg_expected(c, n, path, "a map with exactly one of exact, regex");
	kv->regex = regex != NULL;
	kv->re_at = exact ? exact : regex;
	kv->re_key = sg_path_key(c, path, exact ? "exact" : "regex");
	if (sg_node_is_null(exact ? exact : regex))
		return sg_expected(c, exact ? exact : regex,
				   sg_path_key(c, path, exact ? "exact" : "regex"), "a string");
	return sg_f_str(c, exact ? exact : regex, &kv->value,
			sg_path_key(c, path, exact ? "exact" : "regex"));
}

static const struct sg_field kv_fields[] = {
	{ "name", sg_f_str, offsetof(struct sg_kv_match, name), true },
	{ "value", f_kv_value, 0, true },
	{ 0 },
};

static int parse_kvs(struct sg_pctx *c, const struct sg_node *n, struct sg_kv_match **v,
		     size_t *cnt, size_t *cap, const char *path)
{
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		struct sg_kv_match *kv = sg_arena_push(c->a, v, cnt, cap, sizeof(*kv));

		if (!kv ||
		    sg_parse_fields(c, n->items[i], kv_fields, kv, sg_path_idx(c, path, i)) == -1)
			ret = -1;
	}
	return ret;
}

static int f_headers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_match *m = dst;

	return parse_kvs(c, n, &m->headers, &m->nheaders, &m->capheaders, path);
}

static int f_query(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_match *m = dst;

	return parse_kvs(c, n, &m->query, &m->nquery, &m->capquery, path);
}

static int f_path(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_parse_match_path(c, n, dst, path);
}

static const struct sg_field match_fields[] = {
	{ "path", f_path, 0 },
	{ "method", sg_f_str, offsetof(struct sg_match, method) },
	{ "headers", f_headers, 0 },
	{ "query", f_query, 0 },
	{ 0 },
};

static int f_matches(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_route *r = dst;
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		struct sg_match *m =
			sg_arena_push(c->a, &r->matches, &r->nmatches, &r->capmatches, sizeof(*m));

		if (!m)
			return -1;
		m->path_kind = SG_PATH_PREFIX;
		m->path = "/";
		if (sg_parse_fields(c, n->items[i], match_fields, m, sg_path_idx(c, path, i)) == -1)
			ret = -1;
	}
	return ret;
}

/* ---- backends ----------------------------------------------------------- */

static int f_backend_http(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "requestTimeout", sg_f_dur, offsetof(struct sg_backend_http, request_timeout) },
		{ "version", sg_f_http_version, offsetof(struct sg_backend_http, version) },
		{ 0 },
	};
	struct sg_backend_http *h = sg_arena_alloc(c->a, sizeof(*h));

	if (!h)
		return -1;
	h->request_timeout = SG_DUR_UNSET;
	*(struct sg_backend_http **)dst = h;
	return sg_parse_fields(c, n, fields, h, path);
}

static int f_tcp_keepalives(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_backend_tcp *t = dst;

	t->has_keepalives = true;
	return sg_f_keepalive(c, n, &t->keepalives, path);
}

static int f_backend_tcp(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "connectTimeout", sg_f_dur, offsetof(struct sg_backend_tcp, connect_timeout) },
		{ "keepalives", f_tcp_keepalives, 0 },
		{ 0 },
	};
	struct sg_backend_tcp *t = sg_arena_alloc(c->a, sizeof(*t));

	if (!t)
		return -1;
	t->connect_timeout = SG_DUR_UNSET;
	*(struct sg_backend_tcp **)dst = t;
	return sg_parse_fields(c, n, fields, t, path);
}

static int f_backend_tls(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	const struct sg_backend_tls *t = sg_parse_backend_tls(c, n, path);

	*(const struct sg_backend_tls **)dst = t;
	return t ? 0 : -1;
}

static const struct sg_field backend_policy_fields[] = {
	{ "http", f_backend_http, offsetof(struct sg_backend_ref, http) },
	{ "tcp", f_backend_tcp, offsetof(struct sg_backend_ref, tcp) },
	{ "health", sg_f_health, offsetof(struct sg_backend_ref, health) },
	{ "backendTLS", f_backend_tls, offsetof(struct sg_backend_ref, tls) },
	{ "requestHeaderModifier", sg_f_request_headers, FILTERS(struct sg_backend_ref) },
	{ "responseHeaderModifier", sg_f_response_headers, FILTERS(struct sg_backend_ref) },
	{ "requestRedirect", sg_f_request_redirect, FILTERS(struct sg_backend_ref) },
	{ "a2a", f_a2a, FILTERS(struct sg_backend_ref) },
	/* schema/config.json's LocalBackendPolicies keys splicegate lacks */
	{ "ai", sg_f_refused, 0 },
	{ "backendAuth", sg_f_backend_auth, FILTERS(struct sg_backend_ref) },
	{ "backendTunnel", sg_f_refused, 0 },
	{ "inferenceRouting", sg_f_refused, 0 },
	{ "mcpAuthorization", sg_f_mcp_authorization, FILTERS(struct sg_backend_ref) },
	{ "mcpGuardrails", sg_f_refused, 0 },
	{ "sessionAffinity", sg_f_refused, 0 },
	{ 0 },
};

static int f_backend_policies(struct sg_pctx *c, const struct sg_node *n, void *dst,
			      const char *path)
{
	return sg_parse_fields(c, n, backend_policy_fields, dst, path);
}

/* `dynamic: {}`: the destination the connection names (its SNI, at the
 * port it was made to); whether its route may take one is the route's
 * call (sg_standalone_route, sg_standalone_tcp_route). */
static int f_dynamic(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "target", sg_f_refused, 0 },
		{ 0 },
	};
	struct sg_backend_ref *br = dst;

	if (!sg_node_is_null(n) && sg_parse_fields(c, n, fields, br, path) == -1)
		return -1;
	br->kind = SG_BREF_DYNAMIC;
	return 0;
}

/* service: {name: "ns/hostname", port}: an entry of the top-level
 * services:, its endpoints the workloads: that name it. */
static int f_service_backend(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	return sg_localsvc_ref(c, n, c->cfg, dst, path);
}

/* routeGroup: NAME: a routeGroups: entry (declared before any route is
 * read: parse_groups), which must not lead back to the route (checked once
 * every route is read: check_groups). */
static int f_group_ref(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_backend_ref *br = dst;

	if (sg_node_is_null(n))
		return sg_expected(c, n, path, "a route group's name");
	if (sg_f_str(c, n, &br->group, path) == -1)
		return -1;
	br->kind = SG_BREF_GROUP;
	for (size_t i = 0; i < c->cfg->ngroups; i++)
		if (!strcmp(c->cfg->groups[i].name, br->group))
			return 0;
	sg_diag_err(c->d, n, "%s: no route group \"%s\" in routeGroups:", path, br->group);
	return -1;
}

static const struct sg_field backend_fields[] = {
	{ "host", sg_f_str, offsetof(struct sg_backend_ref, host) },
	{ "weight", sg_f_u32, offsetof(struct sg_backend_ref, weight) },
	{ "policies", f_backend_policies, 0 },
	/* schema/config.json's other LocalRouteBackend forms */
	{ "ai", sg_f_refused, 0 },
	{ "aws", sg_f_refused, 0 },
	{ "backend", sg_f_refused, 0 },
	{ "dynamic", f_dynamic, 0 },
	{ "internal", sg_f_refused, 0 },
	{ "invalid", sg_f_refused, 0 },
	{ "mcp", sg_f_mcp_backend, 0 },
	{ "routeGroup", f_group_ref, 0 },
	{ "service", f_service_backend, 0 },
	{ 0 },
};

/* "addr:port" or "[v6]:port" -> endpoint. */
static int host_endpoint(struct sg_pctx *c, struct sg_backend_ref *br, const char *path)
{
	const char *colon = strrchr(br->host, ':');
	const char *addr = br->host;
	size_t alen;
	char *end;
	unsigned long port;
	struct sg_endpoint *ep;

	if (!colon || colon == br->host)
		goto bad;
	port = strtoul(colon + 1, &end, 10);
	if (*end || port == 0 || port > 65535 || colon[1] == '\0')
		goto bad;
	alen = (size_t)(colon - addr);
	if (addr[0] == '[' && (alen < 3 || addr[alen - 1] != ']'))
		goto bad;
	if (!sg_host_addr_valid(addr, alen)) {
		sg_diag_err(
			c->d, sg_map_get(br->at, "host"),
			"%s.host: \"%.*s\" is not a host name (RFC 1123), an IPv4 address or an "
			"IPv6 address in brackets; expected \"address:port\" such as "
			"\"127.0.0.1:8000\", \"web.internal:8080\" or \"[::1]:8000\"",
			path, (int)alen, addr);
		return -1;
	}
	if (addr[0] == '[') {
		addr++;
		alen -= 2;
	}
	ep = sg_arena_push(c->a, &br->eps, &br->neps, &br->capeps, sizeof(*ep));
	if (!ep)
		return -1;
	ep->addr = sg_arena_strndup(c->a, addr, alen);
	ep->port = (uint16_t)port;
	br->port = ep->port;
	return 0;
bad:
	sg_diag_err(c->d, sg_map_get(br->at, "host"),
		    "%s.host: expected \"address:port\" such as \"127.0.0.1:8000\", got \"%s\"",
		    path, br->host);
	return -1;
}

static int f_backends(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_brefs *brefs = dst;
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		struct sg_backend_ref *br =
			sg_arena_push(c->a, &brefs->v, &brefs->n, &brefs->cap, sizeof(*br));
		const char *p = sg_path_idx(c, path, i);

		if (!br)
			return -1;
		br->kind = SG_BREF_HOST;
		br->weight = 1;
		br->at = n->items[i];
		if (sg_parse_fields(c, n->items[i], backend_fields, br, p) == -1)
			ret = -1;
		else if (br->kind != SG_BREF_HOST && br->host) {
			sg_diag_err(c->d, n->items[i], "%s: expected host or %s, not both", p,
				    br->kind == SG_BREF_MCP	  ? "mcp"
				    : br->kind == SG_BREF_SERVICE ? "service"
				    : br->kind == SG_BREF_GROUP	  ? "routeGroup"
								  : "dynamic");
			ret = -1;
		} else if (br->kind == SG_BREF_GROUP && sg_map_get(n->items[i], "policies")) {
			/* agentgateway drops them: the request goes on to a
			 * route of the group, whose backends have their own. */
			sg_diag_err(c->d, sg_map_get(n->items[i], "policies"),
				    "%s.policies: not supported on a routeGroup backend (its "
				    "policies reach no backend: put them on the group's routes)",
				    p);
			ret = -1;
		} else if (br->kind != SG_BREF_HOST) {
			/* the gateway itself serves it, or the connection names
			 * it: no endpoint */
		} else if (!br->host) { /* after the other forms, which are refused by name */
			sg_diag_err(c->d, n->items[i], "%s: missing required field \"host\"", p);
			ret = -1;
		} else if (host_endpoint(c, br, p) == -1)
			ret = -1;
		sg_filters_standalone_order(&br->filters);
	}
	return ret;
}

/* The mcp: shorthand's policies, its one route's: in config_dump's
 * order as a route's own (sg_standalone_route). */
int sg_standalone_own_policies(struct sg_pctx *c, const struct sg_node *n, struct sg_route *r,
			       const char *path)
{
	int rc = sg_parse_fields(c, n, route_policy_fields, r, path);
	bool ok;

	sg_filters_standalone_order(&r->filters);
	r->session = sg_sessconf_named(c, r->session, path, &ok);
	return ok ? rc : -1;
}

static const struct sg_field route_fields[] = {
	{ "name", sg_f_str, offsetof(struct sg_route, name) },
	{ "hostnames", sg_f_strs, offsetof(struct sg_route, hostnames) },
	{ "matches", f_matches, 0 },
	{ "policies", f_route_policies, 0 },
	{ "backends", f_backends, offsetof(struct sg_route, backends) },
	{ 0 },
};

static const struct sg_field tcp_route_fields[] = {
	{ "name", sg_f_str, offsetof(struct sg_tcp_route, name) },
	{ "hostnames", sg_f_sni_names, offsetof(struct sg_tcp_route, hostnames) },
	{ "backends", f_backends, offsetof(struct sg_tcp_route, backends) },
	{ 0 },
};

/* ---- binds / listeners -------------------------------------------------- */

struct listener_in {
	struct sg_standalone_listener l;
	const struct sg_node *routes, *tcp_routes, *policies;
};

static const struct sg_field listener_fields[] = {
	{ "name", sg_f_str, offsetof(struct listener_in, l.name) },
	{ "protocol", sg_f_str, offsetof(struct listener_in, l.protocol) },
	{ "hostname", sg_f_str, offsetof(struct listener_in, l.hostname) },
	{ "routes", sg_f_node, offsetof(struct listener_in, routes) },
	{ "tcpRoutes", sg_f_node, offsetof(struct listener_in, tcp_routes) },
	{ "tls", sg_f_node, offsetof(struct listener_in, l.tls) },
	{ "policies", sg_f_node, offsetof(struct listener_in, policies) },
	{ 0 },
};

/* A listener policy splicegate cannot run before routing. */
static int f_gateway_refused(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	(void)dst;
	sg_diag_err(c->d, n,
		    "%s: not supported in a listener's policies (splicegate runs it after the "
		    "route is chosen): put it in each route's policies",
		    path);
	return -1;
}

/* A listener's `policies` (agentgateway's LocalGatewayPolicy): its gateway
 * phase, run on each request of the listener before a route is chosen. */
static const struct sg_field gateway_policy_fields[] = {
	{ "cors", sg_f_cors, 0 },
	{ "jwtAuth", sg_f_jwt_auth, 0 },
	{ "basicAuth", sg_f_basic_auth, 0 },
	{ "apiKey", sg_f_api_keys, 0 },
	{ "authorization", sg_f_authorization, 0 },
	{ "oidc", sg_f_oidc, 0 },
	{ "extAuthz", sg_f_ext_authz, 0 },
	{ "transformations", f_gateway_refused, 0 },
	{ "extProc", sg_f_refused, 0 },
	{ 0 },
};

/* One gateway-phase policy of listener l, as agentgateway lists it:
 * key <owner>/<index>, no name, the listener its target (its port too, so
 * that a listener of the same name on another bind is not one). NULL: out
 * of memory. */
static struct sg_policy *gateway_policy(struct sg_draft *b, const struct sg_listener *l,
					const char *owner, enum sg_pol_kind kind,
					const struct sg_node *at)
{
	size_t idx = 0;
	struct sg_policy *p;
	char *prefix = sg_arena_printf(b->c.a, "%s/", owner);

	for (size_t i = 0; prefix && i < b->cfg->npolicies; i++)
		idx += !strncmp(b->cfg->policies[i].key, prefix, strlen(prefix));
	if (!prefix || !(p = sg_draft_policy(b)))
		return NULL;
	p->key = sg_arena_printf(b->c.a, "%s%zu", prefix, idx);
	p->target = (struct sg_target){ .kind = SG_TARGET_GATEWAY,
					.ns = l->gw_ns,
					.name = l->gw_name,
					.section = l->name,
					.port = l->port };
	p->kind = kind;
	p->gateway_phase = true;
	p->at = at;
	return p->key ? p : NULL;
}

int sg_standalone_name_oidc(struct sg_draft *b, const struct sg_oidc *o, const char *owner)
{
	for (size_t i = 0; i < b->cfg->noidcs; i++)
		if (b->cfg->oidcs[i] == o &&
		    !(b->cfg->oidcs[i]->policy_id = sg_arena_printf(b->c.a, "policy/%s", owner)))
			return -1;
	return 0;
}

int sg_standalone_gateway_policies(struct sg_draft *b, const struct sg_listener *l,
				   const struct sg_node *n, const char *owner, const char *path)
{
	struct sg_pctx *c = &b->c;
	struct sg_filters *f = sg_arena_alloc(c->a, sizeof(*f));
	struct sg_policy *p;

	if (!f || sg_parse_fields(c, n, gateway_policy_fields, f, path) == -1)
		return -1;
	if (f->oidc && sg_standalone_name_oidc(b, f->oidc, owner) == -1)
		return -1;
	if (l->proto != SG_PROTO_HTTP && l->proto != SG_PROTO_HTTPS) {
		sg_diag_err(c->d, n, "%s: a %s listener has no HTTP policies", path,
			    sg_proto_name(l->proto));
		return -1;
	}
#define GW(field, kind, member)                                                                    \
	if (f->field) {                                                                            \
		if (!(p = gateway_policy(b, l, owner, kind, n)))                                   \
			return -1;                                                                 \
		p->u.member = f->field;                                                            \
	}
	GW(cors, SG_POL_CORS, cors)
	GW(jwt, SG_POL_JWT, jwt)
	GW(basic, SG_POL_BASIC, basic)
	GW(apikeys, SG_POL_API_KEYS, apikeys)
	GW(authz, SG_POL_AUTHZ, authz)
	GW(ext_authz, SG_POL_EXT_AUTHZ, ext_authz)
	GW(oidc, SG_POL_OIDC, oidc)
#undef GW
	return 0;
}

struct bind_in {
	uint16_t port;
	const struct sg_node *listeners;
	bool connect, internal;
};

static const struct sg_field bind_fields[] = {
	{ "port", sg_f_port, offsetof(struct bind_in, port), true },
	{ "listeners", sg_f_node, offsetof(struct bind_in, listeners), true },
	{ "tunnelProtocol", sg_f_tunnel_protocol, offsetof(struct bind_in, connect) },
	{ "mode", sg_f_bind_mode, offsetof(struct bind_in, internal) },
	{ 0 },
};

/* A dynamic backend where it cannot go: refused at its `dynamic` key. */
static int refuse_dynamic(struct sg_pctx *c, const struct sg_brefs *brefs, const char *path,
			  const char *where)
{
	for (size_t i = 0; i < brefs->n; i++)
		if (brefs->v[i].kind == SG_BREF_DYNAMIC) {
			sg_diag_err(
				c->d, sg_map_get(brefs->v[i].at, "dynamic"),
				"%s.backends[%zu].dynamic: not supported (dynamic backends in %s)",
				path, i, where);
			return -1;
		}
	return 0;
}

/* Host and dynamic backends get agentgateway's name for them. */
static int name_backends(struct sg_pctx *c, struct sg_brefs *bs, const char *route_key)
{
	for (size_t i = 0; i < bs->n; i++)
		if ((bs->v[i].kind == SG_BREF_HOST || bs->v[i].kind == SG_BREF_DYNAMIC) &&
		    !(bs->v[i].name = sg_arena_printf(c->a, "%s/backend%zu", route_key, i)))
			return -1;
	return 0;
}

/* Route map n, the idx-th of its list, into r in namespace ns, keyed
 * "<owner>/<name>" (a listener's) or, with ns_key, "<owner>/<ns>/<name>"
 * (a route group's, as agentgateway keys them). */
static int parse_route(struct sg_draft *b, struct sg_route *r, const struct sg_node *n,
		       const char *ns, const char *owner, bool ns_key, size_t idx, const char *path)
{
	struct sg_pctx *c = &b->c;
	bool ok;

	r->at = n;
	r->ns = ns;
	if (sg_parse_fields(c, n, route_fields, r, path) == -1)
		return -1;
	sg_filters_standalone_order(&r->filters);
	for (size_t i = 0; r->backend_tls && i < r->backends.n; i++)
		if (!r->backends.v[i].tls) /* a backend's own is more specific */
			r->backends.v[i].tls = r->backend_tls;
	if (!r->name)
		r->name = sg_arena_printf(c->a, "route%zu", idx);
	r->key = ns_key ? sg_arena_printf(c->a, "%s/%s/%s", owner, ns, r->name)
			: sg_arena_printf(c->a, "%s/%s", owner, r->name);
	if (name_backends(c, &r->backends, r->key) == -1)
		return -1;
	r->session = sg_sessconf_named(c, r->session, r->key, &ok);
	if (!ok)
		return -1;
	if (r->nmatches == 0) {
		struct sg_match *m =
			sg_arena_push(c->a, &r->matches, &r->nmatches, &r->capmatches, sizeof(*m));
		if (!m)
			return -1;
		m->path_kind = SG_PATH_PREFIX;
		m->path = "/";
	}
	return 0;
}

int sg_standalone_route(struct sg_draft *b, struct sg_listener *l, const struct sg_node *n,
			const char *ns, const char *path)
{
	size_t idx = l->nroutes;
	struct sg_route *r =
		sg_arena_push(b->c.a, &l->routes, &l->nroutes, &l->caproutes, sizeof(*r));

	if (!r)
		return -1;
	return parse_route(b, r, n, ns, l->key, false, idx, path);
}

int sg_standalone_tcp_route(struct sg_draft *b, struct sg_listener *l, const struct sg_node *n,
			    const char *ns, const char *path)
{
	struct sg_pctx *c = &b->c;
	size_t idx = l->ntcp_routes;
	struct sg_tcp_route *r =
		sg_arena_push(c->a, &l->tcp_routes, &l->ntcp_routes, &l->captcp_routes, sizeof(*r));

	if (!r)
		return -1;
	r->at = n;
	r->ns = ns;
	if (sg_parse_fields(c, n, tcp_route_fields, r, path) == -1)
		return -1;
	for (size_t i = 0; i < r->backends.n; i++)
		if (r->backends.v[i].kind == SG_BREF_GROUP) {
			sg_diag_err(c->d, sg_map_get(r->backends.v[i].at, "routeGroup"),
				    "%s.backends[%zu].routeGroup: not supported in a TCP route "
				    "(a route group holds HTTP routes)",
				    path, i);
			return -1;
		}
	/* The destination is the SNI the hello names, at the port the client
	 * connected to, whether the listener passes TLS through or
	 * terminates it (user/tlsterm.c hands the handshake's SNI over). */
	if (l->proto != SG_PROTO_TLS &&
	    refuse_dynamic(c, &r->backends, path,
			   "a TCP listener's routes (there is no SNI to connect to)") == -1)
		return -1;
	if (!r->name)
		r->name = sg_arena_printf(c->a, "tcproute%zu", idx);
	r->key = sg_arena_printf(c->a, "%s/%s", l->key, r->name);
	if (name_backends(c, &r->backends, r->key) == -1)
		return -1;
	if (r->hostnames.n && l->proto != SG_PROTO_TLS) {
		sg_diag_err(c->d, sg_map_get(n, "hostnames"),
			    "%s.hostnames: only a TLS listener routes by host name (SNI); a "
			    "TCP listener's route takes every connection",
			    path);
		return -1;
	}
	return 0;
}

/* Each of `n`'s routes (HTTP when tcp is false) into l. */
static int parse_routes(struct sg_draft *b, struct sg_listener *l, const struct sg_node *n,
			bool tcp, const char *path)
{
	int ret = 0;

	if (sg_need_seq(&b->c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const char *p = sg_path_idx(&b->c, path, i);

		if ((tcp ? sg_standalone_tcp_route : sg_standalone_route)(b, l, n->items[i],
									  "default", p) == -1)
			ret = -1;
	}
	return ret;
}

static int parse_proto(struct sg_pctx *c, const struct sg_node *at, const char *s,
		       enum sg_proto *out, const char *path)
{
	if (!s || !strcmp(s, "HTTP")) {
		*out = SG_PROTO_HTTP;
		return 0;
	}
	if (!strcmp(s, "TCP")) {
		*out = SG_PROTO_TCP;
		return 0;
	}
	if (!strcmp(s, "TLS")) {
		*out = SG_PROTO_TLS;
		return 0;
	}
	if (!strcmp(s, "HTTPS")) {
		*out = SG_PROTO_HTTPS;
		return 0;
	}
	return sg_expected(c, at, path, "HTTP, HTTPS, TCP or TLS");
}

struct sg_listener *sg_standalone_listener(struct sg_draft *b, uint16_t port,
					   const struct sg_standalone_listener *in,
					   const struct sg_node *at, const char *path)
{
	struct sg_pctx *c = &b->c;
	enum sg_proto proto = SG_PROTO_HTTP;
	struct sg_tls_cert *tls = NULL;
	struct sg_bind *bind;
	struct sg_listener *l;

	if (parse_proto(c, sg_map_get(at, "protocol"), in->protocol, &proto,
			sg_path_key(c, path, "protocol")) == -1)
		return NULL;
	/* A TLS listener without `tls` passes connections through by SNI;
	 * with it, it terminates them and its tcpRoutes get the plaintext
	 * (agentgateway's too). */
	if (in->tls && proto != SG_PROTO_HTTPS && proto != SG_PROTO_TLS) {
		sg_expected(c, in->tls, sg_path_key(c, path, "tls"),
			    "no tls section (HTTPS and TLS listeners terminate TLS)");
		return NULL;
	}
	if (proto == SG_PROTO_HTTPS && !in->tls) {
		sg_diag_err(c->d, at, "%s: an HTTPS listener needs tls: {cert, key}", path);
		return NULL;
	}
	if (in->tls && !(tls = sg_parse_tls_files(c, in->tls, sg_path_key(c, path, "tls"))))
		return NULL;
	bind = sg_draft_bind(b, port, proto, at);
	if (!bind || !(l = sg_draft_listener(b, bind, at)))
		return NULL;
	l->gw_ns = "default";
	l->gw_name = "default";
	l->name = in->name;
	l->key = sg_arena_printf(c->a, "%s/%s", bind->key, l->name);
	l->hostname = in->hostname ? in->hostname : "";
	l->proto = proto;
	l->port = port;
	l->tls = tls;
	return l;
}

static int parse_listener(struct sg_draft *b, uint16_t port, const struct sg_node *n, size_t idx,
			  const char *path)
{
	struct sg_pctx *c = &b->c;
	struct listener_in in = { 0 };
	struct sg_listener *l;
	int ret = 0;

	/* A listener with a wrong key goes on: its routes' errors are
	 * reported too, so that `check` shows every error of a file. */
	if (sg_parse_fields(c, n, listener_fields, &in, path) == -1)
		ret = -1;
	if (!in.l.name)
		in.l.name = sg_arena_printf(c->a, "listener%zu", idx);
	if (!(l = sg_standalone_listener(b, port, &in.l, n, path)))
		return -1;
	if (in.routes && l->proto != SG_PROTO_HTTP && l->proto != SG_PROTO_HTTPS) {
		sg_diag_err(c->d, in.routes, "%s.routes: a %s listener takes tcpRoutes", path,
			    sg_proto_name(l->proto));
		ret = -1;
	} else if (in.routes &&
		   parse_routes(b, l, in.routes, false, sg_path_key(c, path, "routes")))
		ret = -1;
	if (in.tcp_routes && (l->proto == SG_PROTO_HTTP || l->proto == SG_PROTO_HTTPS)) {
		sg_diag_err(c->d, in.tcp_routes, "%s.tcpRoutes: an %s listener takes routes", path,
			    sg_proto_name(l->proto));
		ret = -1;
	} else if (in.tcp_routes &&
		   parse_routes(b, l, in.tcp_routes, true, sg_path_key(c, path, "tcpRoutes")))
		ret = -1;
	if (in.policies && sg_standalone_gateway_policies(
				   b, l, in.policies, sg_arena_printf(c->a, "listener/%s", l->key),
				   sg_path_key(c, path, "policies")) == -1)
		ret = -1;
	return ret;
}

/* A tunnelProtocol: connect bind (`at`): an HTTP bind of its own, without
 * listeners: what its CONNECTs reach are the other binds. */
static int connect_bind(struct sg_draft *b, const struct bind_in *in, const struct sg_node *at,
			const char *path)
{
	struct sg_pctx *c = &b->c;
	struct sg_bind *bind;

	if (in->internal) {
		sg_diag_err(c->d, sg_map_get(at, "mode"),
			    "%s.mode: an internal bind has no socket to take CONNECT on; "
			    "tunnelProtocol: connect needs mode: standard",
			    path);
		return -1;
	}
	if (in->listeners->kind != SG_NODE_SEQ || in->listeners->n) {
		sg_diag_err(c->d, in->listeners,
			    "%s.listeners: a tunnelProtocol: connect bind takes listeners: [] "
			    "(CONNECT over TLS, or listeners in front of it, are not "
			    "implemented yet)",
			    path);
		return -1;
	}
	for (size_t i = 0; i < b->cfg->nbinds; i++)
		if (b->cfg->binds[i].port == in->port) {
			sg_diag_err(c->d, sg_map_get(at, "port"),
				    "%s.port: port %u is configured twice", path, in->port);
			return -1;
		}
	if (!(bind = sg_draft_bind(b, in->port, SG_PROTO_HTTP, at)))
		return -1;
	bind->connect = true;
	return 0;
}

/* mode: internal on the bind the listeners of `in` made (none: nothing
 * to mark); one port is one mode. */
static int mark_internal(struct sg_draft *b, const struct bind_in *in, const struct sg_node *at,
			 const char *path)
{
	for (size_t i = 0; i < b->cfg->nbinds; i++) {
		struct sg_bind *bind = &b->cfg->binds[i];

		if (bind->port != in->port)
			continue;
		if (bind->internal != in->internal && bind->nlisteners > in->listeners->n) {
			sg_diag_err(b->c.d, at,
				    "%s: port %u is given twice, with mode standard and internal",
				    path, in->port);
			return -1;
		}
		bind->internal = in->internal;
	}
	return 0;
}

int sg_standalone_binds(struct sg_draft *b, const struct sg_node *n)
{
	struct sg_pctx *c = &b->c;
	int ret = 0;

	if (sg_need_seq(c, n, "binds") == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const char *path = sg_path_idx(c, "binds", i);
		struct bind_in in = { 0 };

		if (sg_parse_fields(c, n->items[i], bind_fields, &in, path) == -1) {
			ret = -1;
			continue;
		}
		if (in.connect) {
			if (connect_bind(b, &in, n->items[i], path) == -1)
				ret = -1;
			continue;
		}
		path = sg_path_key(c, path, "listeners");
		if (sg_need_seq(c, in.listeners, path) == -1) {
			ret = -1;
			continue;
		}
		for (size_t j = 0; j < in.listeners->n; j++)
			if (parse_listener(b, in.port, in.listeners->items[j], j,
					   sg_path_idx(c, path, j)) == -1)
				ret = -1;
		if (mark_internal(b, &in, n->items[i], path) == -1)
			ret = -1;
	}
	return ret;
}

/* ---- routeGroups -------------------------------------------------------- */

struct group_in {
	const char *name;
	const struct sg_node *routes;
};

static const struct sg_field group_fields[] = {
	{ "name", sg_f_str, offsetof(struct group_in, name), true },
	{ "routes", sg_f_node, offsetof(struct group_in, routes), true },
	{ 0 },
};

/* routeGroups: [{name, routes}]: the groups, named first so that any
 * route may delegate to any of them, then each group's routes, read as a
 * listener's are, in namespace default, keyed
 * "routegroup/<name>/default/<route>". */
int sg_standalone_groups(struct sg_draft *b, const struct sg_node *n)
{
	struct sg_pctx *c = &b->c;
	struct sg_cfg *cfg = b->cfg;
	const struct sg_node **routes;
	int ret = 0;

	if (sg_need_seq(c, n, "routeGroups") == -1)
		return -1;
	if (!(routes = sg_arena_alloc(c->a, (n->n + 1) * sizeof(*routes))))
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const char *path = sg_path_idx(c, "routeGroups", i);
		struct group_in in = { 0 };
		struct sg_route_group *g;

		if (sg_parse_fields(c, n->items[i], group_fields, &in, path) == -1) {
			ret = -1;
			continue;
		}
		for (size_t j = 0; j < cfg->ngroups; j++)
			if (!strcmp(cfg->groups[j].name, in.name)) {
				sg_diag_err(c->d, sg_map_get(n->items[i], "name"),
					    "%s.name: route group \"%s\" is given twice", path,
					    in.name);
				return -1;
			}
		if (sg_need_seq(c, in.routes, sg_path_key(c, path, "routes")) == -1 ||
		    !(g = sg_arena_push(c->a, &cfg->groups, &cfg->ngroups, &cfg->capgroups,
					sizeof(*g))) ||
		    !(g->key = sg_arena_printf(c->a, "routegroup/%s", in.name))) {
			ret = -1;
			continue;
		}
		g->name = in.name;
		g->at = n->items[i];
		routes[cfg->ngroups - 1] = in.routes;
	}
	for (size_t i = 0; ret == 0 && i < cfg->ngroups; i++) {
		struct sg_route_group *g = &cfg->groups[i];
		const char *rpath = sg_path_key(c, sg_path_idx(c, "routeGroups", i), "routes");

		for (size_t j = 0; j < routes[i]->n; j++) {
			struct sg_route *r = sg_arena_push(c->a, &g->routes, &g->nroutes,
							   &g->caproutes, sizeof(*r));

			if (!r || parse_route(b, r, routes[i]->items[j], "default", g->key, true, j,
					      sg_path_idx(c, rpath, j)) == -1)
				ret = -1;
		}
	}
	return ret;
}

static const struct sg_route_group *group_named(const struct sg_cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ngroups; i++)
		if (!strcmp(cfg->groups[i].name, name))
			return &cfg->groups[i];
	return NULL;
}

static int too_deep(struct sg_draft *b, const struct sg_route_group *rg)
{
	sg_diag_err(b->c.d, rg->at,
		    "routeGroups: a chain of routeGroup backends through route group \"%s\" "
		    "passes more than %d groups",
		    rg->name, SG_ROUTE_GROUP_DEPTH - 1);
	return -1;
}

/* Depth-first from group g, the depth-th group of a chain (state: 0
 * unseen, -1 on the path, else how many groups the longest chain from it
 * has): that number, or -1 after an error. A group met again on the path
 * is a cycle, which agentgateway finds per request and answers; here it
 * is refused at load, with the path that makes it. */
static int walk_group(struct sg_draft *b, size_t g, int *state, size_t *path, size_t depth)
{
	const struct sg_cfg *cfg = b->cfg;
	const struct sg_route_group *rg = &cfg->groups[g];
	int height = 0;

	if (state[g] > 0)
		return depth + (size_t)state[g] >= SG_ROUTE_GROUP_DEPTH ? too_deep(b, rg)
									: state[g];
	path[depth] = g;
	if (state[g] < 0) {
		char buf[1024];
		size_t used = 0, from = 0;

		while (path[from] != g)
			from++;
		for (size_t i = from; i <= depth && used < sizeof(buf); i++)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s",
						 i > from ? " -> " : "", cfg->groups[path[i]].name);
		sg_diag_err(b->c.d, rg->at,
			    "routeGroups: route group \"%s\" delegates back to itself (%s): a "
			    "routeGroup chain must end in a backend",
			    rg->name, buf);
		return -1;
	}
	if (depth + 1 >= SG_ROUTE_GROUP_DEPTH)
		return too_deep(b, rg);
	state[g] = -1;
	for (size_t r = 0; r < rg->nroutes; r++)
		for (size_t i = 0; i < rg->routes[r].backends.n; i++) {
			const struct sg_backend_ref *br = &rg->routes[r].backends.v[i];
			int h;

			if (br->kind != SG_BREF_GROUP)
				continue;
			h = walk_group(b, (size_t)(group_named(cfg, br->group) - cfg->groups),
				       state, path, depth + 1);
			if (h < 0)
				return -1;
			if (h > height)
				height = h;
		}
	return state[g] = height + 1;
}

/* No chain of routeGroup backends comes back to a group it left, or
 * passes through more than SG_ROUTE_GROUP_DEPTH - 1 groups. */
int sg_standalone_check_groups(struct sg_draft *b)
{
	const struct sg_cfg *cfg = b->cfg;
	size_t path[SG_ROUTE_GROUP_DEPTH];
	int *state;

	if (!cfg->ngroups)
		return 0;
	if (!(state = sg_arena_alloc(b->c.a, cfg->ngroups * sizeof(*state))))
		return -1;
	for (size_t g = 0; g < cfg->ngroups; g++)
		if (walk_group(b, g, state, path, 0) < 0)
			return -1;
	return 0;
}
