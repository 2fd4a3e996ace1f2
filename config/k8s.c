/* The Kubernetes dialect: Gateway, HTTPRoute, TCPRoute, AgentgatewayPolicy,
 * Service and EndpointSlice, resolved on one host. Resources are collected
 * first (any order, any file), then built in dependency order. */
#include <stdio.h>
#include <string.h>

#include "config/build.h"

#define GW_API "gateway.networking.k8s.io/"

struct kind_info {
	const char *kind;
	const char *const *apis;
};

static const char *const gw_apis[] = { GW_API "v1", GW_API "v1beta1", NULL };
static const char *const tcp_apis[] = { GW_API "v1alpha2", NULL };
static const char *const agw_apis[] = { "agentgateway.dev/v1alpha1", NULL };
static const char *const core_apis[] = { "v1", NULL };
static const char *const slice_apis[] = { "discovery.k8s.io/v1", NULL };

static const struct kind_info kinds[] = {
	{ "Gateway", gw_apis },	    { "HTTPRoute", gw_apis },
	{ "TCPRoute", tcp_apis },   { "AgentgatewayPolicy", agw_apis },
	{ "Service", core_apis },   { "EndpointSlice", slice_apis },
	{ "Namespace", core_apis },
};

/* ---- collecting -------------------------------------------------------- */

struct meta_in {
	const char *name, *ns;
	const struct sg_node *labels;
};

static int f_node(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	*(const struct sg_node **)dst = n;
	return 0;
}

/* What `kubectl get -o yaml` prints is accepted back; only name, namespace
 * and labels mean anything here. */
static const struct sg_field meta_fields[] = {
	{ "name", sg_f_str, offsetof(struct meta_in, name), true },
	{ "namespace", sg_f_str, offsetof(struct meta_in, ns) },
	{ "labels", f_node, offsetof(struct meta_in, labels) },
	{ "annotations", NULL, 0 },
	{ "uid", NULL, 0 },
	{ "resourceVersion", NULL, 0 },
	{ "generation", NULL, 0 },
	{ "creationTimestamp", NULL, 0 },
	{ "managedFields", NULL, 0 },
	{ "ownerReferences", NULL, 0 },
	{ "finalizers", NULL, 0 },
	{ 0 },
};

struct doc_in {
	const char *api, *kind;
	const struct sg_node *metadata, *spec;
};

static const struct sg_field doc_fields[] = {
	{ "apiVersion", sg_f_str, offsetof(struct doc_in, api), true },
	{ "kind", sg_f_str, offsetof(struct doc_in, kind), true },
	{ "metadata", f_node, offsetof(struct doc_in, metadata), true },
	{ "spec", f_node, offsetof(struct doc_in, spec) },
	{ "status", NULL, 0 },
	/* EndpointSlice keeps its content at the top level. */
	{ "addressType", NULL, 0 },
	{ "endpoints", NULL, 0 },
	{ "ports", NULL, 0 },
	{ 0 },
};

static int check_kind(struct sg_pctx *c, const struct sg_node *doc, const struct doc_in *in)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].kind, in->kind) != 0)
			continue;
		for (const char *const *api = kinds[i].apis; *api; api++)
			if (strcmp(*api, in->api) == 0)
				return 0;
		return sg_expected(
			c, sg_map_get(doc, "apiVersion"), "apiVersion",
			sg_arena_printf(c->a, "\"%s\" for kind %s", kinds[i].apis[0], in->kind));
	}
	return sg_expected(c, sg_map_get(doc, "kind"), "kind",
			   "one of Gateway, HTTPRoute, TCPRoute, AgentgatewayPolicy, Service, "
			   "EndpointSlice, Namespace");
}

/* `endpoints`/`ports` are accepted at the top level for EndpointSlice and
 * read there when it is built. */
int sg_k8s_collect(struct sg_build *b, const struct sg_node *doc)
{
	struct sg_pctx *c = &b->c;
	struct doc_in in = { 0 };
	struct meta_in meta = { 0 };
	struct sg_res *r;

	if (sg_parse_fields(c, doc, doc_fields, &in, "") == -1)
		return -1;
	if (check_kind(c, doc, &in) == -1 ||
	    sg_parse_fields(c, in.metadata, meta_fields, &meta, "metadata") == -1)
		return -1;
	for (size_t i = 0; i < b->ndeleted; i++) {
		const struct sg_res_id *d = &b->deleted[i];

		if (!strcmp(d->kind, in.kind) && !strcmp(d->name, meta.name) &&
		    !strcmp(d->ns, meta.ns ? meta.ns : "default"))
			return 0;
	}
	for (size_t i = 0; i < b->nres; i++) {
		struct sg_res *o = &b->res[i];

		if (!strcmp(o->kind, in.kind) && !strcmp(o->name, meta.name) &&
		    !strcmp(o->ns, meta.ns ? meta.ns : "default")) {
			if (b->replace) {
				o->api = in.api;
				o->doc = doc;
				o->spec = in.spec;
				o->metadata = in.metadata;
				o->labels = meta.labels;
				return 0;
			}
			sg_diag_err(c->d, doc, "%s %s/%s is defined twice (first at %s:%u:%u)",
				    in.kind, o->ns, o->name, o->doc->file, o->doc->line,
				    o->doc->col);
			return -1;
		}
	}
	r = sg_arena_push(c->a, &b->res, &b->nres, &b->capres, sizeof(*r));
	if (!r)
		return -1;
	r->api = in.api;
	r->kind = in.kind;
	r->name = meta.name;
	r->ns = meta.ns ? meta.ns : "default";
	r->doc = doc;
	r->spec = in.spec;
	r->metadata = in.metadata;
	r->labels = meta.labels;
	return 0;
}

static const struct sg_res *find_res(const struct sg_build *b, const char *kind, const char *ns,
				     const char *name)
{
	for (size_t i = 0; i < b->nres; i++)
		if (!strcmp(b->res[i].kind, kind) && !strcmp(b->res[i].ns, ns) &&
		    !strcmp(b->res[i].name, name))
			return &b->res[i];
	return NULL;
}

