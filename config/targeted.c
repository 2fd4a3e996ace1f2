/* The standalone dialect's top-level policies: (agentgateway's
 * LocalPolicy): a name, a target and exactly one policy, which joins the
 * policies an AgentgatewayPolicy makes and is chosen with them by
 * config/resolve.c (the most specific target wins; a route's own inline
 * policy beats every targeted one). */
#include "config/targeted.h"

#include <stdio.h>
#include <string.h>

#include "config/standalone.h"

struct name_in {
	const char *name, *ns;
};

static const struct sg_field name_fields[] = {
	{ "name", sg_f_str, offsetof(struct name_in, name), true },
	{ "namespace", sg_f_str, offsetof(struct name_in, ns), true },
	{ 0 },
};

/* ---- target ------------------------------------------------------------- */

struct target_in {
	struct sg_target t;
	int forms;		     /* how many of gateway, route, backend, listenerSet */
	const struct sg_node *inner; /* the map of the form given */
	const char *form;	     /* its key */
};

/* The map n of target form `form` into ti, a target of kind `kind`. */
static int take_form(struct sg_pctx *c, const struct sg_node *n, struct target_in *ti,
		     const char *form, enum sg_target_kind kind, const struct sg_field *fields,
		     const char *path)
{
	ti->inner = n;
	ti->form = form;
	ti->t.kind = kind;
	return sg_parse_fields(c, n, fields, &ti->t, path);
}

/* {name, namespace, section}: a backend's and a ListenerSet's. */
static const struct sg_field named_fields[] = {
	{ "name", sg_f_str, offsetof(struct sg_target, name), true },
	{ "namespace", sg_f_str, offsetof(struct sg_target, ns), true },
	{ "section", sg_f_str, offsetof(struct sg_target, section) },
	{ 0 },
};

static int f_gw_port(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	/* agentgateway reads a port target for frontend policies alone, and
	 * a top-level policy is a traffic or backend one: it would apply to
	 * nothing. */
	sg_diag_err(c->d, n,
		    "%s: not supported (agentgateway applies a gateway target's port to "
		    "frontendPolicies only, and a top-level policy is a traffic or backend "
		    "policy: it would reach nothing; name the listener with listenerName)",
		    path);
	return -1;
}

static int f_gateway(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "gatewayName", sg_f_str, offsetof(struct sg_target, name), true },
		{ "gatewayNamespace", sg_f_str, offsetof(struct sg_target, ns), true },
		{ "listenerName", sg_f_str, offsetof(struct sg_target, section) },
		{ "port", f_gw_port, 0 },
		{ 0 },
	};
	struct target_in *ti = dst;

	ti->forms++;
	return take_form(c, n, ti, "gateway", SG_TARGET_GATEWAY, fields, path);
}

/* agentgateway's RouteName.kind: a Kubernetes route's; none: a route of
 * this file. */
static int f_route_kind(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_target *t = dst;

	if (sg_node_is_null(n))
		return 0;
	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "HTTPRoute"))
		t->route_kind = SG_KIND_HTTPROUTE;
	else if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "GRPCRoute"))
		t->route_kind = SG_KIND_GRPCROUTE;
	else
		return sg_expected(c, n, path,
				   "HTTPRoute or GRPCRoute (a Kubernetes route), or no kind (a "
				   "route of this file)");
	return 0;
}

static int f_route(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "name", sg_f_str, offsetof(struct sg_target, name), true },
		{ "namespace", sg_f_str, offsetof(struct sg_target, ns), true },
		{ "ruleName", sg_f_str, offsetof(struct sg_target, section) },
		{ "kind", f_route_kind, 0 },
		{ 0 },
	};
	struct target_in *ti = dst;

	ti->forms++;
	return take_form(c, n, ti, "route", SG_TARGET_ROUTE, fields, path);
}

/* backend: {name, namespace, section}: a backend by agentgateway's name
 * for it (sg_backend_ref.name). */
static int f_named_backend(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return take_form(c, n, dst, "backend.backend", SG_TARGET_BACKEND, named_fields, path);
}

static int f_service(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "hostname", sg_f_str, offsetof(struct sg_target, hostname), true },
		{ "namespace", sg_f_str, offsetof(struct sg_target, ns), true },
		{ "port", sg_f_port, offsetof(struct sg_target, port) },
		{ 0 },
	};
	return take_form(c, n, dst, "backend.service", SG_TARGET_SERVICE, fields, path);
}

/* backend: "invalid" | {backend: {name, namespace, section}} | {service:
 * {hostname, namespace, port}}. */
