/* gateways:, routes:, tcpRoutes:, read as agentgateway's loader reads them
 * (crates/agentgateway/src/types/local.rs, convert_gateways and the route
 * loops after it): a gateway without listeners is one listener named after
 * it; with listeners, each is "GATEWAY/NAME" (NAME defaults to listenerN).
 * Listeners are keyed "gateway/REFERENCE". A route attaches to every
 * listener of its kind that its references name, in file order. */
#include <string.h>

#include "config/gateways.h"
#include "config/refuse.h"
#include "config/standalone.h"

/* One listener a gateway made: where it is (its bind's port and its place
 * there: pointers move while listeners are added) and how routes name it. */
struct gw_listener {
	const char *gateway, *ref;
	uint16_t port;
	size_t idx;
	bool tcp;
};

struct gw_set {
	struct gw_listener *v;
	size_t n, cap;
};

struct gateway_in {
	uint16_t port;
	struct sg_standalone_listener l;
	const struct sg_node *listeners;
	bool policies;
};

/* A gateway-phase policy key: parsed with the others once the listener
 * exists (gateway_policies). */
static int f_later(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)c;
	(void)n;
	(void)dst;
	(void)path;
	return 0;
}

/* The policies agentgateway takes on a gateway or a gateway listener
 * (LocalGatewayPolicy, flattened into its map): its gateway phase, as a
 * bind listener's `policies` (config/standalone.c). */
static const char *const policy_keys[] = { "oidc",    "jwtAuth", "authorization",   "extAuthz",
					   "extProc", "cors",	 "transformations", "basicAuth",
					   "apiKey" };
/* clang-format off */
#define GATEWAY_POLICIES \
	{ "oidc", f_later, 0 }, \
	{ "jwtAuth", f_later, 0 }, \
	{ "authorization", f_later, 0 }, \
	{ "extAuthz", f_later, 0 }, \
	{ "extProc", f_later, 0 }, \
	{ "cors", f_later, 0 }, \
	{ "transformations", f_later, 0 }, \
	{ "basicAuth", f_later, 0 }, \
	{ "apiKey", f_later, 0 }
/* clang-format on */

static const struct sg_field gateway_fields[] = {
	{ "port", sg_f_port, offsetof(struct gateway_in, port), true },
	{ "protocol", sg_f_str, offsetof(struct gateway_in, l.protocol) },
	{ "tls", sg_f_node, offsetof(struct gateway_in, l.tls) },
	{ "listeners", sg_f_node, offsetof(struct gateway_in, listeners) },
	GATEWAY_POLICIES,
	{ 0 },
};

static const struct sg_field gateway_listener_fields[] = {
	{ "name", sg_f_str, offsetof(struct sg_standalone_listener, name) },
	{ "hostname", sg_f_str, offsetof(struct sg_standalone_listener, hostname) },
	{ "protocol", sg_f_str, offsetof(struct sg_standalone_listener, protocol) },
	{ "tls", sg_f_node, offsetof(struct sg_standalone_listener, tls) },
	GATEWAY_POLICIES,
	{ 0 },
};

static struct sg_bind *bind_on(struct sg_cfg *cfg, uint16_t port)
{
	for (size_t i = 0; i < cfg->nbinds; i++)
		if (cfg->binds[i].port == port)
			return &cfg->binds[i];
	return NULL;
}

static struct sg_listener *listener_at(struct sg_cfg *cfg, const struct gw_listener *g)
{
	return &bind_on(cfg, g->port)->listeners[g->idx];
}

static bool policy_key(const char *k)
{
	for (size_t i = 0; i < sizeof(policy_keys) / sizeof(policy_keys[0]); i++)
		if (!strcmp(k, policy_keys[i]))
			return true;
	return false;
}

/* The policy keys of map `at` alone, in a map of their own; NULL: none
 * (or out of memory: the arena's error fails the load). */
static const struct sg_node *policies_of(struct sg_pctx *c, const struct sg_node *at)
{
	struct sg_node *m;
	size_t n = 0;

	for (size_t i = 0; i + 1 < at->n; i += 2)
		n += policy_key(at->items[i]->str);
	if (!n || !(m = sg_arena_alloc(c->a, sizeof(*m))) ||
	    !(m->items = sg_arena_alloc(c->a, 2 * n * sizeof(*m->items))))
		return NULL;
	m->kind = SG_NODE_MAP;
	m->file = at->file;
	m->line = at->line;
	m->col = at->col;
	m->weight = at->weight;
	m->n = 0;
	m->cap = 2 * n;
	for (size_t i = 0; i + 1 < at->n; i += 2)
		if (policy_key(at->items[i]->str)) {
			m->items[m->n++] = at->items[i];
			m->items[m->n++] = at->items[i + 1];
		}
	return m;
}