static int need_spec(struct sg_pctx *c, const struct sg_res *r)
{
	if (r->spec)
		return 0;
	sg_diag_err(c->d, r->doc, "%s %s/%s: missing required field \"spec\"", r->kind, r->ns,
		    r->name);
	return -1;
}

/* ---- Service / EndpointSlice ------------------------------------------- */

/* targetPort is a number or a container port name. */
static int f_target_port(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_service_port *p = dst;

	if (n->kind == SG_NODE_SCALAR && n->plain && n->str[0] >= '0' && n->str[0] <= '9')
		return sg_f_port(c, n, &p->target_port, path);
	return sg_f_str(c, n, &p->target_port_name, path);
}

static const struct sg_field svc_port_fields[] = {
	{ "name", sg_f_str, offsetof(struct sg_service_port, name) },
	{ "port", sg_f_port, offsetof(struct sg_service_port, port), true },
	{ "targetPort", f_target_port, 0 },
	{ "protocol", NULL, 0 },
	{ "appProtocol", NULL, 0 },
	{ "nodePort", NULL, 0 },
	{ 0 },
};

static int f_svc_ports(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_service *s = dst;
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		struct sg_service_port *p =
			sg_arena_push(c->a, &s->ports, &s->nports, &s->capports, sizeof(*p));

		if (!p || sg_parse_fields(c, n->items[i], svc_port_fields, p,
					  sg_path_idx(c, path, i)) == -1)
			ret = -1;
		else if (!p->target_port && !p->target_port_name)
			p->target_port = p->port;
	}
	return ret;
}

static const struct sg_field svc_fields[] = {
	{ "clusterIP", sg_f_str, offsetof(struct sg_service, cluster_ip) },
	{ "externalName", sg_f_str, offsetof(struct sg_service, external_name) },
	{ "ports", f_svc_ports, 0 },
	{ "clusterIPs", NULL, 0 },
	{ "type", NULL, 0 },
	{ "selector", NULL, 0 },
	{ "sessionAffinity", NULL, 0 },
	{ "ipFamilies", NULL, 0 },
	{ "ipFamilyPolicy", NULL, 0 },
	{ "internalTrafficPolicy", NULL, 0 },
	{ 0 },
};

static int build_service(struct sg_build *b, const struct sg_res *r)
{
	struct sg_cfg *cfg = b->cfg;
	struct sg_service *s;

	if (need_spec(&b->c, r) == -1)
		return -1;
	s = sg_arena_push(&cfg->arena, &cfg->services, &cfg->nservices, &cfg->capservices,
			  sizeof(*s));
	if (!s)
		return -1;
	s->ns = r->ns;
	s->name = r->name;
	s->hostname = sg_arena_printf(&cfg->arena, "%s.%s.svc.cluster.local", r->name, r->ns);
	s->at = r->doc;
	if (sg_parse_fields(&b->c, r->spec, svc_fields, s, "spec") == -1)
		return -1;
	if (s->cluster_ip && !strcmp(s->cluster_ip, "None"))
		s->cluster_ip = NULL; /* headless: endpoints only */
	return 0;
}

static struct sg_service *find_service(struct sg_cfg *cfg, const char *ns, const char *name)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (!strcmp(cfg->services[i].ns, ns) && !strcmp(cfg->services[i].name, name))
			return &cfg->services[i];
	return NULL;
}

struct slice_port {
	const char *name;
	uint16_t port;
};

static const struct sg_field slice_port_fields[] = {
	{ "name", sg_f_str, offsetof(struct slice_port, name) },
	{ "port", sg_f_port, offsetof(struct slice_port, port) },
	{ "protocol", NULL, 0 },
	{ "appProtocol", NULL, 0 },
	{ 0 },
};

struct slice_ep {
	struct sg_strs addresses;
	const struct sg_node *conditions;
};

static const struct sg_field slice_ep_fields[] = {
	{ "addresses", sg_f_strs, offsetof(struct slice_ep, addresses), true },
	{ "conditions", f_node, offsetof(struct slice_ep, conditions) },
	{ "hostname", NULL, 0 },
	{ "nodeName", NULL, 0 },
	{ "zone", NULL, 0 },
	{ "targetRef", NULL, 0 },
	{ "hints", NULL, 0 },
	{ 0 },
};

static bool ep_ready(const struct slice_ep *ep)
{
	const struct sg_node *ready = sg_map_get(ep->conditions, "ready");

	return !ready || ready->kind != SG_NODE_SCALAR || strcmp(ready->str, "false") != 0;
}

static int add_slice_eps(struct sg_build *b, struct sg_service *s, const struct sg_node *eps,
			 const struct slice_port *ports, size_t nports)
{
	struct sg_pctx *c = &b->c;

	for (size_t i = 0; i < eps->n; i++) {
		struct slice_ep ep = { 0 };

		if (sg_parse_fields(c, eps->items[i], slice_ep_fields, &ep,
				    sg_path_idx(c, "endpoints", i)) == -1)
			return -1;
		if (!ep_ready(&ep))
			continue;
		for (size_t a = 0; a < ep.addresses.n; a++) {
			for (size_t p = 0; p < nports; p++) {
				struct sg_slice_ep *se =
					sg_arena_push(c->a, &s->slice_eps, &s->nslice_eps,
						      &s->capslice_eps, sizeof(*se));
				if (!se)
					return -1;
				se->addr = ep.addresses.v[a];
				se->port_name = ports[p].name ? ports[p].name : "";
				se->port = ports[p].port;
			}
		}
	}
	return 0;
}