static int f_backend(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "backend", f_named_backend, 0 },
		{ "service", f_service, 0 },
		{ 0 },
	};
	struct target_in *ti = dst;

	ti->forms++;
	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "invalid")) {
		sg_diag_err(c->d, n,
			    "%s: not supported (a policy aimed at the invalid backend has nothing "
			    "to act on)",
			    path);
		return -1;
	}
	if (sg_need_map(c, n, path) == -1)
		return -1;
	if (sg_map_len(n) != 1)
		return sg_expected(c, n, path, "a map with exactly one of backend, service");
	return sg_parse_fields(c, n, fields, ti, path);
}

/* listenerSet: {name, namespace, section}: a ListenerSet of the
 * Kubernetes resources loaded beside the file, or one of its listeners. */
static int f_listener_set(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct target_in *ti = dst;

	ti->forms++;
	return take_form(c, n, ti, "listenerSet", SG_TARGET_LISTENERSET, named_fields, path);
}

static const struct sg_field target_fields[] = {
	{ "gateway", f_gateway, 0 },
	{ "route", f_route, 0 },
	{ "backend", f_backend, 0 },
	{ "listenerSet", f_listener_set, 0 },
	{ 0 },
};

/* ---- the policy ---------------------------------------------------------- */

/* What the policy: map holds (parsed as a route's policies into r), as
 * p's kind and value. Exactly one policy, as agentgateway asks. */
static int take_policy(struct sg_pctx *c, const struct sg_route *r, struct sg_policy *p,
		       const struct sg_node *n, const char *path)
{
	const struct sg_filters *f = &r->filters;
	int found = 0;

#define ONE(cond, k, assign)                                                                       \
	if (cond) {                                                                                \
		found++;                                                                           \
		p->kind = k;                                                                       \
		assign;                                                                            \
	}
	ONE(r->has_timeout, SG_POL_TIMEOUT, p->u.timeout = r->timeout)
	ONE(r->has_retry, SG_POL_RETRY, p->u.retry = r->retry)
	ONE(f->request_headers, SG_POL_REQUEST_HEADERS, p->u.hdrmod = f->request_headers)
	ONE(f->response_headers, SG_POL_RESPONSE_HEADERS, p->u.hdrmod = f->response_headers)
	ONE(f->redirect, SG_POL_REDIRECT, p->u.redirect = f->redirect)
	ONE(f->rewrite, SG_POL_URL_REWRITE, p->u.rewrite = f->rewrite)
	ONE(f->direct, SG_POL_DIRECT, p->u.direct = f->direct)
	ONE(f->cors, SG_POL_CORS, p->u.cors = f->cors)
	ONE(f->csrf, SG_POL_CSRF, p->u.csrf = f->csrf)
	ONE(f->ratelimits, SG_POL_LOCAL_RATE_LIMIT, p->u.ratelimits = f->ratelimits)
	ONE(f->remote_rl, SG_POL_REMOTE_RATE_LIMIT, p->u.remote_rl = f->remote_rl)
	ONE(f->transform, SG_POL_TRANSFORM, p->u.transform = f->transform)
	ONE(f->jwt, SG_POL_JWT, p->u.jwt = f->jwt)
	ONE(f->basic, SG_POL_BASIC, p->u.basic = f->basic)
	ONE(f->apikeys, SG_POL_API_KEYS, p->u.apikeys = f->apikeys)
	ONE(f->ext_authz, SG_POL_EXT_AUTHZ, p->u.ext_authz = f->ext_authz)
	ONE(f->authz, SG_POL_AUTHZ, p->u.authz = f->authz)
	ONE(f->oidc, SG_POL_OIDC, p->u.oidc = f->oidc)
	ONE(f->delay, SG_POL_DELAY, p->u.delay = f->delay)
	ONE(f->backend_auth, SG_POL_BACKEND_AUTH, p->u.backend_auth = f->backend_auth)
	ONE(r->backend_tls, SG_POL_BACKEND_TLS, p->u.btls = r->backend_tls)
	ONE(f->a2a, SG_POL_A2A, (void)0)
	if (f->mirrors.n) {
		struct sg_mirrors *ms = sg_arena_alloc(c->a, sizeof(*ms));

		if (!ms)
			return -1;
		*ms = f->mirrors;
		ONE(true, SG_POL_MIRROR, p->u.mirrors = ms)
	}
#undef ONE
	if (f->mcp_authn || f->mcp_authz || r->session) {
		const char *key = f->mcp_authn	 ? "mcpAuthentication"
				  : f->mcp_authz ? "mcpAuthorization"
						 : "sessionPersistence";

		sg_diag_err(c->d, sg_map_get(n, key),
			    "%s.%s: not supported (in a targeted policy; put it in the route's "
			    "policies)",
			    path, key);
		return -1;
	}
	if (found != 1) {
		sg_diag_err(c->d, n, "%s: must contain exactly 1 policy, found %d", path, found);
		return -1;
	}
	return 0;
}