/* One listener of gateway `gw` named `ref`, from `in` (the map `at`). */
static int add_listener(struct sg_draft *b, struct gw_set *set, const char *gw, const char *ref,
			uint16_t port, struct sg_standalone_listener *in, const struct sg_node *at,
			const char *path)
{
	struct sg_pctx *c = &b->c;
	const struct sg_node *pol;
	struct sg_listener *l;
	struct gw_listener *g;

	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].ref, ref)) {
			sg_diag_err(c->d, at, "%s: a second listener named \"%s\"", path, ref);
			return -1;
		}
	/* agentgateway: HTTPS when tls is set and protocol is not. */
	if (!in->protocol && in->tls)
		in->protocol = "HTTPS";
	in->name = ref;
	if (!(l = sg_standalone_listener(b, port, in, at, path)))
		return -1;
	l->key = sg_arena_printf(c->a, "gateway/%s", ref);
	if (!in->hostname)
		l->hostname = "";
	/* agentgateway's keys: gateway/<reference>/<index> */
	if ((pol = policies_of(c, at)) &&
	    sg_standalone_gateway_policies(b, l, pol, l->key, path) == -1)
		return -1;
	g = sg_arena_push(c->a, &set->v, &set->n, &set->cap, sizeof(*g));
	if (!g)
		return -1;
	g->gateway = gw;
	g->ref = ref;
	g->port = port;
	g->idx = (size_t)(l - bind_on(b->cfg, port)->listeners); /* the last one */
	g->tcp = l->proto == SG_PROTO_TCP || l->proto == SG_PROTO_TLS;
	return 0;
}

static int parse_gateway(struct sg_draft *b, struct gw_set *set, const char *name,
			 const struct sg_node *n, const char *path)
{
	struct sg_pctx *c = &b->c;
	struct gateway_in in = { 0 };
	int ret = 0;

	if (sg_parse_fields(c, n, gateway_fields, &in, path) == -1)
		return -1;
	if (bind_on(b->cfg, in.port)) {
		sg_diag_err(c->d, sg_map_get(n, "port"),
			    "%s.port: port %u is configured twice (by binds or another gateway); "
			    "each gateway takes a port of its own",
			    path, in.port);
		return -1;
	}
	if (!in.listeners)
		return add_listener(b, set, name, name, in.port, &in.l, n, path);
	if (in.l.protocol || in.l.tls) {
		sg_diag_err(c->d, n,
			    "%s: a gateway with listeners sets protocol and tls on each listener, "
			    "not on the gateway",
			    path);
		return -1;
	}
	path = sg_path_key(c, path, "listeners");
	if (sg_need_seq(c, in.listeners, path) == -1)
		return -1;
	for (size_t i = 0; i < in.listeners->n; i++) {
		const struct sg_node *ln = in.listeners->items[i];
		const char *p = sg_path_idx(c, path, i);
		struct sg_standalone_listener l = { 0 };

		if (sg_parse_fields(c, ln, gateway_listener_fields, &l, p) == -1) {
			ret = -1;
			continue;
		}
		if (add_listener(b, set, name,
				 l.name ? sg_arena_printf(c->a, "%s/%s", name, l.name)
					: sg_arena_printf(c->a, "%s/listener%zu", name, i),
				 in.port, &l, ln, p) == -1)
			ret = -1;
	}
	return ret;
}

/* A route's references: `gateways:` as a string or a list of strings. */
static int route_refs(struct sg_pctx *c, const struct sg_node *n, const char ***refs, size_t *nrefs,
		      const char *path)
{
	size_t cap = 0;

	if (n->kind == SG_NODE_SCALAR && !sg_node_is_null(n)) {
		const char **r = sg_arena_push(c->a, refs, nrefs, &cap, sizeof(*r));

		if (!r)
			return -1;
		*r = n->str;
		return 0;
	}
	if (n->kind != SG_NODE_SEQ)
		return sg_expected(c, n, path, "a gateway name, or a list of them");
	for (size_t i = 0; i < n->n; i++) {
		const char **r;

		if (n->items[i]->kind != SG_NODE_SCALAR || sg_node_is_null(n->items[i]))
			return sg_expected(
				c, n->items[i], sg_path_idx(c, path, i),
				"a gateway name such as \"default\" or \"NAME/LISTENER\"");
		if (!(r = sg_arena_push(c->a, refs, nrefs, &cap, sizeof(*r))))
			return -1;
		*r = n->items[i]->str;
	}
	return 0;
}

/* Whether reference `ref` ("GATEWAY" or "GATEWAY/LISTENER") names g. */
static bool names(const struct gw_listener *g, const char *ref)
{
	return !strcmp(g->ref, ref) || !strcmp(g->gateway, ref);
}

/* `n` without the keys only an attached route has (gateways, namespace),
 * for the route parser both forms share. */