static int build_slice(struct sg_build *b, const struct sg_res *r)
{
	struct sg_pctx *c = &b->c;
	const struct sg_node *svc_label = sg_map_get(r->labels, "kubernetes.io/service-name");
	const struct sg_node *eps = sg_map_get(r->doc, "endpoints");
	const struct sg_node *pn = sg_map_get(r->doc, "ports");
	struct slice_port ports[64];
	size_t nports = 0;
	struct sg_service *s;

	if (!svc_label || svc_label->kind != SG_NODE_SCALAR) {
		sg_diag_err(c->d, r->metadata,
			    "EndpointSlice %s/%s: metadata.labels needs "
			    "\"kubernetes.io/service-name\" naming its Service",
			    r->ns, r->name);
		return -1;
	}
	s = find_service(b->cfg, r->ns, svc_label->str);
	if (!s) {
		sg_diag_err(c->d, svc_label,
			    "EndpointSlice %s/%s: names Service %s/%s, which is not defined", r->ns,
			    r->name, r->ns, svc_label->str);
		return -1;
	}
	if (pn && sg_need_seq(c, pn, "ports") == -1)
		return -1;
	for (size_t i = 0; pn && i < pn->n && nports < 64; i++) {
		memset(&ports[nports], 0, sizeof(ports[0]));
		if (sg_parse_fields(c, pn->items[i], slice_port_fields, &ports[nports],
				    sg_path_idx(c, "ports", i)) == -1)
			return -1;
		nports++;
	}
	if (!eps)
		return 0;
	if (sg_need_seq(c, eps, "endpoints") == -1)
		return -1;
	return add_slice_eps(b, s, eps, ports, nports);
}

/* ---- Gateway ----------------------------------------------------------- */

struct gw_listener_in {
	const char *name, *protocol, *hostname;
	uint16_t port;
	const struct sg_node *tls;
};

static const struct sg_field gw_listener_fields[] = {
	{ "name", sg_f_str, offsetof(struct gw_listener_in, name), true },
	{ "port", sg_f_port, offsetof(struct gw_listener_in, port), true },
	{ "protocol", sg_f_str, offsetof(struct gw_listener_in, protocol), true },
	{ "hostname", sg_f_str, offsetof(struct gw_listener_in, hostname) },
	{ "tls", f_node, offsetof(struct gw_listener_in, tls) },
	{ "allowedRoutes", NULL, 0 },
	{ 0 },
};

struct gw_in {
	const struct sg_node *listeners;
};

static const struct sg_field gw_fields[] = {
	{ "gatewayClassName", NULL, 0 },
	{ "listeners", f_node, offsetof(struct gw_in, listeners), true },
	{ "addresses", NULL, 0 },
	{ "infrastructure", NULL, 0 },
	{ 0 },
};

static int build_gw_listener(struct sg_build *b, const struct sg_res *r, const struct sg_node *n,
			     const char *path)
{
	struct sg_pctx *c = &b->c;
	struct gw_listener_in in = { 0 };
	enum sg_proto proto;
	struct sg_bind *bind;
	struct sg_listener *l;

	if (sg_parse_fields(c, n, gw_listener_fields, &in, path) == -1)
		return -1;
	if (!strcmp(in.protocol, "HTTP"))
		proto = SG_PROTO_HTTP;
	else if (!strcmp(in.protocol, "TCP"))
		proto = SG_PROTO_TCP;
	else
		return sg_expected(c, sg_map_get(n, "protocol"), sg_path_key(c, path, "protocol"),
				   "HTTP or TCP (TLS termination is not supported)");
	if (in.tls)
		return sg_expected(c, in.tls, sg_path_key(c, path, "tls"),
				   "no tls section (TLS termination is not supported)");
	bind = sg_build_bind(b, in.port, proto, n);
	if (!bind || !(l = sg_build_listener(b, bind, n)))
		return -1;
	l->gw_ns = r->ns;
	l->gw_name = r->name;
	l->name = in.name;
	l->key = sg_arena_printf(c->a, "%s/%s.%s", r->ns, r->name, in.name);
	l->port = in.port;
	l->hostname = in.hostname ? in.hostname : "";
	l->proto = proto;
	return 0;
}

static int build_gateway(struct sg_build *b, const struct sg_res *r)
{
	struct sg_pctx *c = &b->c;
	struct gw_in in = { 0 };
	int ret = 0;

	if (need_spec(c, r) == -1 || sg_parse_fields(c, r->spec, gw_fields, &in, "spec") == -1)
		return -1;
	if (sg_need_seq(c, in.listeners, "spec.listeners") == -1)
		return -1;
	for (size_t i = 0; i < in.listeners->n; i++)
		if (build_gw_listener(b, r, in.listeners->items[i],
				      sg_path_idx(c, "spec.listeners", i)) == -1)
			ret = -1;
	return ret;
}

/* Every listener of Gateway ns/name, in order. */
static size_t gw_listeners(struct sg_cfg *cfg, const char *ns, const char *name,
			   struct sg_listener **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->nbinds; i++) {
		struct sg_bind *bind = &cfg->binds[i];

		for (size_t j = 0; j < bind->nlisteners; j++) {
			struct sg_listener *l = &bind->listeners[j];

			if (l->gw_ns && !strcmp(l->gw_ns, ns) && !strcmp(l->gw_name, name) &&
			    n < max)
				out[n++] = l;
		}
	}
	return n;
}

/* ---- HTTPRoute / TCPRoute ---------------------------------------------- */

struct parent_in {
	const char *group, *kind, *name, *ns, *section;
	uint16_t port;
};

static const struct sg_field parent_fields[] = {
	{ "group", sg_f_str, offsetof(struct parent_in, group) },
	{ "kind", sg_f_str, offsetof(struct parent_in, kind) },
	{ "name", sg_f_str, offsetof(struct parent_in, name), true },
	{ "namespace", sg_f_str, offsetof(struct parent_in, ns) },
	{ "sectionName", sg_f_str, offsetof(struct parent_in, section) },
	{ "port", sg_f_port, offsetof(struct parent_in, port) },
	{ 0 },
};

#define SG_MAX_PARENT_LISTENERS 64