static bool backend_kind(enum sg_pol_kind k)
{
	return k == SG_POL_BACKEND_TLS || k == SG_POL_BACKEND_AUTH || k == SG_POL_A2A;
}

/* What agentgateway makes a backend policy when it is aimed at a backend
 * (split_policies_for_target), of which splicegate has these. */
static bool backend_filter_kind(enum sg_pol_kind k)
{
	return k == SG_POL_REQUEST_HEADERS || k == SG_POL_RESPONSE_HEADERS ||
	       k == SG_POL_REDIRECT || k == SG_POL_MIRROR;
}

/* Of those, the ones splicegate lacks on a backend. */
static bool backend_filter_lacking(enum sg_pol_kind k)
{
	return k == SG_POL_TRANSFORM || k == SG_POL_AUTHZ || k == SG_POL_EXT_AUTHZ;
}

/* What agentgateway runs before the route is chosen (its gateway
 * policies), of which splicegate has these. */
static bool gateway_phase_kind(enum sg_pol_kind k)
{
	return k == SG_POL_CORS || k == SG_POL_JWT || k == SG_POL_BASIC || k == SG_POL_API_KEYS ||
	       k == SG_POL_AUTHZ || k == SG_POL_EXT_AUTHZ || k == SG_POL_OIDC;
}

struct entry_in {
	const struct sg_node *name, *target, *policy;
	bool gateway_phase;
};

static int f_phase(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "route"))
		*(bool *)dst = false;
	else if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "gateway"))
		*(bool *)dst = true;
	else
		return sg_expected(c, n, path, "route or gateway");
	return 0;
}

static const struct sg_field entry_fields[] = {
	{ "name", sg_f_node, offsetof(struct entry_in, name), true },
	{ "target", sg_f_node, offsetof(struct entry_in, target), true },
	{ "phase", f_phase, offsetof(struct entry_in, gateway_phase) },
	{ "policy", sg_f_node, offsetof(struct entry_in, policy), true },
	{ 0 },
};

/* Where the policy may go, given its kind, phase and target. */
static int check_fit(struct sg_pctx *c, const struct sg_policy *p, const struct entry_in *in,
		     const struct sg_node *entry, const char *path)
{
	const char *tpath = sg_path_key(c, path, "target");

	if ((p->target.kind == SG_TARGET_SERVICE || p->target.kind == SG_TARGET_BACKEND) &&
	    !backend_kind(p->kind) && !backend_filter_kind(p->kind)) {
		sg_diag_err(
			c->d, in->target,
			backend_filter_lacking(p->kind)
				? "%s: not supported (transformations, authorization and "
				  "extAuthz aimed at a backend are not implemented): aim it at a "
				  "gateway, listener or route"
				: "%s: not supported (agentgateway keeps this policy a route "
				  "policy, and looks none up on a backend: it would reach "
				  "nothing): aim it at a gateway, listener or route",
			tpath);
		return -1;
	}
	/* agentgateway looks a backend policy up by gateway, listener, route
	 * and backend, never by ListenerSet. */
	if (p->target.kind == SG_TARGET_LISTENERSET && backend_kind(p->kind)) {
		sg_diag_err(c->d, in->target,
			    "%s: not supported (agentgateway applies no backend policy aimed at a "
			    "ListenerSet: aim it at the Gateway, its listener, a route or a "
			    "backend)",
			    tpath);
		return -1;
	}
	if (!p->gateway_phase || backend_kind(p->kind))
		return 0;
	if (!gateway_phase_kind(p->kind)) {
		sg_diag_err(c->d, sg_map_get(entry, "phase"),
			    "%s.phase: gateway runs cors, jwtAuth, basicAuth, apiKey, "
			    "authorization, extAuthz and oidc before the route is chosen; this "
			    "policy takes phase: route",
			    path);
		return -1;
	}
	if (p->target.kind != SG_TARGET_GATEWAY && p->target.kind != SG_TARGET_LISTENERSET) {
		sg_diag_err(c->d, in->target,
			    "%s: a policy of phase gateway is aimed at a gateway, a ListenerSet or "
			    "one of their listeners (it runs before a route is chosen)",
			    tpath);
		return -1;
	}
	return 0;
}