static const struct sg_node *route_body(struct sg_pctx *c, const struct sg_node *n)
{
	struct sg_node *copy = sg_arena_alloc(c->a, sizeof(*copy));

	if (!copy || !(copy->items = sg_arena_alloc(c->a, (n->n + 1) * sizeof(*copy->items))))
		return NULL;
	*copy = (struct sg_node){ .kind = n->kind,
				  .file = n->file,
				  .line = n->line,
				  .col = n->col,
				  .items = copy->items,
				  .weight = n->weight };
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const char *k = n->items[i]->str;

		if (!strcmp(k, "gateways") || !strcmp(k, "namespace"))
			continue;
		copy->items[copy->n++] = n->items[i];
		copy->items[copy->n++] = n->items[i + 1];
	}
	copy->cap = copy->n;
	return copy;
}

static int attach_route(struct sg_draft *b, const struct gw_set *set, const struct sg_node *n,
			bool tcp, const char *path)
{
	struct sg_pctx *c = &b->c;
	const struct sg_node *refs_n, *ns_n, *body;
	static const char *const default_ref[] = { "default" };
	const char *const *refs = default_ref;
	const char **given = NULL;
	const char *ns = "default";
	size_t nrefs = 0;
	const char *kind = tcp ? "TCP or TLS" : "HTTP or HTTPS";

	if (sg_need_map(c, n, path) == -1)
		return -1;
	if (sg_map_get(n, "ruleName"))
		return sg_f_refused(c, sg_map_get(n, "ruleName"), NULL,
				    sg_path_key(c, path, "ruleName"));
	refs_n = sg_map_get(n, "gateways");
	if (refs_n && !sg_node_is_null(refs_n) &&
	    route_refs(c, refs_n, &given, &nrefs, sg_path_key(c, path, "gateways")) == -1)
		return -1;
	if ((ns_n = sg_map_get(n, "namespace")) &&
	    sg_f_str(c, ns_n, &ns, sg_path_key(c, path, "namespace")) == -1)
		return -1;
	/* Without references, agentgateway attaches it to the gateway named
	 * default when that one has listeners of the route's kind. */
	if (nrefs)
		refs = given;
	else
		nrefs = 1;
	if (!(body = route_body(c, n)))
		return -1;
	/* Every reference names listeners of the route's kind... */
	for (size_t i = 0; i < nrefs; i++) {
		bool named = false, matched = false;

		for (size_t j = 0; j < set->n; j++)
			if (names(&set->v[j], refs[i])) {
				named = true;
				matched |= set->v[j].tcp == tcp;
			}
		if (!matched && !refs_n) {
			sg_diag_err(
				c->d, n,
				"%s: a route needs gateways: (there is no gateway named default "
				"with %s listeners to attach it to)",
				path, kind);
			return -1;
		}
		if (!named) {
			sg_diag_err(c->d, refs_n, "%s.gateways: unknown gateway reference \"%s\"",
				    path, refs[i]);
			return -1;
		}
		if (!matched) {
			sg_diag_err(c->d, refs_n,
				    "%s.gateways: gateway reference \"%s\" has no %s listeners",
				    path, refs[i], kind);
			return -1;
		}
	}
	/* ...and the route goes on each of them once, however many name it. */
	for (size_t j = 0; j < set->n; j++) {
		const struct gw_listener *g = &set->v[j];
		bool named = false;
		struct sg_listener *l;

		for (size_t i = 0; i < nrefs && !named; i++)
			named = names(g, refs[i]);
		if (!named || g->tcp != tcp)
			continue;
		l = listener_at(b->cfg, g);
		if ((tcp ? sg_standalone_tcp_route : sg_standalone_route)(b, l, body, ns, path) ==
		    -1)
			return -1; /* reported once, not for every listener */
	}
	return 0;
}

static int attach_routes(struct sg_draft *b, const struct gw_set *set, const struct sg_node *n,
			 bool tcp, const char *key)
{
	int ret = 0;

	if (sg_need_seq(&b->c, n, key) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++)
		if (attach_route(b, set, n->items[i], tcp, sg_path_idx(&b->c, key, i)) == -1)
			ret = -1;
	return ret;
}

int sg_gateways_parse(struct sg_draft *b, const struct sg_node *gateways,
		      const struct sg_node *routes, const struct sg_node *tcp_routes)
{
	struct sg_pctx *c = &b->c;
	struct gw_set set = { 0 };
	int ret = 0;

	if (gateways && !sg_node_is_null(gateways)) {
		if (sg_need_map(c, gateways, "gateways") == -1)
			return -1;
		for (size_t i = 0; i < sg_map_len(gateways); i++) {
			const char *name = sg_map_key(gateways, i)->str;

			if (parse_gateway(b, &set, name, sg_map_val(gateways, i),
					  sg_path_key(c, "gateways", name)) == -1)
				ret = -1;
		}
	}
	if (routes && !sg_node_is_null(routes) &&
	    attach_routes(b, &set, routes, false, "routes") == -1)
		ret = -1;
	if (tcp_routes && !sg_node_is_null(tcp_routes) &&
	    attach_routes(b, &set, tcp_routes, true, "tcpRoutes") == -1)
		ret = -1;
	return ret;
}