/* The listeners a parentRef selects, filtered to protocol `proto`. */
static int parent_listeners(struct sg_build *b, const struct sg_res *r, const struct sg_node *n,
			    const char *path, enum sg_proto proto, struct sg_listener **out,
			    size_t *nout)
{
	struct sg_pctx *c = &b->c;
	struct parent_in in = { 0 };
	struct sg_listener *all[SG_MAX_PARENT_LISTENERS];
	size_t nall;

	*nout = 0;
	if (sg_parse_fields(c, n, parent_fields, &in, path) == -1)
		return -1;
	if (in.kind && strcmp(in.kind, "Gateway") != 0)
		return sg_expected(c, sg_map_get(n, "kind"), sg_path_key(c, path, "kind"),
				   "Gateway");
	if (!in.ns)
		in.ns = r->ns;
	if (!find_res(b, "Gateway", in.ns, in.name)) {
		sg_diag_err(c->d, sg_map_get(n, "name"),
			    "%s.name: Gateway %s/%s is not defined (routes attach only to "
			    "Gateways in the config)",
			    path, in.ns, in.name);
		return -1;
	}
	nall = gw_listeners(b->cfg, in.ns, in.name, all, SG_MAX_PARENT_LISTENERS);
	for (size_t i = 0; i < nall; i++) {
		if (in.section && strcmp(all[i]->name, in.section) != 0)
			continue;
		if (in.port && all[i]->port != in.port)
			continue;
		if (all[i]->proto == proto)
			out[(*nout)++] = all[i];
	}
	if (in.section && *nout == 0) {
		sg_diag_err(c->d, sg_map_get(n, "sectionName"),
			    "%s.sectionName: Gateway %s/%s has no %s listener named \"%s\"", path,
			    in.ns, in.name, proto == SG_PROTO_HTTP ? "HTTP" : "TCP", in.section);
		return -1;
	}
	return 0;
}

struct bref_in {
	const char *group, *kind, *name, *ns;
	uint16_t port;
	uint32_t weight;
};

static const struct sg_field bref_fields[] = {
	{ "group", sg_f_str, offsetof(struct bref_in, group) },
	{ "kind", sg_f_str, offsetof(struct bref_in, kind) },
	{ "name", sg_f_str, offsetof(struct bref_in, name), true },
	{ "namespace", sg_f_str, offsetof(struct bref_in, ns) },
	{ "port", sg_f_port, offsetof(struct bref_in, port) },
	{ "weight", sg_f_u32, offsetof(struct bref_in, weight) },
	{ 0 },
};

/* Where a Service port sends traffic: EndpointSlice endpoints for that
 * port, else the clusterIP, else the externalName. */
static int resolve_service(struct sg_pctx *c, struct sg_backend_ref *br)
{
	const struct sg_service *s = br->svc;
	const struct sg_service_port *sp = NULL;
	struct sg_endpoint *ep;

	for (size_t i = 0; i < s->nports; i++)
		if (s->ports[i].port == br->port)
			sp = &s->ports[i];
	if (!sp)
		return -1;
	for (size_t i = 0; i < s->nslice_eps; i++) {
		const struct sg_slice_ep *se = &s->slice_eps[i];

		if (strcmp(se->port_name, sp->name ? sp->name : "") != 0)
			continue;
		ep = sg_arena_push(c->a, &br->eps, &br->neps, &br->capeps, sizeof(*ep));
		if (!ep)
			return -1;
		ep->addr = se->addr;
		ep->port = se->port;
	}
	if (br->neps)
		return 0;
	if (s->cluster_ip || s->external_name) {
		ep = sg_arena_push(c->a, &br->eps, &br->neps, &br->capeps, sizeof(*ep));
		if (!ep)
			return -1;
		ep->addr = s->cluster_ip ? s->cluster_ip : s->external_name;
		ep->port = sp->target_port ? sp->target_port : sp->port;
	}
	return 0;
}

static int build_brefs(struct sg_build *b, const struct sg_res *r, const struct sg_node *n,
		       const char *path, struct sg_brefs *out)
{
	struct sg_pctx *c = &b->c;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const char *p = sg_path_idx(c, path, i);
		struct bref_in in = { .weight = 1 };
		struct sg_backend_ref *br;

		if (sg_parse_fields(c, n->items[i], bref_fields, &in, p) == -1)
			return -1;
		if (in.kind && strcmp(in.kind, "Service") != 0)
			return sg_expected(c, sg_map_get(n->items[i], "kind"),
					   sg_path_key(c, p, "kind"), "Service");
		if (!in.port) {
			sg_diag_err(c->d, n->items[i], "%s: missing required field \"port\"", p);
			return -1;
		}
		br = sg_arena_push(c->a, &out->v, &out->n, &out->cap, sizeof(*br));
		if (!br)
			return -1;
		br->kind = SG_BREF_SERVICE;
		br->weight = in.weight;
		br->port = in.port;
		br->at = n->items[i];
		br->svc = find_service(b->cfg, in.ns ? in.ns : r->ns, in.name);
		if (!br->svc) {
			sg_diag_err(c->d, sg_map_get(n->items[i], "name"),
				    "%s.name: Service %s/%s is not defined", p,
				    in.ns ? in.ns : r->ns, in.name);
			return -1;
		}
		if (resolve_service(c, br) == -1) {
			sg_diag_err(c->d, sg_map_get(n->items[i], "port"),
				    "%s.port: Service %s/%s has no port %u", p, br->svc->ns,
				    br->svc->name, in.port);
			return -1;
		}
		if (br->neps == 0)
			sg_diag_warn(
				c->d, n->items[i],
				"%s: Service %s/%s has no endpoints, clusterIP or externalName; "
				"requests to it get 500 \"no valid backends\"",
				p, br->svc->ns, br->svc->name);
	}
	return 0;
}

/* HTTPRoute match types, Gateway API spelling. */
struct hr_path_in {
	const char *type, *value;
};

static const struct sg_field hr_path_fields[] = {
	{ "type", sg_f_str, offsetof(struct hr_path_in, type) },
	{ "value", sg_f_str, offsetof(struct hr_path_in, value) },
	{ 0 },
};