static int parse_entry(struct sg_draft *b, const struct sg_node *n, const char *path)
{
	struct sg_pctx *c = &b->c;
	struct entry_in in = { 0 };
	struct name_in name = { 0 };
	struct target_in ti = { 0 };
	struct sg_route r = { 0 };
	struct sg_policy *p, tmp = { 0 };
	const char *tpath = sg_path_key(c, path, "target");

	if (sg_parse_fields(c, n, entry_fields, &in, path) == -1)
		return -1;
	if (sg_parse_fields(c, in.name, name_fields, &name, sg_path_key(c, path, "name")) == -1 ||
	    sg_parse_fields(c, in.target, target_fields, &ti, tpath) == -1 ||
	    sg_standalone_route_policies(c, in.policy, &r, sg_path_key(c, path, "policy")) == -1)
		return -1;
	if (ti.forms != 1 || !ti.inner) {
		sg_expected(c, in.target, tpath,
			    "a map with exactly one of gateway, route, backend, listenerSet");
		return -1;
	}
	if (take_policy(c, &r, &tmp, in.policy, sg_path_key(c, path, "policy")) == -1)
		return -1;
	tmp.target = ti.t;
	tmp.gateway_phase = in.gateway_phase && !backend_kind(tmp.kind);
	if (check_fit(c, &tmp, &in, n, path) == -1)
		return -1;
	tmp.key = sg_arena_printf(c->a, "%s/%s", name.ns, name.name);
	for (size_t i = 0; tmp.key && i < b->cfg->npolicies; i++)
		if (!strcmp(b->cfg->policies[i].key, tmp.key)) {
			sg_diag_err(c->d, in.name, "%s.name: policy %s is given twice", path,
				    tmp.key);
			return -1;
		}
	if (tmp.kind == SG_POL_OIDC &&
	    sg_standalone_name_oidc(b, tmp.u.oidc, tmp.key) == -1) /* "policy/<key>" */
		return -1;
	tmp.src_kind = "Local";
	tmp.src_name = name.name;
	tmp.src_ns = name.ns;
	tmp.at = n;
	tmp.target_path = sg_path_key(c, tpath, ti.form);
	tmp.target_at = ti.inner;
	if (!tmp.key || !tmp.target_path || !(p = sg_draft_policy(b)))
		return -1;
	*p = tmp;
	return 0;
}

int sg_targeted_parse(struct sg_draft *b, const struct sg_node *n)
{
	int ret = 0;

	if (sg_need_seq(&b->c, n, "policies") == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++)
		if (parse_entry(b, n->items[i], sg_path_idx(&b->c, "policies", i)) == -1)
			ret = -1;
	return ret;
}

/* ---- after every document is read ---------------------------------------- */

static bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static const struct sg_service *service_by_host(const struct sg_cfg *cfg, const char *ns,
						const char *hostname)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (streq(cfg->services[i].ns, ns) && streq(cfg->services[i].hostname, hostname))
			return &cfg->services[i];
	return NULL;
}

void sg_targeted_bind(struct sg_cfg *cfg)
{
	for (size_t i = 0; i < cfg->npolicies; i++) {
		struct sg_target *t = &cfg->policies[i].target;
		const struct sg_service *s;

		if (t->kind == SG_TARGET_SERVICE && t->hostname && !t->name &&
		    (s = service_by_host(cfg, t->ns, t->hostname)))
			t->name = s->name;
	}
}

static bool has_listener(const struct sg_cfg *cfg, const struct sg_target *t)
{
	for (size_t b = 0; b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &cfg->binds[b].listeners[i];

			if (streq(l->gw_ns, t->ns) && streq(l->gw_name, t->name))
				return true;
		}
	return false;
}

static bool named_backend(const struct sg_cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nnamed_backends; i++)
		if (streq(cfg->named_backends[i].name, name))
			return true;
	return false;
}

static bool has_listener_set(const struct sg_cfg *cfg, const struct sg_target *t)
{
	for (size_t b = 0; b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &cfg->binds[b].listeners[i];

			if (streq(l->ls_kind, "ListenerSet") && streq(l->ls_ns, t->ns) &&
			    streq(l->ls_name, t->name))
				return true;
		}
	return false;
}