static int f_hr_path(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_match *m = dst;
	struct hr_path_in in = { "PathPrefix", "/" };

	if (sg_parse_fields(c, n, hr_path_fields, &in, path) == -1)
		return -1;
	if (!strcmp(in.type, "PathPrefix"))
		m->path_kind = SG_PATH_PREFIX;
	else if (!strcmp(in.type, "Exact"))
		m->path_kind = SG_PATH_EXACT;
	else if (!strcmp(in.type, "RegularExpression"))
		m->path_kind = SG_PATH_REGEX;
	else
		return sg_expected(c, sg_map_get(n, "type"), sg_path_key(c, path, "type"),
				   "PathPrefix, Exact or RegularExpression");
	if (m->path_kind != SG_PATH_REGEX && in.value[0] != '/')
		return sg_expected(c, sg_map_get(n, "value"), sg_path_key(c, path, "value"),
				   "a path starting with \"/\"");
	m->path = in.value;
	m->re_at = sg_map_get(n, "value");
	m->re_key = sg_path_key(c, path, "value");
	return 0;
}

struct hr_kv_in {
	const char *type, *name, *value;
};

static const struct sg_field hr_kv_fields[] = {
	{ "type", sg_f_str, offsetof(struct hr_kv_in, type) },
	{ "name", sg_f_str, offsetof(struct hr_kv_in, name), true },
	{ "value", sg_f_str, offsetof(struct hr_kv_in, value), true },
	{ 0 },
};

static int hr_kvs(struct sg_pctx *c, const struct sg_node *n, struct sg_kv_match **v, size_t *cnt,
		  size_t *cap, const char *path)
{
	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const char *p = sg_path_idx(c, path, i);
		struct hr_kv_in in = { "Exact", NULL, NULL };
		struct sg_kv_match *kv;

		if (sg_parse_fields(c, n->items[i], hr_kv_fields, &in, p) == -1)
			return -1;
		if (strcmp(in.type, "Exact") && strcmp(in.type, "RegularExpression"))
			return sg_expected(c, sg_map_get(n->items[i], "type"),
					   sg_path_key(c, p, "type"), "Exact or RegularExpression");
		kv = sg_arena_push(c->a, v, cnt, cap, sizeof(*kv));
		if (!kv)
			return -1;
		kv->name = in.name;
		kv->value = in.value;
		kv->regex = !strcmp(in.type, "RegularExpression");
		kv->re_at = sg_map_get(n->items[i], "value");
		kv->re_key = sg_path_key(c, p, "value");
	}
	return 0;
}

static int f_hr_headers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_match *m = dst;

	return hr_kvs(c, n, &m->headers, &m->nheaders, &m->capheaders, path);
}

static int f_hr_query(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_match *m = dst;

	return hr_kvs(c, n, &m->query, &m->nquery, &m->capquery, path);
}

static const struct sg_field hr_match_fields[] = {
	{ "path", f_hr_path, 0 },
	{ "headers", f_hr_headers, 0 },
	{ "queryParams", f_hr_query, 0 },
	{ "method", sg_f_str, offsetof(struct sg_match, method) },
	{ 0 },
};

static int f_k8s_timeouts(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "request", sg_f_dur, offsetof(struct sg_timeout, request) },
		{ "backendRequest", sg_f_dur, offsetof(struct sg_timeout, backend_request) },
		{ 0 },
	};
	struct sg_timeout *t = dst;

	t->request = SG_DUR_UNSET;
	t->backend_request = SG_DUR_UNSET;
	return sg_parse_fields(c, n, fields, t, path);
}

struct rule_in {
	const char *name;
	const struct sg_node *matches, *brefs, *timeouts, *retry, *filters;
};

static const struct sg_field rule_fields[] = {
	{ "name", sg_f_str, offsetof(struct rule_in, name) },
	{ "matches", f_node, offsetof(struct rule_in, matches) },
	{ "backendRefs", f_node, offsetof(struct rule_in, brefs) },
	{ "timeouts", f_node, offsetof(struct rule_in, timeouts) },
	{ "retry", f_node, offsetof(struct rule_in, retry) },
	{ "filters", f_node, offsetof(struct rule_in, filters) },
	{ "sessionPersistence", NULL, 0 },
	{ 0 },
};

/* The parts of one rule shared by every (match, listener) route made
 * from it. */
struct rule_built {
	struct rule_in in;
	struct sg_brefs brefs;
	bool has_timeout, has_retry;
	struct sg_timeout timeout;
	struct sg_retry retry;
	struct sg_match *matches;
	size_t nmatches, capmatches;
};

static int build_rule(struct sg_build *b, const struct sg_res *r, const struct sg_node *n,
		      const char *path, struct rule_built *rb)
{
	struct sg_pctx *c = &b->c;

	if (sg_parse_fields(c, n, rule_fields, &rb->in, path) == -1)
		return -1;
	if (rb->in.filters)
		return sg_expected(c, rb->in.filters, sg_path_key(c, path, "filters"),
				   "no filters (HTTPRoute filters are not supported yet)");
	if (rb->in.brefs &&
	    build_brefs(b, r, rb->in.brefs, sg_path_key(c, path, "backendRefs"), &rb->brefs))
		return -1;
	if (rb->in.timeouts) {
		rb->has_timeout = true;
		if (f_k8s_timeouts(c, rb->in.timeouts, &rb->timeout,
				   sg_path_key(c, path, "timeouts")) == -1)
			return -1;
	}
	if (rb->in.retry) {
		rb->has_retry = true;
		if (sg_f_retry(c, rb->in.retry, &rb->retry, sg_path_key(c, path, "retry")) == -1)
			return -1;
	}
	if (rb->in.matches) {
		const char *mp = sg_path_key(c, path, "matches");

		if (sg_need_seq(c, rb->in.matches, mp) == -1)
			return -1;
		for (size_t j = 0; j < rb->in.matches->n; j++) {
			struct sg_match *m = sg_arena_push(c->a, &rb->matches, &rb->nmatches,
							   &rb->capmatches, sizeof(*m));
			if (!m)
				return -1;
			m->path_kind = SG_PATH_PREFIX;
			m->path = "/";
			if (sg_parse_fields(c, rb->in.matches->items[j], hr_match_fields, m,
					    sg_path_idx(c, mp, j)) == -1)
				return -1;
		}
	}
	if (rb->nmatches == 0) {
		struct sg_match *m = sg_arena_push(c->a, &rb->matches, &rb->nmatches,
						   &rb->capmatches, sizeof(*m));
		if (!m)
			return -1;
		m->path_kind = SG_PATH_PREFIX;
		m->path = "/";
	}
	return 0;
}

static int add_rule_routes(struct sg_build *b, const struct sg_res *r, struct sg_strs *hosts,
			   size_t ri, const struct rule_built *rb, struct sg_listener *l)
{
	struct sg_pctx *c = &b->c;

	for (size_t j = 0; j < rb->nmatches; j++) {
		struct sg_route *rt =
			sg_arena_push(c->a, &l->routes, &l->nroutes, &l->caproutes, sizeof(*rt));

		if (!rt)
			return -1;
		rt->key = sg_arena_printf(c->a, "%s/%s.%zu.%zu.%s", r->ns, r->name, ri, j, l->name);
		rt->name = r->name;
		rt->ns = r->ns;
		rt->hr_ns = r->ns;
		rt->hr_name = r->name;
		rt->rule_name = rb->in.name;
		rt->hostnames = *hosts;
		rt->matches = &rb->matches[j];
		rt->nmatches = rt->capmatches = 1;
		rt->backends = rb->brefs;
		rt->has_timeout = rb->has_timeout;
		rt->timeout = rb->timeout;
		rt->has_retry = rb->has_retry;
		rt->retry = rb->retry;
		rt->at = r->doc;
	}
	return 0;
}

struct route_in {
	const struct sg_node *parents, *rules;
	struct sg_strs hostnames;
};

static const struct sg_field route_fields[] = {
	{ "parentRefs", f_node, offsetof(struct route_in, parents), true },
	{ "hostnames", sg_f_strs, offsetof(struct route_in, hostnames) },
	{ "rules", f_node, offsetof(struct route_in, rules) },
	{ 0 },
};

static int build_httproute(struct sg_build *b, const struct sg_res *r)
{
	struct sg_pctx *c = &b->c;
	struct route_in in = { 0 };
	struct rule_built *rules;
	size_t nrules;

	if (need_spec(c, r) == -1 || sg_parse_fields(c, r->spec, route_fields, &in, "spec") == -1)
		return -1;
	if (sg_need_seq(c, in.parents, "spec.parentRefs") == -1 ||
	    (in.rules && sg_need_seq(c, in.rules, "spec.rules") == -1))
		return -1;
	nrules = in.rules ? in.rules->n : 0;
	rules = sg_arena_alloc(c->a, (nrules ? nrules : 1) * sizeof(*rules));
	if (!rules)
		return -1;
	for (size_t i = 0; i < nrules; i++)
		if (build_rule(b, r, in.rules->items[i], sg_path_idx(c, "spec.rules", i),
			       &rules[i]) == -1)
			return -1;
	for (size_t p = 0; p < in.parents->n; p++) {
		struct sg_listener *ls[SG_MAX_PARENT_LISTENERS];
		size_t nls;

		if (parent_listeners(b, r, in.parents->items[p],
				     sg_path_idx(c, "spec.parentRefs", p), SG_PROTO_HTTP, ls,
				     &nls) == -1)
			return -1;
		for (size_t k = 0; k < nls; k++)
			for (size_t i = 0; i < nrules; i++)
				if (add_rule_routes(b, r, &in.hostnames, i, &rules[i], ls[k]) == -1)
					return -1;
	}
	return 0;
}

struct tcp_rule_in {
	const char *name;
	const struct sg_node *brefs;
};

static const struct sg_field tcp_rule_fields[] = {
	{ "name", sg_f_str, offsetof(struct tcp_rule_in, name) },
	{ "backendRefs", f_node, offsetof(struct tcp_rule_in, brefs), true },
	{ 0 },
};

static int build_tcproute(struct sg_build *b, const struct sg_res *r)
{
	struct sg_pctx *c = &b->c;
	struct route_in in = { 0 };

	if (need_spec(c, r) == -1 || sg_parse_fields(c, r->spec, route_fields, &in, "spec") == -1)
		return -1;
	if (!in.rules) {
		sg_diag_err(c->d, r->spec, "spec: missing required field \"rules\"");
		return -1;
	}
	if (sg_need_seq(c, in.parents, "spec.parentRefs") == -1 ||
	    sg_need_seq(c, in.rules, "spec.rules") == -1)
		return -1;
	for (size_t p = 0; p < in.parents->n; p++) {
		struct sg_listener *ls[SG_MAX_PARENT_LISTENERS];
		size_t nls;

		if (parent_listeners(b, r, in.parents->items[p],
				     sg_path_idx(c, "spec.parentRefs", p), SG_PROTO_TCP, ls,
				     &nls) == -1)
			return -1;
		for (size_t k = 0; k < nls; k++) {
			for (size_t i = 0; i < in.rules->n; i++) {
				const char *rp = sg_path_idx(c, "spec.rules", i);
				struct tcp_rule_in ti = { 0 };
				struct sg_tcp_route *t;

				if (sg_parse_fields(c, in.rules->items[i], tcp_rule_fields, &ti,
						    rp))
					return -1;
				t = sg_arena_push(c->a, &ls[k]->tcp_routes, &ls[k]->ntcp_routes,
						  &ls[k]->captcp_routes, sizeof(*t));
				if (!t)
					return -1;
				t->key = sg_arena_printf(c->a, "%s/%s.%zu.%s", r->ns, r->name, i,
							 ls[k]->name);
				t->name = r->name;
				t->ns = r->ns;
				t->at = r->doc;
				if (build_brefs(b, r, ti.brefs, sg_path_key(c, rp, "backendRefs"),
						&t->backends) == -1)
					return -1;
			}
		}
	}
	return 0;
}