static bool has_route(const struct sg_cfg *cfg, const struct sg_target *t)
{
	for (size_t b = 0; b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &cfg->binds[b].listeners[i];

			for (size_t r = 0; r < l->nroutes; r++) {
				const struct sg_route *rt = &l->routes[r];

				if (t->route_kind ? rt->hr_kind == t->route_kind &&
							    streq(rt->hr_ns, t->ns) &&
							    streq(rt->hr_name, t->name)
						  : !rt->hr_name && streq(rt->ns, t->ns) &&
							    streq(rt->name, t->name))
					return true;
			}
		}
	return false;
}

static bool service_has_port(const struct sg_cfg *cfg, const struct sg_target *t)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct sg_service *s = &cfg->services[i];

		if (!streq(s->ns, t->ns) || !streq(s->name, t->name))
			continue;
		for (size_t j = 0; j < s->nports; j++)
			if (s->ports[j].port == t->port)
				return true;
	}
	return false;
}

/* Why p's target names nothing (into buf), and the key to blame; NULL:
 * it names something. */
static const char *nothing(const struct sg_cfg *cfg, const struct sg_policy *p, char *buf,
			   size_t size, const char **key)
{
	const struct sg_target *t = &p->target;

	switch (t->kind) {
	case SG_TARGET_GATEWAY:
		if (p->attached)
			return NULL;
		if (!has_listener(cfg, t)) {
			*key = "gatewayName";
			snprintf(buf, size, "no gateway %s/%s in this config", t->ns, t->name);
		} else {
			*key = "listenerName";
			snprintf(buf, size, "gateway %s/%s has no listener \"%s\"", t->ns, t->name,
				 t->section);
		}
		return buf;
	case SG_TARGET_ROUTE:
		if (p->attached)
			return NULL;
		if (!has_route(cfg, t)) {
			*key = "name";
			snprintf(buf, size, "no route %s/%s in this config", t->ns, t->name);
		} else {
			*key = "ruleName";
			snprintf(buf, size, "route %s/%s has no rule \"%s\"", t->ns, t->name,
				 t->section);
		}
		return buf;
	case SG_TARGET_SERVICE:
		if (!t->name) {
			*key = "hostname";
			snprintf(buf, size, "no service of hostname %s in namespace %s",
				 t->hostname, t->ns);
			return buf;
		}
		if (t->port && !service_has_port(cfg, t)) {
			*key = "port";
			snprintf(buf, size, "service %s/%s has no port %u", t->ns, t->hostname,
				 t->port);
			return buf;
		}
		return NULL;
	case SG_TARGET_LISTENERSET:
		if (p->attached)
			return NULL;
		if (!has_listener_set(cfg, t)) {
			*key = "name";
			snprintf(buf, size, "no ListenerSet %s/%s in this config", t->ns, t->name);
		} else {
			*key = "section";
			snprintf(buf, size, "ListenerSet %s/%s has no listener \"%s\"", t->ns,
				 t->name, t->section);
		}
		return buf;
	case SG_TARGET_BACKEND:
		if (p->attached)
			return NULL;
		*key = t->section ? "section" : "name";
		if (!t->section && named_backend(cfg, t->name))
			snprintf(buf, size,
				 "\"%s\" is a top-level backends: entry, which serves here as a "
				 "tracing collector only (no route names one): give the policy in "
				 "the entry's policies",
				 t->name);
		else if (t->section)
			snprintf(buf, size, "backend %s has no section \"%s\" (none here has)",
				 t->name, t->section);
		else
			snprintf(buf, size,
				 "no backend named \"%s\" in namespace \"%s\" (a route's host or "
				 "dynamic backend is \"<route key>/backend<index>\", namespace "
				 "\"\", as "
				 "config_dump's backends list them)",
				 t->name, t->ns);
		return buf;
	}
	return NULL;
}

int sg_targeted_check(const struct sg_cfg *cfg, struct sg_diag *d)
{
	int ret = 0;

	for (size_t i = 0; i < cfg->npolicies; i++) {
		const struct sg_policy *p = &cfg->policies[i];
		const char *key = NULL, *why;
		const struct sg_node *at;
		char buf[768];

		if (!streq(p->src_kind, "Local") ||
		    !(why = nothing(cfg, p, buf, sizeof(buf), &key)))
			continue;
		at = sg_map_get(p->target_at, key);
		sg_diag_err(d, at ? at : p->target_at, "%s.%s: policy %s names nothing: %s",
			    p->target_path, key, p->key, why);
		ret = -1;
	}
	return ret;
}