/* ---- AgentgatewayPolicy ------------------------------------------------- */

struct target_in {
	const char *group, *kind, *name, *section;
};

static const struct sg_field target_fields[] = {
	{ "group", sg_f_str, offsetof(struct target_in, group) },
	{ "kind", sg_f_str, offsetof(struct target_in, kind), true },
	{ "name", sg_f_str, offsetof(struct target_in, name), true },
	{ "sectionName", sg_f_str, offsetof(struct target_in, section) },
	{ 0 },
};

/* The policy's content, parsed once and stamped onto every target. */
struct agp_in {
	const struct sg_node *targets, *frontend, *traffic, *backend;
	bool has_fhttp, has_ftcp, has_timeout, has_retry, has_btcp, has_bhttp;
	struct sg_frontend_http fhttp;
	struct sg_frontend_tcp ftcp;
	struct sg_timeout timeout;
	struct sg_retry retry;
	struct sg_backend_tcp btcp;
	struct sg_backend_http bhttp;
};

static const struct sg_field agp_fields[] = {
	{ "targetRefs", f_node, offsetof(struct agp_in, targets), true },
	{ "frontend", f_node, offsetof(struct agp_in, frontend) },
	{ "traffic", f_node, offsetof(struct agp_in, traffic) },
	{ "backend", f_node, offsetof(struct agp_in, backend) },
	{ 0 },
};

static int f_agp_fhttp(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct agp_in *in = dst;

	in->has_fhttp = true;
	return sg_f_frontend_http(c, n, &in->fhttp, path);
}

/* frontend.tcp.keepalive {retries, time, interval}: present = enabled. */
static int f_k8s_keepalive(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "retries", sg_f_u32, offsetof(struct sg_keepalive, retries) },
		{ "time", sg_f_dur, offsetof(struct sg_keepalive, time) },
		{ "interval", sg_f_dur, offsetof(struct sg_keepalive, interval) },
		{ 0 },
	};
	sg_keepalive_defaults(dst);
	if (sg_node_is_null(n))
		return 0;
	return sg_parse_fields(c, n, fields, dst, path);
}

static int f_agp_ftcp(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "keepalive", f_k8s_keepalive, offsetof(struct sg_frontend_tcp, keepalives) },
		{ 0 },
	};
	struct agp_in *in = dst;

	in->has_ftcp = true;
	sg_keepalive_defaults(&in->ftcp.keepalives);
	return sg_parse_fields(c, n, fields, &in->ftcp, path);
}

static const struct sg_field agp_frontend_fields[] = {
	{ "http", f_agp_fhttp, 0 },
	{ "tcp", f_agp_ftcp, 0 },
	{ 0 },
};

static int f_agp_timeouts(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct agp_in *in = dst;

	in->has_timeout = true;
	return f_k8s_timeouts(c, n, &in->timeout, path);
}

static int f_agp_retry(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct agp_in *in = dst;

	in->has_retry = true;
	return sg_f_retry(c, n, &in->retry, path);
}

static const struct sg_field agp_traffic_fields[] = {
	{ "timeouts", f_agp_timeouts, 0 },
	{ "retry", f_agp_retry, 0 },
	{ 0 },
};

static int f_agp_btcp(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "connectTimeout", sg_f_dur, offsetof(struct sg_backend_tcp, connect_timeout) },
		{ "keepalive", f_k8s_keepalive, offsetof(struct sg_backend_tcp, keepalives) },
		{ 0 },
	};
	struct agp_in *in = dst;

	in->has_btcp = true;
	in->btcp.connect_timeout = SG_DUR_UNSET;
	in->btcp.has_keepalives = sg_map_get(n, "keepalive") != NULL;
	return sg_parse_fields(c, n, fields, &in->btcp, path);
}

static int f_agp_bhttp(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "requestTimeout", sg_f_dur, offsetof(struct sg_backend_http, request_timeout) },
		{ 0 },
	};
	struct agp_in *in = dst;

	in->has_bhttp = true;
	in->bhttp.request_timeout = SG_DUR_UNSET;
	return sg_parse_fields(c, n, fields, &in->bhttp, path);
}

static const struct sg_field agp_backend_fields[] = {
	{ "tcp", f_agp_btcp, 0 },
	{ "http", f_agp_bhttp, 0 },
	{ 0 },
};

static const char *target_ref(struct sg_pctx *c, const struct sg_target *t)
{
	if (t->section)
		return sg_arena_printf(c->a, "%s/%s/%s", t->ns, t->name, t->section);
	return sg_arena_printf(c->a, "%s/%s", t->ns, t->name);
}

static int add_agp_policy(struct sg_build *b, const struct sg_res *r, const struct sg_target *t,
			  enum sg_pol_kind kind, const char *group, const char *what,
			  const struct sg_node *at)
{
	struct sg_policy *p = sg_build_policy(b);

	if (!p)
		return -1;
	p->key = sg_arena_printf(b->c.a, "%s/%s/%s:%s:%s", group, r->ns, r->name, what,
				 target_ref(&b->c, t));
	p->src_kind = r->kind;
	p->src_name = r->name;
	p->src_ns = r->ns;
	p->target = *t;
	p->kind = kind;
	p->at = at;
	return 0;
}

static int stamp_agp(struct sg_build *b, const struct sg_res *r, const struct agp_in *in,
		     const struct sg_target *t, const struct sg_node *at)
{
	size_t first = b->cfg->npolicies;

#define ADD(flag, kind, group, what)                                                               \
	if (in->flag && add_agp_policy(b, r, t, kind, group, what, at) == -1)                      \
		return -1;
	ADD(has_fhttp, SG_POL_FRONTEND_HTTP, "frontend", "frontend-http")
	ADD(has_ftcp, SG_POL_FRONTEND_TCP, "frontend", "frontend-tcp")
	ADD(has_timeout, SG_POL_TIMEOUT, "traffic", "timeout")
	ADD(has_retry, SG_POL_RETRY, "traffic", "retry")
	ADD(has_btcp, SG_POL_BACKEND_TCP, "backend", "backend-tcp")
	ADD(has_bhttp, SG_POL_BACKEND_HTTP, "backend", "backend-http")
#undef ADD
	for (size_t i = first; i < b->cfg->npolicies; i++) {
		struct sg_policy *p = &b->cfg->policies[i];

		switch (p->kind) {
		case SG_POL_FRONTEND_HTTP:
			p->u.fhttp = in->fhttp;
			break;
		case SG_POL_FRONTEND_TCP:
			p->u.ftcp = in->ftcp;
			break;
		case SG_POL_TIMEOUT:
			p->u.timeout = in->timeout;
			break;
		case SG_POL_RETRY:
			p->u.retry = in->retry;
			break;
		case SG_POL_BACKEND_TCP:
			p->u.btcp = in->btcp;
			break;
		case SG_POL_BACKEND_HTTP:
			p->u.bhttp = in->bhttp;
			break;
		}
	}
	return 0;
}

/* Which sections a target kind can carry. `kind` is the target's kind:
 * node, the one the error points at. */
static int check_target_fit(struct sg_pctx *c, const struct agp_in *in, const struct sg_target *t,
			    const struct sg_node *kind, const char *path)
{
	bool frontend = in->has_fhttp || in->has_ftcp;
	bool traffic = in->has_timeout || in->has_retry;
	bool backend = in->has_btcp || in->has_bhttp;

	if (frontend && t->kind != SG_TARGET_GATEWAY)
		return sg_expected(c, kind, path, "Gateway (the target of a frontend policy)");
	if (traffic && t->kind == SG_TARGET_SERVICE)
		return sg_expected(c, kind, path,
				   "Gateway or HTTPRoute (the target of a traffic policy)");
	if (backend && t->kind != SG_TARGET_SERVICE)
		return sg_expected(c, kind, path, "Service (the target of a backend policy)");
	return 0;
}

static bool target_exists(const struct sg_build *b, const struct sg_target *t)
{
	static const char *const kind_names[] = { "Gateway", "HTTPRoute", "Service" };

	return find_res(b, kind_names[t->kind], t->ns, t->name) != NULL;
}

static int agp_target(struct sg_build *b, const struct sg_res *r, const struct agp_in *in,
		      const struct sg_node *n, const char *path)
{
	struct sg_pctx *c = &b->c;
	struct target_in ti = { 0 };
	struct sg_target t = { .ns = r->ns };

	if (sg_parse_fields(c, n, target_fields, &ti, path) == -1)
		return -1;
	if (!strcmp(ti.kind, "Gateway"))
		t.kind = SG_TARGET_GATEWAY;
	else if (!strcmp(ti.kind, "HTTPRoute"))
		t.kind = SG_TARGET_ROUTE;
	else if (!strcmp(ti.kind, "Service"))
		t.kind = SG_TARGET_SERVICE;
	else
		return sg_expected(c, sg_map_get(n, "kind"), sg_path_key(c, path, "kind"),
				   "Gateway, HTTPRoute or Service");
	t.name = ti.name;
	t.section = ti.section;
	if (t.kind == SG_TARGET_SERVICE && ti.section) {
		/* A Service's sectionName is its port name. */
		t.section = NULL;
	}
	if (check_target_fit(c, in, &t, sg_map_get(n, "kind"), sg_path_key(c, path, "kind")) == -1)
		return -1;
	if (!target_exists(b, &t))
		sg_diag_warn(c->d, n,
			     "%s: %s %s/%s is not defined; policy %s/%s has no effect until it is",
			     path, ti.kind, t.ns, t.name, r->ns, r->name);
	return stamp_agp(b, r, in, &t, n);
}

static int build_agp(struct sg_build *b, const struct sg_res *r)
{
	struct sg_pctx *c = &b->c;
	struct agp_in in = { 0 };

	if (need_spec(c, r) == -1 || sg_parse_fields(c, r->spec, agp_fields, &in, "spec") == -1)
		return -1;
	if ((in.frontend &&
	     sg_parse_fields(c, in.frontend, agp_frontend_fields, &in, "spec.frontend") == -1) ||
	    (in.traffic &&
	     sg_parse_fields(c, in.traffic, agp_traffic_fields, &in, "spec.traffic") == -1) ||
	    (in.backend &&
	     sg_parse_fields(c, in.backend, agp_backend_fields, &in, "spec.backend") == -1))
		return -1;
	if (sg_need_seq(c, in.targets, "spec.targetRefs") == -1)
		return -1;
	if (in.targets->n == 0)
		return sg_expected(c, in.targets, "spec.targetRefs", "at least one target");
	if (!in.has_fhttp && !in.has_ftcp && !in.has_timeout && !in.has_retry && !in.has_btcp &&
	    !in.has_bhttp)
		return sg_expected(c, r->spec, "spec",
				   "at least one of frontend, traffic, backend settings");
	for (size_t i = 0; i < in.targets->n; i++)
		if (agp_target(b, r, &in, in.targets->items[i],
			       sg_path_idx(c, "spec.targetRefs", i)) == -1)
			return -1;
	return 0;
}

/* ---- the build, in dependency order ------------------------------------ */

static int build_kind(struct sg_build *b, const char *kind,
		      int (*fn)(struct sg_build *, const struct sg_res *))
{
	int ret = 0;

	for (size_t i = 0; i < b->nres; i++)
		if (!strcmp(b->res[i].kind, kind) && fn(b, &b->res[i]) == -1)
			ret = -1;
	return ret;
}

int sg_k8s_build(struct sg_build *b)
{
	if (build_kind(b, "Service", build_service) == -1 ||
	    build_kind(b, "EndpointSlice", build_slice) == -1 ||
	    build_kind(b, "Gateway", build_gateway) == -1 ||
	    build_kind(b, "HTTPRoute", build_httproute) == -1 ||
	    build_kind(b, "TCPRoute", build_tcproute) == -1 ||
	    build_kind(b, "AgentgatewayPolicy", build_agp) == -1)
		return -1;
	return 0;
}
