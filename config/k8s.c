/* The Kubernetes dialect: Gateway, ListenerSet, HTTPRoute, TCPRoute, TLSRoute,
 * AgentgatewayPolicy, BackendTLSPolicy, Service and EndpointSlice (Secrets and ConfigMaps for
 * what they refer to), resolved on one host. Resources are collected
 * first (any order, any file), then built in dependency order. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/accesslog.h"
#include "config/tracing.h"
#include "config/auth.h"
#include "config/backendauth.h"
#include "config/draft.h"
#include "config/extauthz.h"
#include "config/fields.h"
#include "config/filters.h"
#include "config/hostname.h"
#include "config/hrfilter.h"
#include "config/k8s.h"
#include "config/refuse.h"
#include "config/remoterl.h"
#include "config/ruleset.h"
#include "config/sessconf.h"
#include "config/tlsconf.h"
#include "config/tokenxconf.h"

#define GW_API_GROUP "gateway.networking.k8s.io"
#define GW_API GW_API_GROUP "/"
/* The experimental group: XListenerSet before ListenerSet became v1. */
#define GW_X_GROUP "gateway.networking.x-k8s.io"

struct kind_info {
	const char *kind;
	const char *const *apis;
};

static const char *const gw_apis[] = { GW_API "v1", GW_API "v1beta1", NULL };
static const char *const grant_apis[] = { GW_API "v1beta1", GW_API "v1", NULL };
static const char *const tcp_apis[] = { GW_API "v1alpha2", NULL };
static const char *const tls_apis[] = { GW_API "v1", GW_API "v1alpha3", GW_API "v1alpha2", NULL };
static const char *const btls_apis[] = { GW_API "v1", GW_API "v1alpha3", NULL };
static const char *const ls_apis[] = { GW_API "v1", NULL };
static const char *const xls_apis[] = { GW_X_GROUP "/v1alpha1", NULL };
static const char *const agw_apis[] = { "agentgateway.dev/v1alpha1", NULL };
static const char *const core_apis[] = { "v1", NULL };
static const char *const slice_apis[] = { "discovery.k8s.io/v1", NULL };

static const struct kind_info kinds[] = {
	{ "Gateway", gw_apis },
	{ "ListenerSet", ls_apis },
	{ "XListenerSet", xls_apis },
	{ "HTTPRoute", gw_apis },
	{ "GRPCRoute", gw_apis },
	{ "TCPRoute", tcp_apis },
	{ "TLSRoute", tls_apis },
	{ "AgentgatewayPolicy", agw_apis },
	{ "Service", core_apis },
	{ "EndpointSlice", slice_apis },
	{ "Namespace", core_apis },
	{ "ReferenceGrant", grant_apis },
	{ "Secret", core_apis },
	{ "ConfigMap", core_apis },
	{ "BackendTLSPolicy", btls_apis },
};

/* ---- collecting -------------------------------------------------------- */

struct meta_in {
	const char *name, *ns;
	const struct sg_node *labels;
};

/* An RFC 1123 name as the API server takes one: lowercase letters,
 * digits and '-', dots between labels when `dots` (a DNS subdomain, as
 * most objects' names), starting and ending with a letter or digit, at
 * most `max` bytes. Names end up in keys, status, metrics and logs. */
static bool dns_name_ok(const char *v, size_t max, bool dots)
{
	size_t len = v ? strlen(v) : 0; /* a null scalar is no name */

	if (!len || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = v[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

		if (alnum)
			continue;
		if ((ch != '-' && !(dots && ch == '.')) || i == 0 || i == len - 1)
			return false;
		if (ch == '.' && (v[i - 1] == '.' || v[i - 1] == '-' || v[i + 1] == '-'))
			return false;
	}
	return true;
}

bool sg_k8s_namespace_ok(const char *ns)
{
	return dns_name_ok(ns, 63, false);
}

/* What a Hostname field is expected to be. */
#define HOSTNAME_WHAT                                                                              \
	"a lowercase host name such as \"app.example.com\" or \"*.example.com\" (Gateway API "     \
	"Hostname)"

bool sg_k8s_hostname_ok(const char *h, bool wildcard)
{
	if (wildcard && !strncmp(h, "*.", 2))
		h += 2;
	return dns_name_ok(h, 253, true);
}

static int f_meta_name(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_f_str(c, n, dst, path) == -1)
		return -1;
	if (!dns_name_ok(*(const char **)dst, 253, true))
		return sg_expected(c, n, path,
				   "a lowercase RFC 1123 name (a-z, 0-9, '-' and '.', a letter or "
				   "digit at each end, at most 253 characters)");
	return 0;
}

static int f_meta_ns(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_f_str(c, n, dst, path) == -1)
		return -1;
	if (!sg_k8s_namespace_ok(*(const char **)dst))
		return sg_expected(c, n, path, SG_K8S_NAMESPACE_RULE);
	return 0;
}

/* labels: a map of strings, as the API server takes them (selectors read
 * them as such; another shape was taken and matched nothing). */
static int f_meta_labels(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_node_is_null(n))
		return 0;
	if (sg_need_map(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(n); i++)
		if (sg_map_val(n, i)->kind != SG_NODE_SCALAR)
			return sg_expected(c, sg_map_val(n, i),
					   sg_path_key(c, path, sg_map_key(n, i)->str),
					   "a label value (a string)");
	*(const struct sg_node **)dst = n;
	return 0;
}

/* What `kubectl get -o yaml` prints is accepted back; only name, namespace
 * and labels mean anything here. */
static const struct sg_field meta_fields[] = {
	{ "name", f_meta_name, offsetof(struct meta_in, name), true },
	{ "namespace", f_meta_ns, offsetof(struct meta_in, ns) },
	{ "labels", f_meta_labels, offsetof(struct meta_in, labels) },
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
	{ "metadata", sg_f_node, offsetof(struct doc_in, metadata), true },
	{ "spec", sg_f_node, offsetof(struct doc_in, spec) },
	{ "status", NULL, 0 },
	/* EndpointSlice, Secret and ConfigMap keep their content at the top
	 * level (a Secret's or ConfigMap's is read where something refers
	 * to it). */
	{ "addressType", NULL, 0 },
	{ "type", NULL, 0 },
	{ "data", NULL, 0 },
	{ "stringData", NULL, 0 },
	{ "binaryData", NULL, 0 },
	{ "immutable", NULL, 0 },
	{ "endpoints", NULL, 0 },
	{ "ports", NULL, 0 },
	{ 0 },
};

/* Kinds of Gateway API and agentgateway splicegate does not serve, each
 * refused with the reason (issue 68: nothing taken and ignored). */
static const struct {
	const char *kind, *why;
} unserved[] = {
	{ "GatewayClass", "splicegate is the one gateway of its host and serves every Gateway, "
			  "whatever its gatewayClassName" },
	{ "AgentgatewayBackend", "its AI, MCP, static and dynamic backends are not implemented: "
				 "route to a Service" },
	{ "AgentgatewayParameters", "it configures the proxies a controller deploys, and "
				    "splicegate deploys none" },
	{ "AgentgatewayModel", "LLM models are not supported" },
	{ "UDPRoute", "splicegate routes HTTP and TCP, not UDP" },
	{ "XBackendTrafficPolicy", "not implemented yet: give a route rule its retry and "
				   "sessionPersistence" },
	{ "XBackend", "not implemented yet: route to a Service" },
	{ "XMesh", "splicegate is a gateway, not a mesh" },
};

static int check_kind(struct sg_pctx *c, const struct sg_node *doc, const struct doc_in *in)
{
	for (size_t i = 0; i < sizeof(unserved) / sizeof(unserved[0]); i++)
		if (!strcmp(unserved[i].kind, in->kind)) {
			sg_diag_err(c->d, sg_map_get(doc, "kind"), "kind: %s is not supported (%s)",
				    in->kind, unserved[i].why);
			return -1;
		}
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
			   "one of Gateway, ListenerSet, XListenerSet, HTTPRoute, GRPCRoute, "
			   "TCPRoute, TLSRoute, AgentgatewayPolicy, "
			   "BackendTLSPolicy, Service, EndpointSlice, Namespace, ReferenceGrant, "
			   "Secret, ConfigMap");
}

/* ---- the resource index: identities looked up in constant time, so that
 * 10,000 resources are not compared pairwise ----------------------------- */

static size_t res_hash(const char *kind, const char *ns, const char *name)
{
	const char *parts[] = { kind, ns, name };
	uint64_t h = 14695981039346656037ull; /* FNV-1a over the three, 0-separated */

	for (size_t i = 0; i < 3; i++) {
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

static struct sg_res *res_find(const struct sg_draft *b, const char *kind, const char *ns,
			       const char *name)
{
	size_t mask = b->res_cap - 1;

	if (!b->res_cap)
		return NULL;
	for (size_t h = res_hash(kind, ns, name) & mask; b->res_slots[h]; h = (h + 1) & mask) {
		struct sg_res *r = &b->res[b->res_slots[h] - 1];

		if (!strcmp(r->kind, kind) && !strcmp(r->ns, ns) && !strcmp(r->name, name))
			return r;
	}
	return NULL;
}

static void res_slot(size_t *slots, size_t cap, const struct sg_res *r, size_t i)
{
	size_t h = res_hash(r->kind, r->ns, r->name) & (cap - 1);

	while (slots[h])
		h = (h + 1) & (cap - 1);
	slots[h] = i + 1;
}

/* Index b->res[i] (not there yet). The table stays at most half full; a
 * grown one is a new arena block (the old one stays until the build is
 * freed: the sizes add up to twice the last). Returns 0 or -1 (memory). */
static int res_index(struct sg_draft *b, size_t i)
{
	if (2 * b->nres > b->res_cap) {
		size_t cap = b->res_cap ? 2 * b->res_cap : 64;
		size_t *slots = sg_arena_alloc(b->c.a, cap * sizeof(*slots));

		if (!slots)
			return -1;
		for (size_t j = 0; j < i; j++)
			res_slot(slots, cap, &b->res[j], j);
		b->res_slots = slots;
		b->res_cap = cap;
	}
	res_slot(b->res_slots, b->res_cap, &b->res[i], i);
	return 0;
}

static int deleted_cmp(const void *x, const void *y)
{
	return sg_res_id_cmp(x, y);
}

/* `endpoints`/`ports` are accepted at the top level for EndpointSlice and
 * read there when it is built. */
static int collect_one(struct sg_draft *b, const struct sg_node *doc)
{
	struct sg_pctx *c = &b->c;
	struct doc_in in = { 0 };
	struct meta_in meta = { 0 };
	struct sg_res *r, *o;

	if (sg_parse_fields(c, doc, doc_fields, &in, "") == -1)
		return -1;
	if (check_kind(c, doc, &in) == -1 ||
	    sg_parse_fields(c, in.metadata, meta_fields, &meta, "metadata") == -1)
		return -1;
	/* The namespace apply -n gave (else "default"; sg_cfg_identify
	 * checked it) for one that names none; a Namespace is in none.
	 * kubectl refuses a resource naming another than -n's, with these
	 * words. */
	if (!strcmp(in.kind, "Namespace")) {
		meta.ns = "default";
	} else if (meta.ns && b->ns_given && strcmp(meta.ns, b->ns)) {
		sg_diag_err(c->d, sg_map_get(in.metadata, "namespace"),
			    "the namespace from the provided object \"%s\" does not match the "
			    "namespace \"%s\". You must pass '--namespace=%s' to perform this "
			    "operation.",
			    meta.ns, b->ns, meta.ns);
		return -1;
	} else if (!meta.ns) {
		meta.ns = b->ns;
	}
	/* Deleted: its texts up to the deletion are left out, one applied
	 * after it is a new resource (a new creation time). */
	if (b->ndeleted) {
		struct sg_res_id key = { .kind = in.kind, .ns = meta.ns, .name = meta.name };
		const struct sg_res_id *d =
			bsearch(&key, b->deleted, b->ndeleted, sizeof(*b->deleted), deleted_cmp);

		if (d && b->era <= d->before)
			return 0;
	}
	o = res_find(b, in.kind, meta.ns, meta.name);
	if (o && b->replace) {
		o->api = in.api;
		o->doc = doc;
		o->spec = in.spec;
		o->metadata = in.metadata;
		o->labels = meta.labels;
		return 0;
	}
	if (o) {
		sg_diag_err(c->d, doc, "%s %s/%s is defined twice (first at %s:%u:%u)", in.kind,
			    o->ns, o->name, o->doc->file, o->doc->line, o->doc->col);
		return -1;
	}
	r = sg_arena_push(c->a, &b->res, &b->nres, &b->capres, sizeof(*r));
	if (!r)
		return -1;
	r->api = in.api;
	r->kind = in.kind;
	r->era = b->era;
	r->name = meta.name;
	r->ns = meta.ns;
	r->doc = doc;
	r->spec = in.spec;
	r->metadata = in.metadata;
	r->labels = meta.labels;
	return res_index(b, b->nres - 1);
}

/* A `kind: List` (apiVersion v1, what `kubectl get -o yaml` prints for
 * several objects) is its items, each collected as a document of its own;
 * anything else is one resource. */
int sg_k8s_collect(struct sg_draft *b, const struct sg_node *doc)
{
	const struct sg_node *kind = sg_map_get(doc, "kind"), *items;
	int ret = 0;

	if (!kind || kind->kind != SG_NODE_SCALAR || strcmp(kind->str, "List"))
		return collect_one(b, doc);
	items = sg_map_get(doc, "items");
	if (!items || items->kind != SG_NODE_SEQ)
		return sg_expected(&b->c, items ? items : doc, "items", "a list of resources");
	for (size_t i = 0; i < items->n; i++) {
		if (items->items[i]->kind != SG_NODE_MAP) {
			sg_expected(&b->c, items->items[i], sg_path_idx(&b->c, "items", i),
				    "a resource (a map)");
			ret = -1;
		} else if (collect_one(b, items->items[i]) == -1) {
			ret = -1;
		}
	}
	return ret;
}

static const struct sg_res *find_res(const struct sg_draft *b, const char *kind, const char *ns,
				     const char *name)
{
	return res_find(b, kind, ns, name);
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

/* kubernetes.io/h2c asks for HTTP/2 without TLS to the backend (Gateway
 * API's HTTPRouteBackendProtocolH2C). kubernetes.io/wss asks for TLS, which
 * the gateway does not speak to backends yet: refused rather than sent
 * cleartext. */
static int f_app_protocol(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_service_port *p = dst;
	const char *v = NULL;

	if (sg_f_str(c, n, &v, path) == -1)
		return -1;
	if (v && !strcmp(v, "kubernetes.io/wss"))
		return sg_expected(c, n, path,
				   "no appProtocol \"kubernetes.io/wss\" "
				   "(TLS to backends is not supported yet)");
	p->h2c = v && !strcmp(v, "kubernetes.io/h2c");
	return 0;
}

static const struct sg_field svc_port_fields[] = {
	{ "name", sg_f_str, offsetof(struct sg_service_port, name) },
	{ "port", sg_f_port, offsetof(struct sg_service_port, port), true },
	{ "targetPort", f_target_port, 0 },
	{ "protocol", NULL, 0 },
	{ "appProtocol", f_app_protocol, 0 },
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

/* Service sessionAffinity: None, its default, is taken; ClientIP is
 * refused, as agentgateway's controller does not honour it (its
 * translation reads no Service affinity) and GEP-1619 forbids it beside a
 * route's sessionPersistence. */
static int f_svc_affinity(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	if (n->kind == SG_NODE_SCALAR && (sg_node_is_null(n) || !strcmp(n->str, "None")))
		return 0;
	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "ClientIP")) {
		sg_diag_err(c->d, n,
			    "%s: ClientIP is not supported (agentgateway does not honour a "
			    "Service's session affinity): give the route rule a "
			    "sessionPersistence instead",
			    path);
		return -1;
	}
	return sg_expected(c, n, path, "None or ClientIP");
}

static const struct sg_field svc_fields[] = {
	{ "clusterIP", sg_f_str, offsetof(struct sg_service, cluster_ip) },
	{ "externalName", sg_f_hostname, offsetof(struct sg_service, external_name) },
	{ "ports", f_svc_ports, 0 },
	{ "clusterIPs", NULL, 0 },
	{ "type", NULL, 0 },
	{ "selector", NULL, 0 },
	{ "sessionAffinity", f_svc_affinity, 0 },
	{ "ipFamilies", NULL, 0 },
	{ "ipFamilyPolicy", NULL, 0 },
	{ "internalTrafficPolicy", NULL, 0 },
	{ 0 },
};

static int build_service(struct sg_draft *b, struct sg_res *r)
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
	{ "conditions", sg_f_node, offsetof(struct slice_ep, conditions) },
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

static int add_slice_eps(struct sg_draft *b, struct sg_service *s, const struct sg_node *eps,
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

static int build_slice(struct sg_draft *b, struct sg_res *r)
{
	struct sg_pctx *c = &b->c;
	const struct sg_node *svc_label = sg_map_get(r->labels, "kubernetes.io/service-name");
	const struct sg_node *eps = sg_map_get(r->doc, "endpoints");
	const struct sg_node *pn = sg_map_get(r->doc, "ports");
	struct slice_port ports[64];
	size_t nports = 0;
	struct sg_service *s, unused = { 0 };

	if (!svc_label || svc_label->kind != SG_NODE_SCALAR) {
		sg_diag_err(c->d, r->metadata,
			    "EndpointSlice %s/%s: metadata.labels needs "
			    "\"kubernetes.io/service-name\" naming its Service",
			    r->ns, r->name);
		return -1;
	}
	s = find_service(b->cfg, r->ns, svc_label->str);
	if (!s) {
		/* Resources arrive in any order: used once the Service is. */
		sg_diag_warn(c->d, svc_label,
			     "EndpointSlice %s/%s: names Service %s/%s, which is not defined; "
			     "unused until it is",
			     r->ns, r->name, r->ns, svc_label->str);
		s = &unused; /* still checked field by field */
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
	const struct sg_node *tls, *allowed;
};

/* A listener's hostname: a Gateway API Hostname ("*." may lead), or ""
 * for none (as the CRD's CEL rules read it, and as configs write it). */
static int f_listener_hostname(struct sg_pctx *c, const struct sg_node *n, void *dst,
			       const char *path)
{
	const char *const *h = dst;

	if (sg_f_str(c, n, dst, path) == -1)
		return -1;
	if (*h && **h && !sg_k8s_hostname_ok(*h, true))
		return sg_expected(c, n, path, HOSTNAME_WHAT);
	return 0;
}

static const struct sg_field gw_listener_fields[] = {
	{ "name", sg_f_str, offsetof(struct gw_listener_in, name), true },
	{ "port", sg_f_port, offsetof(struct gw_listener_in, port), true },
	{ "protocol", sg_f_str, offsetof(struct gw_listener_in, protocol), true },
	{ "hostname", f_listener_hostname, offsetof(struct gw_listener_in, hostname) },
	{ "tls", sg_f_node, offsetof(struct gw_listener_in, tls) },
	{ "allowedRoutes", sg_f_node, offsetof(struct gw_listener_in, allowed) },
	{ 0 },
};

/* Fields the gateway cannot honour are refused, never read and dropped. */
static int f_unsupported(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_expected(c, n, path,
			   "nothing here (splicegate listens on the host's addresses and has no "
			   "infrastructure or parametersRef to apply)");
}

struct gw_in {
	const struct sg_node *listeners, *allowed_listeners, *tls;
};

static int f_allowed_listeners(struct sg_pctx *c, const struct sg_node *n, void *dst,
			       const char *path);
static int f_gw_tls(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
static int gw_spec_tls(struct sg_draft *b, struct sg_res *r);
static int client_validation(struct sg_draft *b, const struct sg_res *owner,
			     const struct sg_res *gw, struct sg_listener *l);

static const struct sg_field gw_fields[] = {
	{ "gatewayClassName", NULL, 0 },
	{ "listeners", sg_f_node, offsetof(struct gw_in, listeners), true },
	{ "allowedListeners", f_allowed_listeners, offsetof(struct gw_in, allowed_listeners) },
	{ "tls", f_gw_tls, offsetof(struct gw_in, tls) },
	{ "addresses", f_unsupported, 0 },
	{ "infrastructure", f_unsupported, 0 },
	{ 0 },
};

/* LabelSelector: matchLabels and matchExpressions (In, NotIn, Exists,
 * DoesNotExist), checked here, evaluated by selector_matches. */
struct expr_in {
	const char *key, *op;
	struct sg_strs values;
};

static const struct sg_field expr_fields[] = {
	{ "key", sg_f_str, offsetof(struct expr_in, key), true },
	{ "operator", sg_f_str, offsetof(struct expr_in, op), true },
	{ "values", sg_f_strs, offsetof(struct expr_in, values) },
	{ 0 },
};

static int f_match_labels(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_need_map(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const struct sg_node *v = sg_map_val(n, i);

		if (v->kind != SG_NODE_SCALAR)
			return sg_expected(c, v, sg_path_key(c, path, sg_map_key(n, i)->str),
					   "a label value (string)");
	}
	return 0;
}

static int f_match_exprs(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const char *p = sg_path_idx(c, path, i);
		struct expr_in in = { 0 };

		if (sg_parse_fields(c, n->items[i], expr_fields, &in, p) == -1)
			return -1;
		if (strcmp(in.op, "In") && strcmp(in.op, "NotIn") && strcmp(in.op, "Exists") &&
		    strcmp(in.op, "DoesNotExist"))
			return sg_expected(c, sg_map_get(n->items[i], "operator"),
					   sg_path_key(c, p, "operator"),
					   "In, NotIn, Exists or DoesNotExist");
	}
	return 0;
}

static const struct sg_field selector_fields[] = {
	{ "matchLabels", f_match_labels, 0 },
	{ "matchExpressions", f_match_exprs, 0 },
	{ 0 },
};

struct ns_in {
	const char *from;
	const struct sg_node *selector;
};

static const struct sg_field ns_fields[] = {
	{ "from", sg_f_str, offsetof(struct ns_in, from) },
	{ "selector", sg_f_node, offsetof(struct ns_in, selector) },
	{ 0 },
};

struct allowed_in {
	const struct sg_node *namespaces, *kinds;
};

static const struct sg_field allowed_fields[] = {
	{ "namespaces", sg_f_node, offsetof(struct allowed_in, namespaces) },
	{ "kinds", sg_f_node, offsetof(struct allowed_in, kinds) },
	{ 0 },
};

struct rgk_in {
	const char *group, *kind;
};

static const struct sg_field rgk_fields[] = {
	{ "group", sg_f_str, offsetof(struct rgk_in, group) },
	{ "kind", sg_f_str, offsetof(struct rgk_in, kind), true },
	{ 0 },
};

/* allowedRoutes of listener `l` (protocol and tls already set). Kinds the
 * listener cannot serve leave it with ResolvedRefs False
 * (InvalidRouteKinds). A TLS listener in mode Terminate relays plaintext
 * as a TCP listener does, so it takes TCPRoutes too (agentgateway's
 * does). */
static int parse_allowed(struct sg_pctx *c, struct sg_listener *l, const struct sg_node *n,
			 const char *path)
{
	unsigned proto_kind = l->proto == SG_PROTO_HTTP || l->proto == SG_PROTO_HTTPS
				      ? SG_KIND_HTTPROUTE | SG_KIND_GRPCROUTE
			      : sg_listener_terminates_tls(l) ? SG_KIND_TLSROUTE | SG_KIND_TCPROUTE
			      : l->proto == SG_PROTO_TLS      ? SG_KIND_TLSROUTE
							      : SG_KIND_TCPROUTE;
	struct allowed_in in = { 0 };
	struct ns_in ns = { "Same", NULL };
	int unused;

	l->from = SG_FROM_SAME;
	l->kinds = proto_kind;
	if (!n || sg_node_is_null(n))
		return 0;
	if (sg_parse_fields(c, n, allowed_fields, &in, path) == -1)
		return -1;
	if (in.namespaces) {
		const char *np = sg_path_key(c, path, "namespaces");

		if (sg_parse_fields(c, in.namespaces, ns_fields, &ns, np) == -1)
			return -1;
		if (!strcmp(ns.from, "All"))
			l->from = SG_FROM_ALL;
		else if (!strcmp(ns.from, "Selector"))
			l->from = SG_FROM_SELECTOR;
		else if (strcmp(ns.from, "Same") != 0)
			return sg_expected(c, sg_map_get(in.namespaces, "from"),
					   sg_path_key(c, np, "from"), "Same, All or Selector");
		if (l->from == SG_FROM_SELECTOR && !ns.selector)
			return sg_expected(c, in.namespaces, np,
					   "a selector when from is Selector");
		if (ns.selector && sg_parse_fields(c, ns.selector, selector_fields, &unused,
						   sg_path_key(c, np, "selector")) == -1)
			return -1;
		l->selector = ns.selector;
	}
	if (!in.kinds)
		return 0;
	if (sg_need_seq(c, in.kinds, sg_path_key(c, path, "kinds")) == -1)
		return -1;
	l->kinds = 0;
	for (size_t i = 0; i < in.kinds->n; i++) {
		struct rgk_in k = { GW_API_GROUP, NULL };

		if (sg_parse_fields(c, in.kinds->items[i], rgk_fields, &k,
				    sg_path_idx(c, sg_path_key(c, path, "kinds"), i)) == -1)
			return -1;
		if (strcmp(k.group, GW_API_GROUP) != 0)
			l->invalid_kinds = true;
		else if (!strcmp(k.kind, "HTTPRoute") && (proto_kind & SG_KIND_HTTPROUTE))
			l->kinds |= SG_KIND_HTTPROUTE;
		else if (!strcmp(k.kind, "GRPCRoute") && (proto_kind & SG_KIND_GRPCROUTE))
			l->kinds |= SG_KIND_GRPCROUTE;
		else if (!strcmp(k.kind, "TCPRoute") && (proto_kind & SG_KIND_TCPROUTE))
			l->kinds |= SG_KIND_TCPROUTE;
		else if (!strcmp(k.kind, "TLSRoute") && (proto_kind & SG_KIND_TLSROUTE))
			l->kinds |= SG_KIND_TLSROUTE;
		else
			l->invalid_kinds = true;
	}
	return 0;
}

struct gw_tls_in {
	const char *mode;
	const struct sg_node *certs, *options;
};

static const struct sg_field gw_tls_fields[] = {
	{ "mode", sg_f_str, offsetof(struct gw_tls_in, mode) },
	{ "certificateRefs", sg_f_node, offsetof(struct gw_tls_in, certs) },
	{ "options", sg_f_node, offsetof(struct gw_tls_in, options) },
	{ 0 },
};

struct cert_ref_in {
	const char *group, *kind, *name, *ns;
};

static const struct sg_field cert_ref_fields[] = {
	{ "group", sg_f_str, offsetof(struct cert_ref_in, group) },
	{ "kind", sg_f_str, offsetof(struct cert_ref_in, kind) },
	{ "name", sg_f_str, offsetof(struct cert_ref_in, name), true },
	{ "namespace", sg_f_str, offsetof(struct cert_ref_in, ns) },
	{ 0 },
};

static bool grant_allows(const struct sg_draft *b, const char *from_kind, const char *from_ns,
			 const char *to_kind, const char *to_ns, const char *name);
static bool node_is(const struct sg_node *n, const char *v);

/* One key of a Secret: data (base64) or stringData (text). */
static const char *secret_key(struct sg_draft *b, const struct sg_res *s, const char *key,
			      size_t *len)
{
	const struct sg_node *data = sg_map_get(s->doc, "data");
	const struct sg_node *text = sg_map_get(s->doc, "stringData");
	const struct sg_node *v;

	if (text && text->kind == SG_NODE_MAP && (v = sg_map_get(text, key)) &&
	    v->kind == SG_NODE_SCALAR) {
		*len = strlen(v->str);
		return v->str;
	}
	if (data && data->kind == SG_NODE_MAP && (v = sg_map_get(data, key)) &&
	    v->kind == SG_NODE_SCALAR)
		return sg_base64_decode(b->c.a, v->str, len);
	return NULL;
}

/* Listener `l` of Gateway `gw` serves the certificate of its first
 * certificateRef (a Secret of type kubernetes.io/tls, in another namespace
 * only with a ReferenceGrant); one that does not resolve leaves the
 * listener with ResolvedRefs False, as the Gateway API asks. */
static int resolve_cert(struct sg_draft *b, const struct sg_res *gw, struct sg_listener *l,
			const struct sg_node *certs, const char *path)
{
	struct sg_pctx *c = &b->c;
	struct cert_ref_in in = { "", "Secret", NULL, NULL };
	const struct sg_res *s;
	const struct sg_node *type;
	struct sg_tls_cert *t;

	if (!certs || certs->kind != SG_NODE_SEQ || certs->n == 0)
		return sg_expected(c, certs, path,
				   "certificateRefs with at least one Secret (mode Terminate)");
	for (size_t i = 0; i < certs->n; i++)
		if (sg_parse_fields(c, certs->items[i], cert_ref_fields,
				    i ? &(struct cert_ref_in){ 0 } : &in,
				    sg_path_idx(c, path, i)) == -1)
			return -1;
	if (!in.ns)
		in.ns = gw->ns;
	if ((strcmp(in.group, "") && strcmp(in.group, "core")) || strcmp(in.kind, "Secret")) {
		l->tls_reason = "InvalidCertificateRef";
		l->tls_message = sg_arena_printf(c->a,
						 "certificateRefs[0]: kind %s/%s is not a "
						 "Secret",
						 in.group, in.kind);
		return 0;
	}
	if (strcmp(in.ns, gw->ns) && !grant_allows(b, gw->kind, gw->ns, "Secret", in.ns, in.name)) {
		l->tls_reason = "RefNotPermitted";
		l->tls_message = sg_arena_printf(c->a,
						 "Secret %s/%s: no ReferenceGrant in %s "
						 "allows it",
						 in.ns, in.name, in.ns);
		return 0;
	}
	s = res_find(b, "Secret", in.ns, in.name);
	type = s ? sg_map_get(s->doc, "type") : NULL;
	t = sg_arena_alloc(c->a, sizeof(*t));
	if (!t)
		return -1;
	memset(t, 0, sizeof(*t));
	t->secret = sg_arena_printf(c->a, "%s/%s", in.ns, in.name);
	t->secret_at = s ? s->doc : NULL;
	l->tls_reason = "InvalidCertificateRef";
	if (!s)
		l->tls_message = sg_arena_printf(c->a, "Secret %s not found", t->secret);
	else if (!node_is(type, "kubernetes.io/tls"))
		l->tls_message = sg_arena_printf(c->a, "Secret %s: type is not kubernetes.io/tls",
						 t->secret);
	else if (!(t->cert_pem = secret_key(b, s, "tls.crt", &t->cert_len)) ||
		 !(t->key_pem = secret_key(b, s, "tls.key", &t->key_len)))
		l->tls_message = sg_arena_printf(c->a,
						 "Secret %s: tls.crt and tls.key must be "
						 "base64 PEM data",
						 t->secret);
	else
		l->tls_reason = NULL;
	if (!l->tls_reason)
		l->tls = t;
	return 0;
}

/* A listener's `tls`: mode Terminate (the default) decrypts with the
 * certificate of a Secret, an HTTPS listener's requests or a TLS
 * listener's TLSRoutes' bytes; mode Passthrough, on a TLS listener only,
 * never decrypts (no certificate: the backend holds it). */
static int gw_listener_tls(struct sg_draft *b, const struct sg_res *gw, struct sg_listener *l,
			   const struct sg_node *n, const struct sg_node *tls, const char *path)
{
	struct sg_pctx *c = &b->c;
	struct gw_tls_in in = { "Terminate", NULL, NULL }; /* the Gateway API default mode */
	const char *tp = sg_path_key(c, path, "tls");
	bool pass = l->proto == SG_PROTO_TLS;

	if (l->proto != SG_PROTO_TLS && l->proto != SG_PROTO_HTTPS) {
		if (!tls)
			return 0;
		return sg_expected(c, tls, tp, "no tls section (an HTTP or TCP listener)");
	}
	if (!tls) {
		sg_diag_err(c->d, n,
			    pass ? "%s: a TLS listener needs tls: {mode: Passthrough}, or "
				   "{certificateRefs: [...]} to terminate"
				 : "%s: an HTTPS listener needs tls: {certificateRefs: [...]}",
			    path);
		return -1;
	}
	if (sg_parse_fields(c, tls, gw_tls_fields, &in, tp) == -1)
		return -1;
	if (strcmp(in.mode, "Terminate") != 0 && (!pass || strcmp(in.mode, "Passthrough") != 0))
		return sg_expected(c, sg_map_get(tls, "mode"), sg_path_key(c, tp, "mode"),
				   pass ? "Terminate or Passthrough"
					: "Terminate (only protocol TLS passes through)");
	pass = !strcmp(in.mode, "Passthrough");
	if (in.options)
		return sg_expected(c, in.options, sg_path_key(c, tp, "options"),
				   "no options (TLS settings come from an AgentgatewayPolicy's "
				   "frontend.tls)");
	if (!pass && !in.certs) {
		sg_diag_err(c->d, tls,
			    "%s: mode Terminate needs certificateRefs (at least one Secret)", tp);
		return -1;
	}
	if (!pass)
		return resolve_cert(b, gw, l, in.certs, sg_path_key(c, tp, "certificateRefs"));
	if (in.certs && !(in.certs->kind == SG_NODE_SEQ && in.certs->n == 0))
		return sg_expected(c, in.certs, sg_path_key(c, tp, "certificateRefs"),
				   "no certificateRefs with mode Passthrough (the backend holds "
				   "the certificate)");
	return 0;
}

/* A listener the Gateway is accepted without (Gateway API: the others
 * are served): kept for its status, said as a warning. */
static int bad_listener(struct sg_draft *b, const struct sg_res *r, const struct gw_listener_in *in,
			const struct sg_node *n, const char *reason, const char *message)
{
	struct sg_bad_listener *bl =
		sg_arena_push(&b->cfg->arena, &b->cfg->bad_listeners, &b->cfg->nbad_listeners,
			      &b->cfg->capbad_listeners, sizeof(*bl));

	if (!bl || !message)
		return -1;
	*bl = (struct sg_bad_listener){ r->ns, r->name, in->name, reason, message };
	sg_diag_warn(b->c.d, n, "%s %s/%s: listener \"%s\" serves nothing (%s): %s", r->kind, r->ns,
		     r->name, in->name, reason, message);
	return 0;
}

/* Listener n of r (a Gateway, or a ListenerSet on Gateway gw; a
 * Gateway's own: gw is r), whose spec.tls it follows. */
static int build_gw_listener(struct sg_draft *b, const struct sg_res *r, const struct sg_res *gw,
			     const struct sg_node *n, const char *path)
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
	else if (!strcmp(in.protocol, "TLS"))
		proto = SG_PROTO_TLS;
	else if (!strcmp(in.protocol, "HTTPS"))
		proto = SG_PROTO_HTTPS;
	else
		return bad_listener(
			b, r, &in, n, "UnsupportedProtocol",
			sg_arena_printf(c->a,
					"protocol %s is not served (HTTP, HTTPS, TCP or "
					"TLS)",
					in.protocol));
	if (proto == SG_PROTO_TCP && in.hostname && in.hostname[0])
		return sg_expected(c, sg_map_get(n, "hostname"), sg_path_key(c, path, "hostname"),
				   "no hostname on a TCP listener (it takes connections, not host "
				   "names)");
	for (size_t i = 0; i < b->cfg->nbinds; i++)
		if (b->cfg->binds[i].port == in.port && b->cfg->binds[i].proto != proto)
			return bad_listener(
				b, r, &in, n, "ProtocolConflict",
				sg_arena_printf(c->a, "port %u is %s listeners' already", in.port,
						sg_proto_name(b->cfg->binds[i].proto)));
	bind = sg_draft_bind(b, in.port, proto, n);
	if (!bind || !(l = sg_draft_listener(b, bind, n)))
		return -1;
	l->gw_ns = r->ns;
	l->gw_name = r->name;
	l->name = in.name;
	l->key = sg_arena_printf(c->a, "%s/%s.%s", r->ns, r->name, in.name);
	l->port = in.port;
	l->hostname = in.hostname ? in.hostname : "";
	l->proto = proto;
	if (gw_listener_tls(b, r, l, n, in.tls, path) == -1 || client_validation(b, r, gw, l) == -1)
		return -1;
	l->backend_client = gw->gw_client;
	return parse_allowed(c, l, in.allowed, sg_path_key(c, path, "allowedRoutes"));
}

/* Whether listeners x and y say the same of `key`, or both nothing. */
static bool same_scalar(const struct sg_node *x, const struct sg_node *y, const char *key)
{
	const struct sg_node *a = sg_map_get(x, key), *b = sg_map_get(y, key);

	if (!a || sg_node_is_null(a))
		return !b || sg_node_is_null(b);
	return a->kind == SG_NODE_SCALAR && b && !sg_node_is_null(b) && node_is(b, a->str);
}

/* What the CRDs' CEL rules ask of the listeners of a Gateway or a
 * ListenerSet (`kind`): unique names (routes and policies name them),
 * and no two of one port, protocol and hostname (no request could tell
 * them apart; two Gateways' may, and are Conflicted: mark_conflicts). */
static int listeners_unique(struct sg_pctx *c, const struct sg_node *ls, const char *kind)
{
	for (size_t i = 0; i < ls->n; i++) {
		const struct sg_node *x = ls->items[i], *name = sg_map_get(x, "name");
		const char *p = sg_path_idx(c, "spec.listeners", i);

		for (size_t j = 0; j < i; j++) {
			const struct sg_node *y = ls->items[j];

			if (name && name->kind == SG_NODE_SCALAR && !sg_node_is_null(name) &&
			    node_is(sg_map_get(y, "name"), name->str)) {
				sg_diag_err(c->d, name,
					    "%s.name: \"%s\" is spec.listeners[%zu]'s already: "
					    "listener names are unique in a %s",
					    p, name->str, j, kind);
				return -1;
			}
			if (same_scalar(x, y, "port") && same_scalar(x, y, "protocol") &&
			    same_scalar(x, y, "hostname")) {
				sg_diag_err(c->d, x,
					    "%s: the port, protocol and hostname of "
					    "spec.listeners[%zu]: their combination is unique for "
					    "each listener of a %s",
					    p, j, kind);
				return -1;
			}
		}
	}
	return 0;
}

static int build_gateway(struct sg_draft *b, struct sg_res *r)
{
	struct sg_pctx *c = &b->c;
	struct gw_in in = { 0 };
	int ret = 0;

	if (need_spec(c, r) == -1 || sg_parse_fields(c, r->spec, gw_fields, &in, "spec") == -1)
		return -1;
	if (sg_need_seq(c, in.listeners, "spec.listeners") == -1 ||
	    listeners_unique(c, in.listeners, "Gateway") == -1 || gw_spec_tls(b, r) == -1)
		return -1;
	for (size_t i = 0; i < in.listeners->n; i++)
		if (build_gw_listener(b, r, r, in.listeners->items[i],
				      sg_path_idx(c, "spec.listeners", i)) == -1)
			ret = -1;
	return ret;
}

/* Whether listener l is the own of `kind` ns/name: a Gateway's (not its
 * ListenerSets') or a ListenerSet's. */
static bool listener_of(const struct sg_listener *l, const char *kind, const char *ns,
			const char *name)
{
	if (!strcmp(kind, "Gateway"))
		return l->gw_ns && !l->ls_kind && !strcmp(l->gw_ns, ns) &&
		       !strcmp(l->gw_name, name);
	return l->ls_kind && !strcmp(l->ls_kind, kind) && !strcmp(l->ls_ns, ns) &&
	       !strcmp(l->ls_name, name);
}

/* Every listener of the Gateway or ListenerSet `kind` ns/name, in order. */
static size_t gw_listeners(struct sg_cfg *cfg, const char *kind, const char *ns, const char *name,
			   struct sg_listener **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->nbinds; i++) {
		struct sg_bind *bind = &cfg->binds[i];

		for (size_t j = 0; j < bind->nlisteners; j++) {
			struct sg_listener *l = &bind->listeners[j];

			if (listener_of(l, kind, ns, name) && n < max)
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

static void cond_set(struct sg_condition *cd, const char *type, bool ok, const char *reason,
		     const char *message)
{
	cd->type = type;
	cd->status = ok;
	cd->reason = reason;
	cd->message = message;
}

/* A Namespace's label `key` (kubernetes.io/metadata.name is implicit, as
 * the API server sets it), or NULL. Namespaces are cluster-scoped: only
 * the name counts. */
static const char *ns_label(const struct sg_draft *b, const char *ns, const char *key)
{
	if (!strcmp(key, "kubernetes.io/metadata.name"))
		return ns;
	for (size_t i = 0; i < b->nres; i++) {
		const struct sg_node *v;

		if (strcmp(b->res[i].kind, "Namespace") || strcmp(b->res[i].name, ns))
			continue;
		v = sg_map_get(b->res[i].labels, key);
		return v && v->kind == SG_NODE_SCALAR ? v->str : NULL;
	}
	return NULL;
}

static bool str_in(const struct sg_node *seq, const char *v)
{
	for (size_t i = 0; seq && seq->kind == SG_NODE_SEQ && i < seq->n; i++)
		if (seq->items[i]->kind == SG_NODE_SCALAR && !strcmp(seq->items[i]->str, v))
			return true;
	return false;
}

/* A LabelSelector (checked by parse_allowed) against namespace `ns`. */
bool sg_k8s_selector_matches(const struct sg_draft *b, const struct sg_node *sel, const char *ns)
{
	const struct sg_node *ml = sg_map_get(sel, "matchLabels");
	const struct sg_node *me = sg_map_get(sel, "matchExpressions");

	for (size_t i = 0; ml && ml->kind == SG_NODE_MAP && i < sg_map_len(ml); i++) {
		const char *v = ns_label(b, ns, sg_map_key(ml, i)->str);

		if (!v || strcmp(v, sg_map_val(ml, i)->str) != 0)
			return false;
	}
	for (size_t i = 0; me && me->kind == SG_NODE_SEQ && i < me->n; i++) {
		const struct sg_node *key = sg_map_get(me->items[i], "key");
		const struct sg_node *op = sg_map_get(me->items[i], "operator");
		const struct sg_node *vals = sg_map_get(me->items[i], "values");
		const char *v = ns_label(b, ns, key->str);
		bool ok;

		if (!strcmp(op->str, "In"))
			ok = v && str_in(vals, v);
		else if (!strcmp(op->str, "NotIn"))
			ok = !v || !str_in(vals, v);
		else if (!strcmp(op->str, "Exists"))
			ok = v != NULL;
		else
			ok = v == NULL;
		if (!ok)
			return false;
	}
	return true;
}

static bool ns_allowed(const struct sg_draft *b, const struct sg_listener *l, const char *ns)
{
	switch (l->from) {
	case SG_FROM_ALL:
		return true;
	case SG_FROM_SELECTOR:
		return sg_k8s_selector_matches(b, l->selector, ns);
	case SG_FROM_SAME:
		break;
	}
	return !strcmp(l->ls_ns ? l->ls_ns : l->gw_ns, ns); /* a ListenerSet's: its own */
}

/* Whether hostname a ("*.x" wildcard or exact) and b can both match one
 * host (case-insensitive). */
static bool host_overlap(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (a[0] == '*' && b[0] == '*')
		return la >= lb ? !strcasecmp(a + la - (lb - 1), b + 1)
				: !strcasecmp(b + lb - (la - 1), a + 1);
	if (a[0] == '*')
		return lb > la - 1 && !strcasecmp(b + lb - (la - 1), a + 1);
	if (b[0] == '*')
		return la > lb - 1 && !strcasecmp(a + la - (lb - 1), b + 1);
	return !strcasecmp(a, b);
}

static bool hosts_intersect(const struct sg_listener *l, const struct sg_strs *hosts)
{
	if (!l->hostname[0] || hosts->n == 0)
		return true;
	for (size_t i = 0; i < hosts->n; i++)
		if (host_overlap(l->hostname, hosts->v[i]))
			return true;
	return false;
}

/* Why no listener of a parentRef took the route, as the condition's
 * message and a warning. */
static void parent_refused(struct sg_draft *b, const struct sg_res *r, struct sg_parent_status *ps,
			   const struct sg_node *at, const char *path, const char *reason,
			   const char *why)
{
	cond_set(&ps->accepted, "Accepted", false, reason, why);
	sg_diag_warn(b->c.d, at, "%s %s/%s: %s: not attached (%s): %s", r->kind, r->ns, r->name,
		     path, reason, why);
}

/* The API group a parent or ReferenceGrant `from` of `kind` is in. */
static const char *kind_group(const char *kind)
{
	return !strcmp(kind, "XListenerSet") ? GW_X_GROUP : GW_API_GROUP;
}

/* A parentRef's kind: a Gateway (the default), or a ListenerSet of either
 * version, each in its own group (gateway.networking.k8s.io when none is
 * given). */
static int parent_kind(struct sg_pctx *c, const struct sg_node *n, const char *path,
		       struct parent_in *in)
{
	const struct sg_node *g = sg_map_get(n, "group");

	if (!in->kind)
		in->kind = "Gateway";
	if (strcmp(in->kind, "Gateway") && strcmp(in->kind, "ListenerSet") &&
	    strcmp(in->kind, "XListenerSet"))
		return sg_expected(c, sg_map_get(n, "kind"), sg_path_key(c, path, "kind"),
				   "Gateway, ListenerSet or XListenerSet");
	if (!in->group && strcmp(kind_group(in->kind), GW_API_GROUP)) {
		sg_diag_err(c->d, n, "%s: kind %s needs group: %s (the default group has no %s)",
			    path, in->kind, kind_group(in->kind), in->kind);
		return -1;
	}
	if (in->group && strcmp(in->group, kind_group(in->kind)) != 0)
		return sg_expected(c, g, sg_path_key(c, path, "group"), kind_group(in->kind));
	return 0;
}

/* How a parentRef's listeners refused a route (attach_parent's count). */
struct refusals {
	size_t matched;	     /* by sectionName and port */
	size_t section_port; /* by sectionName only */
	size_t conflicted;   /* of those matched, Conflicted */
	size_t not_allowed;  /* of those matched, the route's kind or namespace refused */
	size_t ns_refused;   /* of those, its namespace */
};

/* The parent status of a route no listener of `gw` took: the reason and
 * message Gateway API asks for, from what refused it. */
static void parent_none(struct sg_draft *b, struct sg_res *r, struct sg_parent_status *ps,
			const struct sg_node *n, const char *path, const struct parent_in *in,
			const struct sg_res *pr, const char *gw, unsigned kind,
			const struct refusals *t)
{
	struct sg_arena *a = b->c.a;
	const char *reason = "NotAllowedByListeners", *why;

	if (t->matched == 0) {
		reason = "NoMatchingParent";
		if (in->section && t->section_port)
			why = sg_arena_printf(a, "%s: listener \"%s\" is not on port %u", gw,
					      in->section, in->port);
		else if (in->section)
			why = sg_arena_printf(a, "%s has no listener named \"%s\"", gw,
					      in->section);
		else if (in->port)
			why = sg_arena_printf(a, "%s has no listener on port %u", gw, in->port);
		else if (pr->status.detached.reason) /* a ListenerSet */
			why = sg_arena_printf(a, "%s is not attached to its Gateway (%s)", gw,
					      pr->status.detached.reason);
		else
			why = sg_arena_printf(a, "%s has no listeners", gw);
	} else if (t->conflicted == t->matched) {
		why = sg_arena_printf(a,
				      "the listeners of %s it names are Conflicted "
				      "(HostnameConflict): they take no route",
				      gw);
	} else if (t->not_allowed && !t->ns_refused) {
		why = sg_arena_printf(a,
				      "no listener of %s takes a %s (its protocol, or "
				      "allowedRoutes.kinds)",
				      gw, sg_route_kind_name(kind));
	} else if (t->not_allowed) {
		why = sg_arena_printf(a,
				      "no listener of %s allows a %s from namespace %s "
				      "(allowedRoutes)",
				      gw, sg_route_kind_name(kind), r->ns);
	} else {
		reason = "NoMatchingListenerHostname";
		why = sg_arena_printf(a,
				      "no listener hostname of %s intersects the route's "
				      "hostnames",
				      gw);
	}
	parent_refused(b, r, ps, n, path, reason, why);
}

/* The listeners parentRef `n` of route `r` (kind SG_KIND_*) attaches to,
 * with that parent's Accepted condition in a new entry of r->status. A
 * reference problem (no such Gateway or listener, a listener that does
 * not allow the route) attaches to nothing and says why; only a malformed
 * parentRef is an error (-1). */
static int attach_parent(struct sg_draft *b, struct sg_res *r, const struct sg_node *n,
			 const char *path, unsigned kind, const struct sg_strs *hosts,
			 struct sg_listener **out, size_t *nout)
{
	struct sg_pctx *c = &b->c;
	struct parent_in in = { 0 };
	struct sg_listener *all[SG_MAX_PARENT_LISTENERS];
	struct sg_parent_status *ps;
	struct refusals t = { 0 };
	size_t nall;
	const struct sg_res *pr;
	const char *gw;

	*nout = 0;
	if (sg_parse_fields(c, n, parent_fields, &in, path) == -1 ||
	    parent_kind(c, n, path, &in) == -1)
		return -1;
	if (!in.ns)
		in.ns = r->ns;
	ps = sg_arena_push(c->a, &r->status.parents, &r->status.nparents, &r->status.capparents,
			   sizeof(*ps));
	if (!ps)
		return -1;
	ps->kind = in.kind;
	ps->ns = in.ns;
	ps->name = in.name;
	ps->section = in.section;
	ps->port = in.port;
	gw = sg_arena_printf(c->a, "%s %s/%s", in.kind, in.ns, in.name);
	if (!(pr = find_res(b, in.kind, in.ns, in.name))) {
		parent_refused(b, r, ps, sg_map_get(n, "name"), path, "NoMatchingParent",
			       sg_arena_printf(c->a, "%s is not defined", gw));
		return 0;
	}
	nall = gw_listeners(b->cfg, in.kind, in.ns, in.name, all, SG_MAX_PARENT_LISTENERS);
	for (size_t i = 0; i < nall; i++) {
		struct sg_listener *l = all[i];

		if (in.section && strcmp(l->name, in.section) != 0)
			continue;
		t.section_port++;
		if (in.port && l->port != in.port)
			continue;
		t.matched++;
		if (l->conflicted) {
			t.conflicted++;
			continue;
		}
		if (!(l->kinds & kind)) {
			t.not_allowed++;
			continue;
		}
		if (!ns_allowed(b, l, r->ns)) {
			t.not_allowed++;
			t.ns_refused++;
			continue;
		}
		if (hosts_intersect(l, hosts))
			out[(*nout)++] = l;
	}
	if (*nout) {
		cond_set(&ps->accepted, "Accepted", true, "Accepted", "attached");
		return 0;
	}
	parent_none(b, r, ps, n, path, &in, pr, gw, kind, &t);
	return 0;
}

struct bref_in {
	const char *group, *kind, *name, *ns;
	uint16_t port;
	uint32_t weight;
	const struct sg_node *filters;
};

/* A uint32_t the CRD bounds to lo..hi (`what` says so). */
static int u32_in(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path,
		  uint32_t lo, uint32_t hi, const char *what)
{
	if (sg_f_u32(c, n, dst, path) == -1)
		return -1;
	if (*(uint32_t *)dst < lo || *(uint32_t *)dst > hi)
		return sg_expected(c, n, path, what);
	return 0;
}

/* A backendRef's weight: the CRDs' 0 to 1,000,000. */
static int f_weight(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return u32_in(c, n, dst, path, 0, 1000000, "a weight from 0 to 1000000");
}

static const struct sg_field bref_fields[] = {
	{ "group", sg_f_str, offsetof(struct bref_in, group) },
	{ "kind", sg_f_str, offsetof(struct bref_in, kind) },
	{ "name", sg_f_str, offsetof(struct bref_in, name), true },
	{ "namespace", sg_f_str, offsetof(struct bref_in, ns) },
	{ "port", sg_f_port, offsetof(struct bref_in, port) },
	{ "weight", f_weight, offsetof(struct bref_in, weight) },
	{ "filters", sg_f_node, offsetof(struct bref_in, filters) },
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
	br->h2c = sp->h2c;
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

struct grant_ref_in {
	const char *group, *kind, *ns, *name;
};

static const struct sg_field grant_from_fields[] = {
	{ "group", sg_f_str, offsetof(struct grant_ref_in, group) },
	{ "kind", sg_f_str, offsetof(struct grant_ref_in, kind), true },
	{ "namespace", sg_f_str, offsetof(struct grant_ref_in, ns), true },
	{ 0 },
};

static const struct sg_field grant_to_fields[] = {
	{ "group", sg_f_str, offsetof(struct grant_ref_in, group) },
	{ "kind", sg_f_str, offsetof(struct grant_ref_in, kind), true },
	{ "name", sg_f_str, offsetof(struct grant_ref_in, name) },
	{ 0 },
};

struct grant_in {
	const struct sg_node *from, *to;
};

static const struct sg_field grant_fields[] = {
	{ "from", sg_f_node, offsetof(struct grant_in, from), true },
	{ "to", sg_f_node, offsetof(struct grant_in, to), true },
	{ 0 },
};

/* ReferenceGrant: spec.from[] {group, kind, namespace}, spec.to[] {group,
 * kind, name?}; checked once here, read by grant_allows ("" or no group
 * is the core group). */
static int build_grant(struct sg_draft *b, struct sg_res *r)
{
	struct sg_pctx *c = &b->c;
	struct grant_in in = { 0 };

	if (need_spec(c, r) == -1 || sg_parse_fields(c, r->spec, grant_fields, &in, "spec") == -1)
		return -1;
	for (int k = 0; k < 2; k++) {
		const struct sg_node *seq = k ? in.to : in.from;
		const char *p = k ? "spec.to" : "spec.from";

		if (sg_need_seq(c, seq, p) == -1)
			return -1;
		for (size_t i = 0; i < seq->n; i++) {
			struct grant_ref_in g = { 0 };

			if (sg_parse_fields(c, seq->items[i],
					    k ? grant_to_fields : grant_from_fields, &g,
					    sg_path_idx(c, p, i)) == -1)
				return -1;
		}
	}
	return 0;
}

static bool node_is(const struct sg_node *n, const char *v)
{
	if (!n || sg_node_is_null(n))
		return !v[0];
	return n->kind == SG_NODE_SCALAR && !strcmp(n->str, v);
}

/* Whether a ReferenceGrant in namespace `to_ns` lets a `from_kind` in
 * `from_ns` refer to `to_kind` (core group: Service, Secret) `name`. */
static bool grant_allows(const struct sg_draft *b, const char *from_kind, const char *from_ns,
			 const char *to_kind, const char *to_ns, const char *name)
{
	for (size_t i = 0; i < b->nres; i++) {
		const struct sg_res *g = &b->res[i];
		const struct sg_node *from, *to;
		bool from_ok = false, to_ok = false;

		if (strcmp(g->kind, "ReferenceGrant") || strcmp(g->ns, to_ns) || !g->spec)
			continue;
		from = sg_map_get(g->spec, "from");
		to = sg_map_get(g->spec, "to");
		for (size_t j = 0; from && from->kind == SG_NODE_SEQ && j < from->n; j++)
			from_ok |= node_is(sg_map_get(from->items[j], "group"),
					   kind_group(from_kind)) &&
				   node_is(sg_map_get(from->items[j], "kind"), from_kind) &&
				   node_is(sg_map_get(from->items[j], "namespace"), from_ns);
		for (size_t j = 0; to && to->kind == SG_NODE_SEQ && j < to->n; j++) {
			const struct sg_node *tn = sg_map_get(to->items[j], "name");

			to_ok |= (node_is(sg_map_get(to->items[j], "group"), "") ||
				  node_is(sg_map_get(to->items[j], "group"), "core")) &&
				 node_is(sg_map_get(to->items[j], "kind"), to_kind) &&
				 (!tn || sg_node_is_null(tn) || node_is(tn, name));
		}
		if (from_ok && to_ok)
			return true;
	}
	return false;
}

/* backendRef `p` of route `r` does not resolve: it stays, weighted, and
 * its share of requests gets 500 (a mirror's: no copy is sent, the
 * requests are served); the route's ResolvedRefs says why. */
static void bref_invalid(struct sg_draft *b, struct sg_res *r, struct sg_backend_ref *br,
			 const char *path, const char *reason, const char *why)
{
	br->kind = SG_BREF_INVALID;
	br->svc = NULL;
	br->neps = 0;
	if (r->status.resolved.status)
		cond_set(&r->status.resolved, "ResolvedRefs", false, reason, why);
	sg_diag_warn(b->c.d, br->at, "%s %s/%s: %s: %s (%s); %s", r->kind, r->ns, r->name, path,
		     why, reason,
		     strstr(path, "requestMirror") ? "no copy is sent to it"
						   : "requests it would serve get 500");
}

/* backendRef n of route r into br (in: what it says): an unresolved one
 * is marked invalid (not an error). Returns 0 or -1. */
static int build_bref(struct sg_draft *b, struct sg_res *r, const struct sg_node *n, const char *p,
		      struct sg_backend_ref *br, struct bref_in *in)
{
	struct sg_pctx *c = &b->c;
	const char *ns;

	if (sg_parse_fields(c, n, bref_fields, in, p) == -1)
		return -1;
	br->kind = SG_BREF_SERVICE;
	br->weight = in->weight;
	br->port = in->port;
	br->at = n;
	ns = in->ns ? in->ns : r->ns;
	if ((in->kind && strcmp(in->kind, "Service") != 0) ||
	    (in->group && in->group[0] && strcmp(in->group, "core") != 0)) {
		bref_invalid(b, r, br, p, "InvalidKind",
			     sg_arena_printf(c->a, "kind %s%s%s is not supported (Service)",
					     in->group ? in->group : "", in->group ? "/" : "",
					     in->kind ? in->kind : "Service"));
		return 0;
	}
	if (!in->port) {
		sg_diag_err(c->d, n, "%s: missing required field \"port\"", p);
		return -1;
	}
	if (strcmp(ns, r->ns) != 0 && !grant_allows(b, r->kind, r->ns, "Service", ns, in->name)) {
		bref_invalid(b, r, br, p, "RefNotPermitted",
			     sg_arena_printf(c->a,
					     "Service %s/%s is in another namespace and no "
					     "ReferenceGrant in %s allows it",
					     ns, in->name, ns));
		return 0;
	}
	br->svc = find_service(b->cfg, ns, in->name);
	if (!br->svc) {
		bref_invalid(b, r, br, p, "BackendNotFound",
			     sg_arena_printf(c->a, "Service %s/%s is not defined", ns, in->name));
		return 0;
	}
	if (resolve_service(c, br) == -1) {
		bref_invalid(b, r, br, p, "BackendNotFound",
			     sg_arena_printf(c->a, "Service %s/%s has no port %u", ns, in->name,
					     in->port));
		return 0;
	}
	if (br->neps == 0)
		sg_diag_warn(c->d, n,
			     "%s: Service %s/%s has no endpoints, clusterIP or externalName; "
			     "requests to it get 500 \"no valid backends\"",
			     p, br->svc->ns, br->svc->name);
	return 0;
}

/* The route a mirror's backendRef belongs to. */
struct mirror_ctx {
	struct sg_draft *b;
	struct sg_res *r;
};

static int resolve_mirror(void *ctx, const struct sg_node *n, const char *path,
			  struct sg_backend_ref *br)
{
	struct mirror_ctx *m = ctx;
	struct bref_in in = { .weight = 1 };

	if (build_bref(m->b, m->r, n, path, br, &in) == -1)
		return -1;
	if (in.filters)
		return sg_expected(&m->b->c, in.filters, sg_path_key(&m->b->c, path, "filters"),
				   "no filters on a mirror's backendRef");
	return 0;
}

/* A route's backendRefs; `rule` (HTTPRoute rules only, else NULL) is
 * what their filters are read against. */
static int build_brefs(struct sg_draft *b, struct sg_res *r, const struct sg_node *n,
		       const char *path, struct sg_brefs *out, const struct sg_hr_rule *rule)
{
	struct sg_pctx *c = &b->c;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const char *p = sg_path_idx(c, path, i);
		struct bref_in in = { .weight = 1 };
		struct sg_backend_ref *br =
			sg_arena_push(c->a, &out->v, &out->n, &out->cap, sizeof(*br));

		if (!br || build_bref(b, r, n->items[i], p, br, &in) == -1)
			return -1;
		if (in.filters && !rule)
			return sg_expected(
				c, in.filters, sg_path_key(c, p, "filters"),
				"no filters (a TCPRoute or TLSRoute backendRef has none)");
		if (in.filters &&
		    sg_hr_filters(c, in.filters, sg_path_key(c, p, "filters"), rule, &br->filters))
			return -1;
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

/* An Exact or PathPrefix value the HTTPRoute CRD's CEL rules take (the
 * leading "/" checked apart): RFC 3986 path characters and %XX escapes,
 * no "//", "/./", "/../", encoded slash or "#", no "/." or "/.." at its
 * end. */
static bool hr_path_ok(const char *v)
{
	static const char *const never[] = { "//", "/./", "/../", "%2f", "%2F", "#" };
	size_t n = strlen(v);

	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (strstr(v, never[i]))
			return false;
	if ((n >= 2 && !strcmp(v + n - 2, "/.")) || (n >= 3 && !strcmp(v + n - 3, "/..")))
		return false;
	for (const char *p = v; *p; p++) {
		if (*p == '%') {
			if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
				return false;
			p += 2;
		} else if (!isalnum((unsigned char)*p) && !strchr("-/._~!$&'()*+,;=:@", *p)) {
			return false;
		}
	}
	return true;
}

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
	if (strlen(in.value) > 1024 || (m->path_kind != SG_PATH_REGEX && !hr_path_ok(in.value)))
		return sg_expected(
			c, sg_map_get(n, "value"), sg_path_key(c, path, "value"),
			m->path_kind == SG_PATH_REGEX
				? "at most 1024 characters"
				: "a path of at most 1024 characters, of RFC 3986 path "
				  "characters and %XX escapes, with no \"//\", \"/./\", "
				  "\"/../\", \"%2F\" or \"#\" and not ending in \"/.\" or "
				  "\"/..\" (Gateway API HTTPPathMatch)");
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

static bool hr_kv_named(const struct sg_kv_match *v, size_t n, const char *name, bool fold_case)
{
	for (size_t i = 0; i < n; i++)
		if (fold_case ? !strcasecmp(v[i].name, name) : !strcmp(v[i].name, name))
			return true;
	return false;
}

/* Header (fold_case: names compare case-insensitively) or query matches.
 * Of entries with equivalent names only the first counts (Gateway API
 * HTTPHeaderMatch.Name, HTTPQueryParamMatch.Name): the others are left
 * out, in matching and in precedence's count alike. */
static int hr_kvs(struct sg_pctx *c, const struct sg_node *n, struct sg_kv_match **v, size_t *cnt,
		  size_t *cap, bool fold_case, const char *path)
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
		if (hr_kv_named(*v, *cnt, in.name, fold_case))
			continue;
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

	return hr_kvs(c, n, &m->headers, &m->nheaders, &m->capheaders, true, path);
}

static int f_hr_query(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_match *m = dst;

	return hr_kvs(c, n, &m->query, &m->nquery, &m->capquery, false, path);
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
		{ "request", sg_f_gwapi_dur, offsetof(struct sg_timeout, request) },
		{ "backendRequest", sg_f_gwapi_dur, offsetof(struct sg_timeout, backend_request) },
		{ 0 },
	};
	struct sg_timeout *t = dst;
	const struct sg_node *bn = sg_map_get(n, "backendRequest");

	t->request = SG_DUR_UNSET;
	t->backend_request = SG_DUR_UNSET;
	t->response_idle = SG_DUR_UNSET; /* HTTPRoute has no such key */
	if (sg_parse_fields(c, n, fields, t, path) == -1)
		return -1;
	/* The CRD's CEL rule (HTTPRouteTimeouts): a try may not outlast the
	 * request it is part of; a request of "0s" bounds nothing. */
	if (t->request != SG_DUR_UNSET && t->request != 0 && t->backend_request != SG_DUR_UNSET &&
	    t->backend_request > t->request) {
		sg_diag_err(c->d, bn,
			    "%s: %s is longer than request (%s): backendRequest timeout cannot "
			    "be longer than request timeout",
			    sg_path_key(c, path, "backendRequest"), bn->str,
			    sg_map_get(n, "request")->str);
		return -1;
	}
	return 0;
}

struct rule_in {
	const char *name;
	const struct sg_node *matches, *brefs, *timeouts, *retry, *filters, *session;
};

static const struct sg_field rule_fields[] = {
	{ "name", sg_f_str, offsetof(struct rule_in, name) },
	{ "matches", sg_f_node, offsetof(struct rule_in, matches) },
	{ "backendRefs", sg_f_node, offsetof(struct rule_in, brefs) },
	{ "timeouts", sg_f_node, offsetof(struct rule_in, timeouts) },
	{ "retry", sg_f_node, offsetof(struct rule_in, retry) },
	{ "filters", sg_f_node, offsetof(struct rule_in, filters) },
	{ "sessionPersistence", sg_f_node, offsetof(struct rule_in, session) },
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
	struct sg_filters filters;
	const struct sg_session *session; /* NULL: none */
};

/* A rule's backendRefs and filters, read against its matches, and its
 * sessionPersistence (named after the rule when it names no cookie or
 * header: each rule keeps sessions of its own, as GEP-1619 asks). */
static int rule_refs_and_filters(struct sg_draft *b, struct sg_res *r, const char *path,
				 struct rule_built *rb)
{
	struct sg_pctx *c = &b->c;
	struct mirror_ctx mc = { b, r };
	struct sg_hr_rule rule = {
		.matches = rb->matches,
		.nmatches = rb->nmatches,
		.has_backends =
			rb->in.brefs && rb->in.brefs->kind == SG_NODE_SEQ && rb->in.brefs->n,
		.backend_level = true,
		.resolve = resolve_mirror,
		.ctx = &mc,
	};

	if (rb->in.brefs &&
	    build_brefs(b, r, rb->in.brefs, sg_path_key(c, path, "backendRefs"), &rb->brefs, &rule))
		return -1;
	rule.backend_level = false;
	if (rb->in.filters &&
	    sg_hr_filters(c, rb->in.filters, sg_path_key(c, path, "filters"), &rule, &rb->filters))
		return -1;
	if (rb->in.session &&
	    !(rb->session = sg_sessconf_parse(
		      c, rb->in.session, sg_path_key(c, path, "sessionPersistence"),
		      sg_arena_printf(c->a, "%s/%s/%s/%s", r->kind, r->ns, r->name, path))))
		return -1;
	return 0;
}

/* rb's matches: each of the rule's `matches` read with `fields` over a
 * PathPrefix "/", or that one match alone (every request of the route's
 * hostnames) when it has none. */
static int rule_matches(struct sg_pctx *c, struct rule_built *rb, const char *path,
			const struct sg_field *fields)
{
	const struct sg_node *ms = rb->in.matches;
	const char *mp = sg_path_key(c, path, "matches");
	size_t n = ms ? ms->n : 0;

	if (ms && sg_need_seq(c, ms, mp) == -1)
		return -1;
	for (size_t j = 0; j < (n ? n : 1); j++) {
		struct sg_match *m = sg_arena_push(c->a, &rb->matches, &rb->nmatches,
						   &rb->capmatches, sizeof(*m));
		if (!m)
			return -1;
		m->path_kind = SG_PATH_PREFIX;
		m->path = "/";
		if (n && sg_parse_fields(c, ms->items[j], fields, m, sg_path_idx(c, mp, j)) == -1)
			return -1;
	}
	return 0;
}

static int build_rule(struct sg_draft *b, struct sg_res *r, const struct sg_node *n,
		      const char *path, struct rule_built *rb)
{
	struct sg_pctx *c = &b->c;

	if (sg_parse_fields(c, n, rule_fields, &rb->in, path) == -1)
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
	if (rule_matches(c, rb, path, hr_match_fields) == -1)
		return -1;
	return rule_refs_and_filters(b, r, path, rb);
}

struct hr_built {
	struct route_in *in;
	struct rule_built *rules;
	size_t nrules;
	const char *key_suffix; /* ".grpc" for a GRPCRoute's (as agentgateway's keys) */
	unsigned kind;		/* SG_KIND_HTTPROUTE or SG_KIND_GRPCROUTE */
};

static int add_rule_routes(struct sg_draft *b, const struct sg_res *r, struct sg_strs *hosts,
			   size_t ri, const struct rule_built *rb, const struct hr_built *hb,
			   struct sg_listener *l)
{
	struct sg_pctx *c = &b->c;

	for (size_t j = 0; j < rb->nmatches; j++) {
		struct sg_route *rt =
			sg_arena_push(c->a, &l->routes, &l->nroutes, &l->caproutes, sizeof(*rt));

		if (!rt)
			return -1;
		rt->key = sg_arena_printf(c->a, "%s/%s.%zu.%zu.%s%s", r->ns, r->name, ri, j,
					  l->name, hb->key_suffix);
		rt->hr_kind = hb->kind;
		rt->name = r->name;
		rt->ns = r->ns;
		rt->hr_ns = r->ns;
		rt->hr_name = r->name;
		rt->era = r->era;
		rt->rule_name = rb->in.name;
		rt->hostnames = *hosts;
		rt->matches = &rb->matches[j];
		rt->nmatches = rt->capmatches = 1;
		rt->backends = rb->brefs;
		rt->has_timeout = rb->has_timeout;
		rt->timeout = rb->timeout;
		rt->has_retry = rb->has_retry;
		rt->retry = rb->retry;
		rt->filters = rb->filters;
		rt->session = rb->session;
		rt->at = r->doc;
	}
	return 0;
}

struct route_in {
	const struct sg_node *parents, *rules;
	struct sg_strs hostnames;
};

/* HTTPRoute and GRPCRoute hostnames as the API server takes them (Gateway
 * API Hostname): a lowercase RFC 1123 name, optionally behind "*.". */
static int f_route_hostnames(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	const struct sg_strs *v = dst;

	if (sg_f_strs(c, n, dst, path) == -1)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		if (!sg_k8s_hostname_ok(v->v[i], true))
			return sg_expected(c, n->items[i], sg_path_idx(c, path, i), HOSTNAME_WHAT);
	}
	return 0;
}

static const struct sg_field route_fields[] = {
	{ "parentRefs", sg_f_node, offsetof(struct route_in, parents), true },
	{ "hostnames", f_route_hostnames, offsetof(struct route_in, hostnames) },
	{ "rules", sg_f_node, offsetof(struct route_in, rules) },
	{ 0 },
};

static const char *ref_str(const struct sg_node *ref, const char *key)
{
	const struct sg_node *v = ref->kind == SG_NODE_MAP ? sg_map_get(ref, key) : NULL;

	return v && v->kind == SG_NODE_SCALAR && v->str ? v->str : "";
}

/* A parentRef's `key` as the API server defaults it (`def` when absent). */
static const char *parent_key(const struct sg_node *ref, const char *key, const char *def)
{
	const struct sg_node *v = ref->kind == SG_NODE_MAP ? sg_map_get(ref, key) : NULL;

	return v && !sg_node_is_null(v) ? ref_str(ref, key) : def;
}

/* The CRDs' CEL rules on a route's parentRefs: two that name one parent
 * both name a listener (sectionName) or neither, both a port or neither,
 * and not the same one (the second would add nothing, or all of the
 * parent beside one of its listeners). */
static int parents_distinct(struct sg_pctx *c, const struct sg_node *parents)
{
	static const char *const keys[] = { "sectionName", "port" };

	for (size_t i = 0; i < parents->n; i++)
		for (size_t j = 0; j < i; j++) {
			const struct sg_node *x = parents->items[i], *y = parents->items[j];
			bool same = true;
			const char *why = "unique";

			if (strcmp(parent_key(x, "group", GW_API_GROUP),
				   parent_key(y, "group", GW_API_GROUP)) ||
			    strcmp(parent_key(x, "kind", "Gateway"),
				   parent_key(y, "kind", "Gateway")) ||
			    strcmp(ref_str(x, "name"), ref_str(y, "name")) ||
			    strcmp(ref_str(x, "namespace"), ref_str(y, "namespace")))
				continue;
			for (size_t k = 0; k < 2; k++) {
				const char *a = ref_str(x, keys[k]), *b = ref_str(y, keys[k]);

				if (!*a != !*b)
					why = "specified";
				same &= !strcmp(a, b);
			}
			if (!same && strcmp(why, "specified"))
				continue;
			sg_diag_err(c->d, x,
				    "%s: names the parent of spec.parentRefs[%zu]: sectionName or "
				    "port must be %s when parentRefs includes 2 or more references "
				    "to the same parent",
				    sg_path_idx(c, "spec.parentRefs", i), j, why);
			return -1;
		}
	return 0;
}

/* Attach route `r` to the listeners of every parentRef (each listener
 * once, however many parentRefs select it); `add` puts the route's
 * routes on one listener. */
static int
attach_route(struct sg_draft *b, struct sg_res *r, const struct route_in *in, unsigned kind,
	     int (*add)(struct sg_draft *, struct sg_res *, void *, struct sg_listener *),
	     void *ctx)
{
	struct sg_pctx *c = &b->c;
	struct sg_listener **seen = NULL;
	size_t nseen = 0, capseen = 0;

	if (parents_distinct(c, in->parents) == -1)
		return -1;
	for (size_t p = 0; p < in->parents->n; p++) {
		struct sg_listener *ls[SG_MAX_PARENT_LISTENERS];
		size_t nls;

		if (attach_parent(b, r, in->parents->items[p], sg_path_idx(c, "spec.parentRefs", p),
				  kind, &in->hostnames, ls, &nls) == -1)
			return -1;
		for (size_t k = 0; k < nls; k++) {
			struct sg_listener **slot;
			bool dup = false;

			for (size_t i = 0; i < nseen; i++)
				dup |= seen[i] == ls[k];
			if (dup)
				continue;
			slot = sg_arena_push(c->a, &seen, &nseen, &capseen, sizeof(*slot));
			if (!slot || add(b, r, ctx, ls[k]) == -1)
				return -1;
			*slot = ls[k];
			ls[k]->attached_routes++;
		}
	}
	for (size_t p = 0; p < r->status.nparents; p++)
		r->status.parents[p].resolved = r->status.resolved;
	return 0;
}

static int add_hr_listener(struct sg_draft *b, struct sg_res *r, void *ctx, struct sg_listener *l)
{
	struct hr_built *hb = ctx;

	for (size_t i = 0; i < hb->nrules; i++)
		if (add_rule_routes(b, r, &hb->in->hostnames, i, &hb->rules[i], hb, l) == -1)
			return -1;
	return 0;
}

typedef int (*rule_fn)(struct sg_draft *b, struct sg_res *r, const struct sg_node *n,
		       const char *path, struct rule_built *rb);

/* The CRDs' CEL rule on a route's rules: a name names one rule (a
 * policy's sectionName, the keys of its routes). */
static int rule_names_unique(struct sg_pctx *c, const struct sg_node *rules)
{
	for (size_t i = 0; i < rules->n; i++) {
		const struct sg_node *name = sg_map_get(rules->items[i], "name");

		if (!name || name->kind != SG_NODE_SCALAR || sg_node_is_null(name))
			continue;
		for (size_t j = 0; j < i; j++) {
			if (!node_is(sg_map_get(rules->items[j], "name"), name->str))
				continue;
			sg_diag_err(c->d, name,
				    "%s.name: \"%s\" is spec.rules[%zu]'s already: rule names are "
				    "unique in a route",
				    sg_path_idx(c, "spec.rules", i), name->str, j);
			return -1;
		}
	}
	return 0;
}

/* An HTTPRoute or a GRPCRoute (`kind`): its rules read by `rule`, their
 * routes keyed with `key_suffix` on each listener its parents select. */
static int build_http_route(struct sg_draft *b, struct sg_res *r, unsigned kind,
			    const char *key_suffix, rule_fn rule)
{
	struct sg_pctx *c = &b->c;
	struct route_in in = { 0 };
	struct hr_built hb = { &in, NULL, 0, key_suffix, kind };

	cond_set(&r->status.resolved, "ResolvedRefs", true, "ResolvedRefs", "resolved");
	if (need_spec(c, r) == -1 || sg_parse_fields(c, r->spec, route_fields, &in, "spec") == -1)
		return -1;
	if (sg_need_seq(c, in.parents, "spec.parentRefs") == -1 ||
	    (in.rules && (sg_need_seq(c, in.rules, "spec.rules") == -1 ||
			  rule_names_unique(c, in.rules) == -1)))
		return -1;
	hb.nrules = in.rules ? in.rules->n : 0;
	hb.rules = sg_arena_alloc(c->a, (hb.nrules ? hb.nrules : 1) * sizeof(*hb.rules));
	if (!hb.rules)
		return -1;
	memset(hb.rules, 0, (hb.nrules ? hb.nrules : 1) * sizeof(*hb.rules));
	for (size_t i = 0; i < hb.nrules; i++)
		if (rule(b, r, in.rules->items[i], sg_path_idx(c, "spec.rules", i), &hb.rules[i]) ==
		    -1)
			return -1;
	return attach_route(b, r, &in, kind, add_hr_listener, &hb);
}

static int build_httproute(struct sg_draft *b, struct sg_res *r)
{
	return build_http_route(b, r, SG_KIND_HTTPROUTE, "", build_rule);
}

/* ---- GRPCRoute ------------------------------------------------------------ */

/* A GRPCRoute is an HTTPRoute to the gateway: a gRPC method is the path
 * /<service>/<method> (gRPC's PROTOCOL-HTTP2.md), so its matches become
 * path matches (a whole method Exact, a service's methods or a method of
 * any service a whole-path regex), its header matches are HTTPRoute's, and
 * its filters and backendRefs are HTTPRoute's of the kinds GRPCRoute has.
 * As agentgateway translates them (controller translator's
 * ConvertGRPCRouteToAgw), but a service alone matches each of its methods
 * (GRPCMethodMatch). */
struct grpc_method_in {
	const char *type, *service, *method;
};

static const struct sg_field grpc_method_fields[] = {
	{ "type", sg_f_str, offsetof(struct grpc_method_in, type) },
	{ "service", sg_f_str, offsetof(struct grpc_method_in, service) },
	{ "method", sg_f_str, offsetof(struct grpc_method_in, method) },
	{ 0 },
};

/* An Exact service (a dotted name: GRPCMethodMatch's pattern, case
 * ignored) or method (an identifier). */
static bool grpc_name_ok(const char *s, bool dotted)
{
	bool start = true;

	if (dotted && *s == '.')
		s++;
	for (; *s; s++) {
		bool alpha = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_';

		if (dotted && *s == '.' && !start)
			start = true;
		else if (alpha || (!start && *s >= '0' && *s <= '9'))
			start = false;
		else
			return false;
	}
	return !start;
}

/* s with each '.' escaped, for a regex. */
static const char *grpc_re_quote(struct sg_arena *a, const char *s)
{
	size_t n = strlen(s), k = 0;
	char *out = sg_arena_alloc(a, 2 * n + 1);

	for (size_t i = 0; out && i < n; i++) {
		if (s[i] == '.')
			out[k++] = '\\';
		out[k++] = s[i];
	}
	if (out)
		out[k] = '\0';
	return out;
}

static int f_grpc_method(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_match *m = dst;
	struct grpc_method_in in = { "Exact", NULL, NULL };
	bool exact;

	if (sg_parse_fields(c, n, grpc_method_fields, &in, path) == -1)
		return -1;
	exact = !strcmp(in.type, "Exact");
	if (!exact && strcmp(in.type, "RegularExpression"))
		return sg_expected(c, sg_map_get(n, "type"), sg_path_key(c, path, "type"),
				   "Exact or RegularExpression");
	if (!in.service && !in.method)
		return sg_expected(c, n, path, "a service, a method or both");
	if (exact && in.service && !grpc_name_ok(in.service, true))
		return sg_expected(c, sg_map_get(n, "service"), sg_path_key(c, path, "service"),
				   "a gRPC service name (package.Service)");
	if (exact && in.method && !grpc_name_ok(in.method, false))
		return sg_expected(c, sg_map_get(n, "method"), sg_path_key(c, path, "method"),
				   "a gRPC method name");
	m->re_at = n;
	m->re_key = path;
	if (exact && in.service && in.method) {
		m->path_kind = SG_PATH_EXACT;
		m->path = sg_arena_printf(c->a, "/%s/%s", in.service, in.method);
	} else if (exact) {
		m->path_kind = SG_PATH_REGEX;
		m->path = in.service ? sg_arena_printf(c->a, "/%s/[^/]+",
						       grpc_re_quote(c->a, in.service))
				     : sg_arena_printf(c->a, "/[^/]+/%s", in.method);
	} else {
		m->path_kind = SG_PATH_REGEX;
		m->path = sg_arena_printf(c->a, "/(%s)/(%s)", in.service ? in.service : "[^/]+",
					  in.method ? in.method : "[^/]+");
	}
	return m->path ? 0 : -1;
}

static const struct sg_field grpc_match_fields[] = {
	{ "method", f_grpc_method, 0 },
	{ "headers", f_hr_headers, 0 },
	{ 0 },
};

static const struct sg_field grpc_rule_fields[] = {
	{ "name", sg_f_str, offsetof(struct rule_in, name) },
	{ "matches", sg_f_node, offsetof(struct rule_in, matches) },
	{ "backendRefs", sg_f_node, offsetof(struct rule_in, brefs) },
	{ "filters", sg_f_node, offsetof(struct rule_in, filters) },
	{ "sessionPersistence", sg_f_node, offsetof(struct rule_in, session) },
	{ 0 },
};

/* GRPCRouteFilter's types (and GRPCBackendRef's filters'): HTTPRoute's
 * redirects, rewrites and CORS are not among them. */
static int grpc_filter_types(struct sg_pctx *c, const struct sg_node *filters, const char *path)
{
	static const char *const ok[] = { "RequestHeaderModifier", "ResponseHeaderModifier",
					  "RequestMirror", "ExtensionRef" };

	for (size_t i = 0; filters && filters->kind == SG_NODE_SEQ && i < filters->n; i++) {
		const struct sg_node *t = sg_map_get(filters->items[i], "type");
		bool known = false;

		for (size_t k = 0; t && t->kind == SG_NODE_SCALAR && k < sizeof(ok) / sizeof(ok[0]);
		     k++)
			known |= !strcmp(t->str, ok[k]);
		if (t && !known)
			return sg_expected(c, t, sg_path_key(c, sg_path_idx(c, path, i), "type"),
					   "a GRPCRoute filter: RequestHeaderModifier, "
					   "ResponseHeaderModifier, RequestMirror or ExtensionRef");
	}
	return 0;
}

static int build_grpc_rule(struct sg_draft *b, struct sg_res *r, const struct sg_node *n,
			   const char *path, struct rule_built *rb)
{
	struct sg_pctx *c = &b->c;

	if (sg_parse_fields(c, n, grpc_rule_fields, &rb->in, path) == -1 ||
	    grpc_filter_types(c, rb->in.filters, sg_path_key(c, path, "filters")) == -1)
		return -1;
	for (size_t i = 0; rb->in.brefs && rb->in.brefs->kind == SG_NODE_SEQ && i < rb->in.brefs->n;
	     i++) {
		const char *bp = sg_path_idx(c, sg_path_key(c, path, "backendRefs"), i);

		if (grpc_filter_types(c, sg_map_get(rb->in.brefs->items[i], "filters"),
				      sg_path_key(c, bp, "filters")) == -1)
			return -1;
	}
	if (rule_matches(c, rb, path, grpc_match_fields) == -1)
		return -1;
	return rule_refs_and_filters(b, r, path, rb);
}

static int build_grpcroute(struct sg_draft *b, struct sg_res *r)
{
	return build_http_route(b, r, SG_KIND_GRPCROUTE, ".grpc", build_grpc_rule);
}

struct tcp_rule_in {
	const char *name;
	const struct sg_node *brefs;
};

static const struct sg_field tcp_rule_fields[] = {
	{ "name", sg_f_str, offsetof(struct tcp_rule_in, name) },
	{ "backendRefs", sg_f_node, offsetof(struct tcp_rule_in, brefs), true },
	{ 0 },
};

struct tcp_built {
	struct sg_brefs *brefs;
	size_t nrules;
	const struct sg_strs *hostnames; /* TLSRoute; NULL for a TCPRoute */
};

static int add_tcp_listener(struct sg_draft *b, struct sg_res *r, void *ctx, struct sg_listener *l)
{
	struct tcp_built *tb = ctx;

	for (size_t i = 0; i < tb->nrules; i++) {
		struct sg_tcp_route *t = sg_arena_push(b->c.a, &l->tcp_routes, &l->ntcp_routes,
						       &l->captcp_routes, sizeof(*t));
		if (!t)
			return -1;
		t->key = sg_arena_printf(b->c.a, "%s/%s.%zu.%s", r->ns, r->name, i, l->name);
		t->name = r->name;
		t->ns = r->ns;
		t->era = r->era;
		t->k8s = true;
		t->at = r->doc;
		t->backends = tb->brefs[i];
		if (tb->hostnames)
			t->hostnames = *tb->hostnames;
	}
	return 0;
}

static int build_tcproute(struct sg_draft *b, struct sg_res *r)
{
	struct sg_pctx *c = &b->c;
	struct route_in in = { 0 };
	struct tcp_built tb = { 0 };

	cond_set(&r->status.resolved, "ResolvedRefs", true, "ResolvedRefs", "resolved");
	if (need_spec(c, r) == -1 || sg_parse_fields(c, r->spec, route_fields, &in, "spec") == -1)
		return -1;
	if (!in.rules) {
		sg_diag_err(c->d, r->spec, "spec: missing required field \"rules\"");
		return -1;
	}
	if (sg_need_seq(c, in.parents, "spec.parentRefs") == -1 ||
	    sg_need_seq(c, in.rules, "spec.rules") == -1 || rule_names_unique(c, in.rules) == -1)
		return -1;
	tb.nrules = in.rules->n;
	tb.brefs = sg_arena_alloc(c->a, (tb.nrules ? tb.nrules : 1) * sizeof(*tb.brefs));
	if (!tb.brefs)
		return -1;
	memset(tb.brefs, 0, (tb.nrules ? tb.nrules : 1) * sizeof(*tb.brefs));
	for (size_t i = 0; i < tb.nrules; i++) {
		const char *rp = sg_path_idx(c, "spec.rules", i);
		struct tcp_rule_in ti = { 0 };

		if (sg_parse_fields(c, in.rules->items[i], tcp_rule_fields, &ti, rp) == -1 ||
		    build_brefs(b, r, ti.brefs, sg_path_key(c, rp, "backendRefs"), &tb.brefs[i],
				NULL) == -1)
			return -1;
	}
	return attach_route(b, r, &in, SG_KIND_TCPROUTE, add_tcp_listener, &tb);
}

static const struct sg_field tls_route_fields[] = {
	{ "parentRefs", sg_f_node, offsetof(struct route_in, parents), true },
	{ "hostnames", sg_f_sni_names, offsetof(struct route_in, hostnames) },
	{ "rules", sg_f_node, offsetof(struct route_in, rules), true },
	{ 0 },
};

/* TLSRoute (v1, v1alpha3, v1alpha2): SNI hostnames and one rule of
 * backendRefs, attached to TLS listeners only (either mode). */
static int build_tlsroute(struct sg_draft *b, struct sg_res *r)
{
	struct sg_pctx *c = &b->c;
	struct route_in in = { 0 };
	struct tcp_rule_in ti = { 0 };
	struct tcp_built tb = { .nrules = 1, .hostnames = &in.hostnames };
	const char *rp;

	cond_set(&r->status.resolved, "ResolvedRefs", true, "ResolvedRefs", "resolved");
	if (need_spec(c, r) == -1 ||
	    sg_parse_fields(c, r->spec, tls_route_fields, &in, "spec") == -1)
		return -1;
	if (sg_need_seq(c, in.parents, "spec.parentRefs") == -1 ||
	    sg_need_seq(c, in.rules, "spec.rules") == -1)
		return -1;
	/* v1's CRD requires hostnames (1 to 1024); the alphas' leave them
	 * optional. */
	if (!strcmp(r->api, "gateway.networking.k8s.io/v1") &&
	    (in.hostnames.n == 0 || in.hostnames.n > 1024)) {
		const struct sg_node *h = sg_map_get(r->spec, "hostnames");

		if (!h) {
			sg_diag_err(c->d, r->spec,
				    "spec: missing required field \"hostnames\" (a TLSRoute of "
				    "gateway.networking.k8s.io/v1 names 1 to 1024 SNI host names)");
			return -1;
		}
		return sg_expected(c, h, "spec.hostnames",
				   "1 to 1024 SNI host names (a TLSRoute of "
				   "gateway.networking.k8s.io/v1)");
	}
	if (in.rules->n != 1)
		return sg_expected(c, in.rules, "spec.rules",
				   "exactly one rule (a TLSRoute rule has no matches to choose "
				   "between several)");
	tb.brefs = sg_arena_alloc(c->a, sizeof(*tb.brefs));
	if (!tb.brefs)
		return -1;
	memset(tb.brefs, 0, sizeof(*tb.brefs));
	rp = sg_path_idx(c, "spec.rules", 0);
	if (sg_parse_fields(c, in.rules->items[0], tcp_rule_fields, &ti, rp) == -1 ||
	    build_brefs(b, r, ti.brefs, sg_path_key(c, rp, "backendRefs"), tb.brefs, NULL) == -1)
		return -1;
	return attach_route(b, r, &in, SG_KIND_TLSROUTE, add_tcp_listener, &tb);
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

/* ---- TLS to backends: AgentgatewayPolicy backend.tls, BackendTLSPolicy ---- */

/* One key of a ConfigMap: data (text) or binaryData (base64). */
static const char *configmap_key(struct sg_draft *b, const struct sg_res *m, const char *key,
				 size_t *len)
{
	const struct sg_node *data = sg_map_get(m->doc, "data");
	const struct sg_node *bin = sg_map_get(m->doc, "binaryData");
	const struct sg_node *v;

	if (data && data->kind == SG_NODE_MAP && (v = sg_map_get(data, key)) &&
	    v->kind == SG_NODE_SCALAR) {
		*len = strlen(v->str);
		return v->str;
	}
	if (bin && bin->kind == SG_NODE_MAP && (v = sg_map_get(bin, key)) &&
	    v->kind == SG_NODE_SCALAR)
		return sg_base64_decode(b->c.a, v->str, len);
	return NULL;
}

/* The ca.crt of ConfigMap (or Secret) ns/name appended to t->root_pem.
 * Returns NULL, or why it cannot be (t->invalid is then set too). */
static const char *add_ca(struct sg_draft *b, struct sg_backend_tls *t, const char *kind,
			  const char *ns, const char *name)
{
	const struct sg_res *m = res_find(b, kind, ns, name);
	const char *pem;
	size_t len = 0;

	if (!m)
		t->invalid = sg_arena_printf(b->c.a, "%s %s/%s not found", kind, ns, name);
	else if (!(pem = !strcmp(kind, "Secret") ? secret_key(b, m, "ca.crt", &len)
						 : configmap_key(b, m, "ca.crt", &len)) ||
		 !strstr(pem, "-----BEGIN CERTIFICATE-----"))
		t->invalid = sg_arena_printf(b->c.a, "%s %s/%s: no PEM certificate under ca.crt",
					     kind, ns, name);
	else
		t->root_pem = t->root_pem ? sg_arena_printf(b->c.a, "%s\n%s", t->root_pem, pem)
					  : sg_arena_strndup(b->c.a, pem, len);
	if (t->root_pem)
		t->root_len = strlen(t->root_pem);
	return t->invalid;
}

struct ca_ref_in {
	const char *group, *kind, *name;
};

static const struct sg_field ca_ref_fields[] = {
	{ "group", sg_f_str, offsetof(struct ca_ref_in, group) },
	{ "kind", sg_f_str, offsetof(struct ca_ref_in, kind) },
	{ "name", sg_f_str, offsetof(struct ca_ref_in, name), true },
	{ 0 },
};

struct agp_tls_in {
	struct sg_backend_tls *t;
	const struct sg_node *cas;
	const char *skip, *source;
};

static int f_agp_tls_alpn(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct agp_tls_in *in = dst;

	in->t->has_alpn = true;
	return sg_f_strs(c, n, &in->t->alpn, path);
}

static int f_agp_tls_sans(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_strs(c, n, &((struct agp_tls_in *)dst)->t->sans, path);
}

static int f_agp_tls_sni(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_str(c, n, &((struct agp_tls_in *)dst)->t->hostname, path);
}

static int f_agp_tls_unsupported(struct sg_pctx *c, const struct sg_node *n, void *dst,
				 const char *path)
{
	sg_diag_err(c->d, n,
		    "%s: not supported (server verification only: caCertificateRefs, "
		    "insecureSkipVerify, sni, verifySubjectAltNames, alpnProtocols)",
		    path);
	return -1;
}

/* secretRef {name, key} of a policy: the value of `key` (dflt when the ref
 * names none) in Secret `name` of the policy's namespace, into *out. A
 * Secret or key that is not there (yet) gives "" with a warning naming
 * what it leaves: nobody is let in by it until it is. */
struct secret_ref_in {
	const char *name, *key;
};

static int agp_secret_text(struct sg_draft *b, const struct sg_res *r, const struct sg_node *n,
			   const char *path, const char *dflt, const char *effect, const char **out,
			   size_t *len)
{
	static const struct sg_field fields[] = {
		{ "name", sg_f_str, offsetof(struct secret_ref_in, name), true },
		{ "key", sg_f_str, offsetof(struct secret_ref_in, key) },
		{ 0 },
	};
	struct sg_pctx *c = &b->c;
	struct secret_ref_in in = { NULL, dflt };
	const struct sg_res *s;

	if (sg_parse_fields(c, n, fields, &in, path) == -1)
		return -1;
	s = res_find(b, "Secret", r->ns, in.name);
	if (!s || !(*out = secret_key(b, s, in.key, len))) {
		sg_diag_warn(c->d, n, "%s: Secret %s/%s %s; policy %s/%s %s until it is", path,
			     r->ns, in.name,
			     s ? sg_arena_printf(c->a, "has no key %s", in.key) : "not found",
			     r->ns, r->name, effect);
		*out = "";
		*len = 0;
	}
	return 0;
}

/* traffic.basicAuthentication: mode (Strict, the default, or Optional),
 * realm, and the htpasswd lines, either users (one line each) or
 * secretRef {name, key: .htaccess} in the policy's namespace; the
 * credentials are read from Authorization: Basic (location is refused). */
struct agp_basic_in {
	const char *mode, *realm;
	struct sg_strs users;
	const struct sg_node *secret;
};

static int f_agp_unsupported(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	(void)dst;
	sg_diag_err(c->d, n, "%s: not supported by splicegate", path);
	return -1;
}

static const struct sg_basic_auth *agp_basic_auth(struct sg_draft *b, const struct sg_res *r,
						  const struct sg_node *n, const char *path)
{
	static const struct sg_field fields[] = {
		{ "mode", sg_f_str, offsetof(struct agp_basic_in, mode) },
		{ "realm", sg_f_str, offsetof(struct agp_basic_in, realm) },
		{ "users", sg_f_strs, offsetof(struct agp_basic_in, users) },
		{ "secretRef", sg_f_node, offsetof(struct agp_basic_in, secret) },
		{ "location", f_agp_unsupported, 0 },
		{ 0 },
	};
	struct sg_pctx *c = &b->c;
	struct agp_basic_in in = { 0 };
	struct sg_basic_auth *a;
	char *text, *p;
	size_t len = 0;

	if (sg_need_map(c, n, path) == -1 || sg_parse_fields(c, n, fields, &in, path) == -1)
		return NULL;
	if (!in.users.n == !in.secret) {
		sg_diag_err(c->d, n, "%s: give exactly one of users and secretRef", path);
		return NULL;
	}
	if (in.mode && strcmp(in.mode, "Strict") && strcmp(in.mode, "Optional")) {
		sg_expected(c, sg_map_get(n, "mode"), sg_path_key(c, path, "mode"),
			    "Strict or Optional");
		return NULL;
	}
	if (!(a = sg_arena_alloc(c->a, sizeof(*a))) ||
	    !(a->rt = sg_arena_alloc(c->a, sizeof(*a->rt))))
		return NULL;
	a->at = n;
	a->mode = in.mode && !strcmp(in.mode, "Optional") ? SG_AUTH_OPTIONAL : SG_AUTH_STRICT;
	a->realm = in.realm;
	a->location = (struct sg_cred_location){ SG_CRED_HEADER, "authorization", "Basic " };
	if (in.secret)
		return agp_secret_text(b, r, in.secret, sg_path_key(c, path, "secretRef"),
				       ".htaccess", "lets nobody in", &a->htpasswd,
				       &a->htpasswd_len) == -1
			       ? NULL
			       : a;
	for (size_t i = 0; i < in.users.n; i++)
		len += strlen(in.users.v[i]) + 1;
	if (!(text = p = sg_arena_alloc(c->a, len + 1)))
		return NULL;
	for (size_t i = 0; i < in.users.n; i++)
		p += sprintf(p, "%s\n", in.users.v[i]);
	a->htpasswd = text;
	a->htpasswd_len = len;
	return a;
}

/* traffic.apiKeyAuthentication: mode (Strict, the default, Optional or
 * Permissive) and the keys of secretRef {name} in the policy's namespace,
 * or of every Secret there whose labels secretSelector {matchLabels}
 * names, each entry one key: the key itself or JSON {key | keyHash,
 * metadata}. The key is read from Authorization: Bearer;
 * configMapSelector and location are refused by name. */
struct agp_apikeys_in {
	const char *mode;
	const struct sg_node *secret, *selector;
};

/* The keys of Secret s into k: each entry of stringData and data. 0, or
 * -1 after an error. */
static int api_keys_of_secret(struct sg_draft *b, struct sg_api_keys *k, const struct sg_res *s)
{
	struct sg_pctx *c = &b->c;
	const struct sg_node *lists[2];

	lists[0] = sg_map_get(s->doc, "stringData");
	lists[1] = sg_map_get(s->doc, "data");
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0;
		     lists[l] && lists[l]->kind == SG_NODE_MAP && i < sg_map_len(lists[l]); i++) {
			const struct sg_node *v = sg_map_val(lists[l], i);
			const char *name = sg_map_key(lists[l], i)->str;
			const char *text = v->kind == SG_NODE_SCALAR ? v->str : NULL;
			size_t len = text ? strlen(text) : 0;

			if (text && l == 1)
				text = sg_base64_decode(c->a, text, &len);
			if (!text) {
				sg_diag_err(c->d, v, "Secret %s/%s: %s: expected a string", s->ns,
					    s->name, name);
				return -1;
			}
			if (sg_api_key_text(c, k, text, len,
					    sg_arena_printf(c->a, "Secret %s/%s key %s", s->ns,
							    s->name, name),
					    sg_arena_printf(c->a, "Secret %s/%s: %s", s->ns,
							    s->name, name)) == -1)
				return -1;
		}
	return 0;
}

/* Whether resource s has every label of matchLabels m (a map). */
static bool labels_match(const struct sg_res *s, const struct sg_node *m)
{
	for (size_t i = 0; i < sg_map_len(m); i++) {
		const struct sg_node *have = sg_map_get(s->labels, sg_map_key(m, i)->str);

		if (!have || have->kind != SG_NODE_SCALAR || !have->str ||
		    strcmp(have->str, sg_map_val(m, i)->str ? sg_map_val(m, i)->str : ""))
			return false;
	}
	return true;
}

/* secretSelector {matchLabels}: the keys of every Secret of the policy's
 * namespace that has those labels (none: a warning, nobody let in). */
static int api_keys_selected(struct sg_draft *b, const struct sg_res *r, struct sg_api_keys *k,
			     const struct sg_node *sel, const char *path)
{
	static const struct sg_field fields[] = {
		{ "matchLabels", f_match_labels, 0, true },
		{ 0 },
	};
	struct sg_pctx *c = &b->c;
	const struct sg_node *m;
	size_t found = 0;
	int unused;

	if (sg_parse_fields(c, sel, fields, &unused, path) == -1)
		return -1;
	m = sg_map_get(sel, "matchLabels");
	for (size_t i = 0; i < b->nres; i++) {
		const struct sg_res *s = &b->res[i];

		if (strcmp(s->kind, "Secret") || strcmp(s->ns, r->ns) || !labels_match(s, m))
			continue;
		found++;
		if (api_keys_of_secret(b, k, s) == -1)
			return -1;
	}
	if (!found)
		sg_diag_warn(c->d, sel,
			     "%s: no Secret in namespace %s has these labels; policy %s/%s lets "
			     "nobody in until one has",
			     path, r->ns, r->ns, r->name);
	return 0;
}

static const struct sg_api_keys *agp_api_keys(struct sg_draft *b, const struct sg_res *r,
					      const struct sg_node *n, const char *path)
{
	static const struct sg_field fields[] = {
		{ "mode", sg_f_str, offsetof(struct agp_apikeys_in, mode) },
		{ "secretRef", sg_f_node, offsetof(struct agp_apikeys_in, secret) },
		{ "secretSelector", sg_f_node, offsetof(struct agp_apikeys_in, selector) },
		{ "configMapSelector", f_agp_unsupported, 0 },
		{ "location", f_agp_unsupported, 0 },
		{ 0 },
	};
	static const struct sg_field ref_fields[] = {
		{ "name", sg_f_str, offsetof(struct secret_ref_in, name), true },
		{ 0 },
	};
	static const char *const modes[] = { "Strict", "Optional", "Permissive" };
	static const enum sg_auth_mode auth_modes[] = { SG_AUTH_STRICT, SG_AUTH_OPTIONAL,
							SG_AUTH_PERMISSIVE };
	struct sg_pctx *c = &b->c;
	struct agp_apikeys_in in = { 0 };
	struct secret_ref_in ref = { 0 };
	const char *rpath = sg_path_key(c, path, "secretRef");
	const struct sg_res *s;
	struct sg_api_keys *k;
	size_t m = 0;

	if (sg_need_map(c, n, path) == -1 || sg_parse_fields(c, n, fields, &in, path) == -1)
		return NULL;
	if (!in.secret == !in.selector) {
		sg_diag_err(c->d, n, "%s: give exactly one of secretRef and secretSelector", path);
		return NULL;
	}
	if (in.secret && sg_parse_fields(c, in.secret, ref_fields, &ref, rpath) == -1)
		return NULL;
	while (in.mode && m < 3 && strcmp(in.mode, modes[m]))
		m++;
	if (m == 3) {
		sg_expected(c, sg_map_get(n, "mode"), sg_path_key(c, path, "mode"),
			    "Strict, Optional or Permissive");
		return NULL;
	}
	if (!(k = sg_arena_alloc(c->a, sizeof(*k))) ||
	    !(k->rt = sg_arena_alloc(c->a, sizeof(*k->rt))))
		return NULL;
	k->at = n;
	k->mode = in.mode ? auth_modes[m] : SG_AUTH_STRICT;
	k->location = (struct sg_cred_location){ SG_CRED_HEADER, "authorization", "Bearer " };
	if (in.selector)
		return api_keys_selected(b, r, k, in.selector,
					 sg_path_key(c, path, "secretSelector")) == -1
			       ? NULL
			       : k;
	if (!(s = res_find(b, "Secret", r->ns, ref.name))) {
		sg_diag_warn(c->d, in.secret,
			     "%s: Secret %s/%s not found; policy %s/%s lets nobody in until it is",
			     rpath, r->ns, ref.name, r->ns, r->name);
		return k;
	}
	return api_keys_of_secret(b, k, s) == -1 ? NULL : k;
}

/* A policy service's backendRef {name, port, namespace, group, kind}
 * (traffic.extAuth's, traffic.rateLimit.global's, frontend.tracing's),
 * left in to->ref_at: a Service of the policy's namespace
 * (AgentgatewayBackend and other namespaces are refused by name), asked
 * at its first endpoint for that port, as a route's backendRef resolves.
 * A Service not defined (or with no endpoint) leaves `to` unresolved, with
 * a warning, as agentgateway's controller accepts the policy partially:
 * every call fails (an authorizer's or rate limit's failure mode
 * decides; spans are dropped). */
static int agp_service_ref(struct sg_draft *b, const struct sg_res *r, struct sg_policy_service *to,
			   const char *path)
{
	static const struct sg_field fields[] = {
		{ "group", sg_f_str, offsetof(struct bref_in, group) },
		{ "kind", sg_f_str, offsetof(struct bref_in, kind) },
		{ "name", sg_f_str, offsetof(struct bref_in, name), true },
		{ "namespace", sg_f_str, offsetof(struct bref_in, ns) },
		{ "port", sg_f_port, offsetof(struct bref_in, port), true },
		{ 0 },
	};
	struct sg_pctx *c = &b->c;
	struct bref_in in = { 0 };
	struct sg_backend_ref br = { .kind = SG_BREF_SERVICE };
	const struct sg_node *n = to->ref_at;

	if (sg_parse_fields(c, n, fields, &in, path) == -1)
		return -1;
	if (in.kind && !strcmp(in.kind, "AgentgatewayBackend")) {
		sg_diag_err(c->d, sg_map_get(n, "kind"),
			    "%s.kind: not supported (splicegate has no AgentgatewayBackend; refer "
			    "to a Service)",
			    path);
		return -1;
	}
	if ((in.kind && strcmp(in.kind, "Service")) || (in.group && in.group[0]))
		return sg_expected(c, n, path,
				   "a backendRef to a Service (kind Service, group \"\")");
	if (in.ns && strcmp(in.ns, r->ns)) {
		sg_diag_err(c->d, sg_map_get(n, "namespace"),
			    "%s.namespace: not supported (the Service must be in the policy's "
			    "namespace, %s)",
			    path, r->ns);
		return -1;
	}
	to->host = sg_arena_printf(c->a, "%s.%s.svc.cluster.local:%u", in.name, r->ns, in.port);
	to->svc_port = in.port;
	br.port = in.port;
	br.svc = find_service(b->cfg, r->ns, in.name);
	if (!br.svc || resolve_service(c, &br) == -1 || !br.neps) {
		/* the cluster's name for it, which a host does not resolve */
		to->ep = (struct sg_endpoint){
			sg_arena_printf(c->a, "%s.%s.svc.cluster.local", in.name, r->ns), in.port
		};
		to->unresolved = true;
		sg_diag_warn(
			c->d, n, "%s: Service %s/%s %s; the calls of policy %s/%s fail until it is",
			path, r->ns, in.name,
			!br.svc ? "not found" : "has no endpoint for that port", r->ns, r->name);
		return 0;
	}
	to->svc = br.svc;
	to->ep = br.eps[0];
	return 0;
}

/* A Secret's credential for backend.auth: secretRef {name, key} (key
 * default Authorization, whose value may carry a "Bearer " prefix: it is
 * taken off, as agentgateway's controller does, for that key only). NULL
 * after an error; "" with a warning when the Secret or key is missing. */
static const char *agp_auth_secret(struct sg_draft *b, const struct sg_res *r,
				   const struct sg_node *n, const char *path)
{
	const struct sg_node *key = n->kind == SG_NODE_MAP ? sg_map_get(n, "key") : NULL;
	const char *text;
	size_t len;

	if (agp_secret_text(b, r, n, path, "Authorization", "sends an empty credential", &text,
			    &len) == -1)
		return NULL;
	if (!key && len >= 7 && !strncasecmp(text, "Bearer ", 7)) {
		text += 7;
		len -= 7;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	return sg_arena_strndup(b->c.a, text, len);
}

/* ---- backend.auth.oauthTokenExchange --------------------------------------- */

struct agp_tokenx_in {
	const struct sg_node *ref, *url, *path, *grant, *subject, *actor, *audiences, *scopes,
		*resources, *requested, *params, *client, *location, *cache;
};

/* A token type: agentgateway's CRD names or, where custom = true (the
 * subject's and actor's), an absolute URI; into *out as its URN. */
static int agp_tokenx_type(struct sg_pctx *c, const struct sg_node *n, const char *path,
			   bool custom, const char **out)
{
	const char *urn = n->kind == SG_NODE_SCALAR ? sg_tokenx_type_urn(n->str) : NULL;

	if (!urn || (!custom && urn == n->str))
		return sg_expected(c, n, path,
				   custom ? "AccessToken, Jwt, IdToken or an absolute URI"
					  : "AccessToken, Jwt or IdToken");
	*out = urn;
	return 0;
}

/* subjectToken / actorToken {source, tokenType, mayAct}. */
static int agp_tokenx_token(struct sg_pctx *c, const struct sg_node *n, const char *path,
			    struct sg_cred_location *at, const char **type, bool actor)
{
	static const struct sg_field fields[] = {
		{ "source", sg_f_node, 0 * sizeof(const struct sg_node *) },
		{ "tokenType", sg_f_node, 1 * sizeof(const struct sg_node *) },
		{ "mayAct", sg_f_node, 2 * sizeof(const struct sg_node *) },
		{ 0 },
	};
	const struct sg_node *in[3] = { 0 }; /* source, tokenType, mayAct */

	if (sg_need_map(c, n, path) == -1 || sg_parse_fields(c, n, fields, in, path) == -1)
		return -1;
	if (actor && !in[0])
		return sg_expected(c, n, sg_path_key(c, path, "source"), "a token's location");
	if (in[0] && sg_f_cred_location(c, in[0], at, sg_path_key(c, path, "source")) == -1)
		return -1;
	if (in[1] && agp_tokenx_type(c, in[1], sg_path_key(c, path, "tokenType"), true, type) == -1)
		return -1;
	if (in[2]) {
		sg_diag_err(c->d, in[2],
			    "%s.mayAct: not supported (the subject's may_act claim is not checked)",
			    path);
		return -1;
	}
	return 0;
}

struct agp_client_in {
	const char *id;
	const struct sg_node *secret, *method;
};

static int f_private_key_jwt(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	(void)dst;
	sg_diag_err(c->d, n,
		    "%s: not supported (privateKeyJwt client assertions are not "
		    "implemented)",
		    path);
	return -1;
}

/* clientAuth {clientId, secretRef {name, key: clientSecret}, method}. */
static int agp_tokenx_client(struct sg_draft *b, const struct sg_res *r, const struct sg_node *n,
			     const char *path, struct sg_token_exchange *t)
{
	static const struct sg_field fields[] = {
		{ "clientId", sg_f_str, offsetof(struct agp_client_in, id), true },
		{ "secretRef", sg_f_node, offsetof(struct agp_client_in, secret) },
		{ "method", sg_f_node, offsetof(struct agp_client_in, method) },
		{ "privateKeyJwt", f_private_key_jwt, 0 },
		{ 0 },
	};
	struct agp_client_in in = { 0 };
	struct sg_pctx *c = &b->c;
	const char *m;
	size_t len;

	if (sg_need_map(c, n, path) == -1 || sg_parse_fields(c, n, fields, &in, path) == -1)
		return -1;
	t->client_id = in.id;
	m = in.method && in.method->kind == SG_NODE_SCALAR ? in.method->str : "ClientSecretBasic";
	if (!strcmp(m, "ClientSecretBasic"))
		t->client = SG_TOKENX_CLIENT_BASIC;
	else if (!strcmp(m, "ClientSecretPost"))
		t->client = SG_TOKENX_CLIENT_POST;
	else if (!strcmp(m, "PrivateKeyJwt"))
		return f_private_key_jwt(c, in.method, NULL, sg_path_key(c, path, "method"));
	else
		return sg_expected(c, in.method, sg_path_key(c, path, "method"),
				   "ClientSecretBasic or ClientSecretPost");
	if (!in.secret) {
		if (t->client == SG_TOKENX_CLIENT_BASIC)
			return sg_expected(c, n, sg_path_key(c, path, "secretRef"),
					   "a client secret (ClientSecretBasic sends one)");
		return 0;
	}
	if (agp_secret_text(b, r, in.secret, sg_path_key(c, path, "secretRef"), "clientSecret",
			    "asks with an empty client secret", &t->client_secret, &len) == -1)
		return -1;
	t->client_secret = sg_arena_strndup(c->a, t->client_secret, len);
	return t->client_secret ? 0 : -1;
}

/* cache {inMemory {maxEntries, defaultTtl}}. */
static int agp_tokenx_cache(struct sg_pctx *c, const struct sg_node *n, const char *path,
			    struct sg_token_exchange *t)
{
	static const struct sg_field fields[] = { { "inMemory", sg_f_node, 0 }, { 0 } };
	static const struct sg_field mem_fields[] = {
		{ "maxEntries", sg_f_u32, offsetof(struct sg_token_exchange, cache.max_entries) },
		{ "defaultTtl", sg_f_dur, offsetof(struct sg_token_exchange, default_ttl) },
		{ 0 },
	};
	const struct sg_node *mem = NULL;
	const char *mpath = sg_path_key(c, path, "inMemory");

	if (sg_need_map(c, n, path) == -1 || sg_parse_fields(c, n, fields, &mem, path) == -1)
		return -1;
	if (!mem)
		return 0;
	if (sg_need_map(c, mem, mpath) == -1 || sg_parse_fields(c, mem, mem_fields, t, mpath) == -1)
		return -1;
	t->cache_off = !t->cache.max_entries;
	if (sg_map_get(mem, "defaultTtl") && t->default_ttl < SG_DUR_S(1))
		return sg_expected(c, sg_map_get(mem, "defaultTtl"),
				   sg_path_key(c, mpath, "defaultTtl"), "at least 1s");
	return 0;
}

/* The token endpoint: url "http(s)://host[:port][/path]" (https: at port
 * 443, where the exchange speaks TLS), or backendRef to a Service of the
 * policy's namespace, asked at its endpoint under the Service's name. */
static int agp_tokenx_endpoint(struct sg_draft *b, const struct sg_res *r,
			       const struct agp_tokenx_in *in, const struct sg_node *n,
			       const char *path, struct sg_token_exchange *t)
{
	struct sg_pctx *c = &b->c;
	const char *u, *rest, *slash, *after;
	bool https;
	struct sg_node h;
	char *hostport;

	if (!in->ref == !in->url)
		return sg_expected(c, n, path, "exactly one of backendRef and url");
	if (in->ref) {
		t->to.ref_at = in->ref;
		return agp_service_ref(b, r, &t->to, sg_path_key(c, path, "backendRef"));
	}
	if (sg_map_get(n, "path"))
		return sg_expected(c, sg_map_get(n, "path"), sg_path_key(c, path, "path"),
				   "no path beside url (the url carries it)");
	u = in->url->kind == SG_NODE_SCALAR ? in->url->str : "";
	https = !strncmp(u, "https://", 8);
	rest = https ? u + 8 : !strncmp(u, "http://", 7) ? u + 7 : NULL;
	if (!rest || !*rest || strpbrk(rest, "?#@ \t\r\n"))
		return sg_expected(c, in->url, sg_path_key(c, path, "url"),
				   "an http:// or https:// URL with no query, fragment or user");
	slash = strchr(rest, '/');
	hostport = sg_arena_strndup(c->a, rest, slash ? (size_t)(slash - rest) : strlen(rest));
	if (!hostport)
		return -1;
	/* the port's colon: past an IPv6 literal's brackets */
	after = hostport[0] == '[' ? strchr(hostport, ']') : NULL;
	if (!strchr(after ? after : hostport, ':'))
		hostport = sg_arena_printf(c->a, "%s:%u", hostport, https ? 443 : 80);
	h = *in->url;
	h.str = hostport;
	if (!hostport ||
	    sg_service_host(c, &h, sg_path_key(c, path, "url"), &t->to.host, &t->to.ep) == -1)
		return -1;
	if (https != (t->to.ep.port == 443)) {
		sg_diag_err(c->d, in->url,
			    "%s.url: not supported (the exchange speaks TLS at port 443 and only "
			    "there)",
			    path);
		return -1;
	}
	t->path = slash ? slash : "";
	return 0;
}

/* AgentgatewayPolicy spec.backend.auth.oauthTokenExchange: agentgateway's
 * OAuthTokenExchange, read into the exchange the standalone form gives
 * (config/tokenxconf.h). */
static struct sg_token_exchange *agp_token_exchange(struct sg_draft *b, const struct sg_res *r,
						    const struct sg_node *n, const char *path)
{
	static const struct sg_field fields[] = {
		{ "backendRef", sg_f_node, offsetof(struct agp_tokenx_in, ref) },
		{ "url", sg_f_node, offsetof(struct agp_tokenx_in, url) },
		{ "path", sg_f_node, offsetof(struct agp_tokenx_in, path) },
		{ "grantType", sg_f_node, offsetof(struct agp_tokenx_in, grant) },
		{ "subjectToken", sg_f_node, offsetof(struct agp_tokenx_in, subject) },
		{ "actorToken", sg_f_node, offsetof(struct agp_tokenx_in, actor) },
		{ "audiences", sg_f_node, offsetof(struct agp_tokenx_in, audiences) },
		{ "scopes", sg_f_node, offsetof(struct agp_tokenx_in, scopes) },
		{ "resources", sg_f_node, offsetof(struct agp_tokenx_in, resources) },
		{ "requestedTokenType", sg_f_node, offsetof(struct agp_tokenx_in, requested) },
		{ "additionalParams", sg_f_node, offsetof(struct agp_tokenx_in, params) },
		{ "clientAuth", sg_f_node, offsetof(struct agp_tokenx_in, client) },
		{ "location", sg_f_node, offsetof(struct agp_tokenx_in, location) },
		{ "cache", sg_f_node, offsetof(struct agp_tokenx_in, cache) },
		{ 0 },
	};
	struct sg_pctx *c = &b->c;
	struct sg_token_exchange *t = sg_token_exchange_new(c, n);
	struct agp_tokenx_in in = { 0 };
	const char *g;

	if (!t || sg_need_map(c, n, path) == -1 || sg_parse_fields(c, n, fields, &in, path) == -1)
		return NULL;
	if ((in.path &&
	     sg_f_tokenx_path(c, in.path, &t->path, sg_path_key(c, path, "path")) == -1) ||
	    (in.audiences &&
	     sg_f_strs(c, in.audiences, &t->audiences, sg_path_key(c, path, "audiences")) == -1) ||
	    (in.scopes &&
	     sg_f_strs(c, in.scopes, &t->scopes, sg_path_key(c, path, "scopes")) == -1) ||
	    (in.resources &&
	     sg_f_strs(c, in.resources, &t->resources, sg_path_key(c, path, "resources")) == -1) ||
	    (in.params && sg_f_tokenx_params(c, in.params, &t->params,
					     sg_path_key(c, path, "additionalParams")) == -1) ||
	    (in.location &&
	     sg_f_cred_location(c, in.location, &t->out, sg_path_key(c, path, "location")) == -1))
		return NULL;
	if (agp_tokenx_endpoint(b, r, &in, n, path, t) == -1)
		return NULL;
	g = in.grant && in.grant->kind == SG_NODE_SCALAR ? in.grant->str : "TokenExchange";
	if (!strcmp(g, "JwtBearer")) {
		t->grant = SG_TOKENX_JWT_BEARER;
	} else if (strcmp(g, "TokenExchange")) {
		sg_expected(c, in.grant, sg_path_key(c, path, "grantType"),
			    "TokenExchange or JwtBearer");
		return NULL;
	}
	if (in.subject) {
		t->subject_given = true;
		if (agp_tokenx_token(c, in.subject, sg_path_key(c, path, "subjectToken"),
				     &t->subject, &t->subject_type, false) == -1)
			return NULL;
	}
	if (in.actor) {
		t->actor = true;
		if (agp_tokenx_token(c, in.actor, sg_path_key(c, path, "actorToken"), &t->actor_at,
				     &t->actor_type, true) == -1)
			return NULL;
	}
	if (in.requested) {
		if (in.requested->kind == SG_NODE_SCALAR && !strcmp(in.requested->str, "IdJag")) {
			sg_diag_err(c->d, in.requested,
				    "%s.requestedTokenType: not supported (IdJag is only supported "
				    "by crossAppAccess)",
				    path);
			return NULL;
		}
		if (agp_tokenx_type(c, in.requested, sg_path_key(c, path, "requestedTokenType"),
				    false, &t->requested_type) == -1)
			return NULL;
	}
	if (in.client &&
	    agp_tokenx_client(b, r, in.client, sg_path_key(c, path, "clientAuth"), t) == -1)
		return NULL;
	if (in.cache && agp_tokenx_cache(c, in.cache, sg_path_key(c, path, "cache"), t) == -1)
		return NULL;
	return sg_token_exchange_done(c, n, t, path) == -1 ? NULL : t;
}

struct agp_bauth_in {
	const char *key;
	const struct sg_node *secret, *passthrough, *location, *credentials, *tokenx;
};

struct agp_cred_in {
	const struct sg_node *location, *secret;
};

/* AgentgatewayPolicy spec.backend.auth: one of key (inline), secretRef or
 * passthrough {}, at `location` (default Authorization: Bearer), and/or
 * credentials [{location, secretRef}]; the cloud providers and token
 * services are refused by name. */
static const struct sg_backend_auth *agp_backend_auth(struct sg_draft *b, const struct sg_res *r,
						      const struct sg_node *n, const char *path)
{
	static const struct sg_field fields[] = {
		{ "key", sg_f_str, offsetof(struct agp_bauth_in, key) },
		{ "secretRef", sg_f_node, offsetof(struct agp_bauth_in, secret) },
		{ "passthrough", sg_f_node, offsetof(struct agp_bauth_in, passthrough) },
		{ "location", sg_f_node, offsetof(struct agp_bauth_in, location) },
		{ "credentials", sg_f_node, offsetof(struct agp_bauth_in, credentials) },
		{ "aws", sg_f_backend_auth_refused, 0 },
		{ "azure", sg_f_backend_auth_refused, 0 },
		{ "gcp", sg_f_backend_auth_refused, 0 },
		{ "oauthTokenExchange", sg_f_node, offsetof(struct agp_bauth_in, tokenx) },
		{ "crossAppAccess", sg_f_backend_auth_refused, 0 },
		{ "jwtSign", sg_f_backend_auth_refused, 0 },
		{ 0 },
	};
	static const struct sg_field cred_fields[] = {
		{ "location", sg_f_node, offsetof(struct agp_cred_in, location), true },
		{ "secretRef", sg_f_node, offsetof(struct agp_cred_in, secret), true },
		{ 0 },
	};
	struct sg_pctx *c = &b->c;
	struct agp_bauth_in in = { 0 };
	struct sg_backend_auth *a;

	if (sg_need_map(c, n, path) == -1 || sg_parse_fields(c, n, fields, &in, path) == -1)
		return NULL;
	if (!!in.key + !!in.secret + !!in.passthrough + !!in.tokenx > 1) {
		sg_diag_err(
			c->d, n,
			"%s: one of key, secretRef, passthrough or oauthTokenExchange, not more",
			path);
		return NULL;
	}
	if (!(a = sg_arena_alloc(c->a, sizeof(*a))))
		return NULL;
	a->at = n;
	a->main.location = (struct sg_cred_location){ SG_CRED_HEADER, "authorization", "Bearer " };
	if (in.location) {
		a->main.explicit_location = true;
		if (sg_f_cred_location(c, in.location, &a->main.location,
				       sg_path_key(c, path, "location")) == -1)
			return NULL;
	}
	if (in.key) {
		a->kind = SG_BACKEND_AUTH_KEY;
		a->main.value = in.key;
	} else if (in.secret) {
		a->kind = SG_BACKEND_AUTH_KEY;
		if (!(a->main.value =
			      agp_auth_secret(b, r, in.secret, sg_path_key(c, path, "secretRef"))))
			return NULL;
	} else if (in.passthrough) {
		a->kind = SG_BACKEND_AUTH_PASSTHROUGH;
	} else if (in.tokenx) {
		a->kind = SG_BACKEND_AUTH_TOKEN_EXCHANGE;
		if (!(a->exchange = agp_token_exchange(b, r, in.tokenx,
						       sg_path_key(c, path, "oauthTokenExchange"))))
			return NULL;
	}
	if (in.credentials && sg_need_seq(c, in.credentials, sg_path_key(c, path, "credentials")))
		return NULL;
	for (size_t i = 0; in.credentials && i < in.credentials->n; i++) {
		const char *ipath = sg_path_idx(c, sg_path_key(c, path, "credentials"), i);
		struct agp_cred_in ci = { 0 };
		struct sg_backend_cred *cr;

		if (sg_parse_fields(c, in.credentials->items[i], cred_fields, &ci, ipath) == -1 ||
		    !(cr = sg_arena_push(c->a, &a->creds, &a->ncreds, &a->capcreds, sizeof(*cr))))
			return NULL;
		cr->explicit_location = true;
		if (sg_f_cred_location(c, ci.location, &cr->location,
				       sg_path_key(c, ipath, "location")) == -1 ||
		    !(cr->value =
			      agp_auth_secret(b, r, ci.secret, sg_path_key(c, ipath, "secretRef"))))
			return NULL;
	}
	if (a->kind == SG_BACKEND_AUTH_NONE && !a->ncreds) {
		sg_expected(c, n, path, "key, secretRef, passthrough or credentials");
		return NULL;
	}
	return a;
}

/* AgentgatewayPolicy spec.backend.tls: caCertificateRefs (ConfigMap or
 * Secret, key ca.crt, in the policy's namespace), insecureSkipVerify (All |
 * Hostname), sni, verifySubjectAltNames, alpnProtocols. A reference that
 * does not resolve trusts nothing (agentgateway: "an explicit but invalid
 * source trusts nothing rather than system certs"), with a warning. */
static const struct sg_backend_tls *agp_backend_tls(struct sg_draft *b, const struct sg_res *r,
						    const struct sg_node *n, const char *path)
{
	static const struct sg_field fields[] = {
		{ "caCertificateRefs", sg_f_node, offsetof(struct agp_tls_in, cas) },
		{ "insecureSkipVerify", sg_f_str, offsetof(struct agp_tls_in, skip) },
		{ "certificateSource", sg_f_str, offsetof(struct agp_tls_in, source) },
		{ "sni", f_agp_tls_sni, 0 },
		{ "verifySubjectAltNames", f_agp_tls_sans, 0 },
		{ "alpnProtocols", f_agp_tls_alpn, 0 },
		{ "mtlsCertificateRef", f_agp_tls_unsupported, 0 },
		{ "keyExchangeGroups", f_agp_tls_unsupported, 0 },
		{ 0 },
	};
	struct sg_pctx *c = &b->c;
	struct agp_tls_in in = { sg_arena_alloc(c->a, sizeof(*in.t)), NULL, NULL, NULL };

	if (!in.t)
		return NULL;
	memset(in.t, 0, sizeof(*in.t));
	if (sg_parse_fields(c, n, fields, &in, path) == -1)
		return NULL;
	if (in.source && strcmp(in.source, "Inline")) {
		sg_expected(c, sg_map_get(n, "certificateSource"),
			    sg_path_key(c, path, "certificateSource"),
			    "Inline (SPIFFE identities are not supported)");
		return NULL;
	}
	if (in.skip && strcmp(in.skip, "All") && strcmp(in.skip, "Hostname")) {
		sg_expected(c, sg_map_get(n, "insecureSkipVerify"),
			    sg_path_key(c, path, "insecureSkipVerify"), "All or Hostname");
		return NULL;
	}
	in.t->insecure = in.skip && !strcmp(in.skip, "All");
	in.t->insecure_host = in.skip && !strcmp(in.skip, "Hostname");
	if (in.cas && sg_need_seq(c, in.cas, sg_path_key(c, path, "caCertificateRefs")) == -1)
		return NULL;
	for (size_t i = 0; in.cas && i < in.cas->n; i++) {
		const char *p = sg_path_idx(c, sg_path_key(c, path, "caCertificateRefs"), i);
		struct ca_ref_in ref = { "", "ConfigMap", NULL };

		if (sg_parse_fields(c, in.cas->items[i], ca_ref_fields, &ref, p) == -1)
			return NULL;
		if (strcmp(ref.kind, "ConfigMap") && strcmp(ref.kind, "Secret")) {
			sg_expected(c, sg_map_get(in.cas->items[i], "kind"),
				    sg_path_key(c, p, "kind"), "ConfigMap or Secret");
			return NULL;
		}
		if (add_ca(b, in.t, ref.kind, r->ns, ref.name))
			sg_diag_warn(c->d, in.cas->items[i],
				     "%s: %s; TLS to the backends of policy %s/%s fails until it "
				     "is",
				     p, in.t->invalid, r->ns, r->name);
	}
	return in.t;
}

struct btls_in {
	const struct sg_node *targets, *validation;
};

struct btls_validation_in {
	const struct sg_node *cas, *sans;
	const char *well_known, *hostname;
};

/* subjectAltNames [{type: Hostname, hostname} | {type: URI, uri}]. */
static int btls_sans(struct sg_pctx *c, const struct sg_node *n, struct sg_strs *out,
		     const char *path)
{
	static const struct sg_field fields[] = {
		{ "type", sg_f_str, 0, true },
		{ "hostname", sg_f_str, sizeof(const char *) },
		{ "uri", sg_f_str, 2 * sizeof(const char *) },
		{ 0 },
	};

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const char *v[3] = { NULL, NULL, NULL }, **slot;
		const char *p = sg_path_idx(c, path, i);

		if (sg_parse_fields(c, n->items[i], fields, v, p) == -1)
			return -1;
		/* The other type's field too is refused, as Gateway API's CEL
		 * refuses it: the hostname of a URI entry was taken for it. */
		if (!strcmp(v[0], "Hostname") ? !v[1] || v[2]
					      : strcmp(v[0], "URI") || !v[2] || v[1])
			return sg_expected(c, n->items[i], p,
					   "{type: Hostname, hostname: NAME} or {type: URI, uri: "
					   "URI}");
		if (v[1] && !sg_k8s_hostname_ok(v[1], true))
			return sg_expected(c, sg_map_get(n->items[i], "hostname"),
					   sg_path_key(c, p, "hostname"), HOSTNAME_WHAT);
		slot = sg_arena_push(c->a, &out->v, &out->n, &out->cap, sizeof(*slot));
		if (!slot)
			return -1;
		*slot = v[1] ? v[1] : v[2];
	}
	return 0;
}

/* spec.validation: the CA (ConfigMaps with ca.crt, or the system's), the
 * host name for SNI and verification, the SANs accepted instead. Sets the
 * status's conditions as agentgateway's controller does. */
static const struct sg_backend_tls *btls_validation(struct sg_draft *b, struct sg_res *r,
						    const struct sg_node *n,
						    struct sg_condition *accepted,
						    struct sg_condition *resolved)
{
	static const struct sg_field fields[] = {
		{ "caCertificateRefs", sg_f_node, offsetof(struct btls_validation_in, cas) },
		{ "wellKnownCACertificates", sg_f_str,
		  offsetof(struct btls_validation_in, well_known) },
		{ "hostname", sg_f_str, offsetof(struct btls_validation_in, hostname), true },
		{ "subjectAltNames", sg_f_node, offsetof(struct btls_validation_in, sans) },
		{ 0 },
	};
	struct sg_pctx *c = &b->c;
	struct btls_validation_in in = { 0 };
	struct sg_backend_tls *t = sg_arena_alloc(c->a, sizeof(*t));

	if (!t || sg_parse_fields(c, n, fields, &in, "spec.validation") == -1)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->hostname = in.hostname;
	/* PreciseHostname: the CRD's pattern refuses a wildcard, its
	 * definition an IP address (SNI carries none, RFC 6066 §3). */
	if (!sg_k8s_hostname_ok(in.hostname, false) ||
	    !sg_sni_name_valid(in.hostname, strlen(in.hostname))) {
		sg_expected(c, sg_map_get(n, "hostname"), "spec.validation.hostname",
			    "a lowercase host name such as \"backend.example.com\" (Gateway API "
			    "PreciseHostname: no wildcard, no IP address)");
		return NULL;
	}
	if (in.sans && btls_sans(c, in.sans, &t->sans, "spec.validation.subjectAltNames") == -1)
		return NULL;
	cond_set(accepted, "Accepted", true, "Accepted", "Configuration is valid");
	cond_set(resolved, "ResolvedRefs", true, "ResolvedRefs", "Configuration is valid");
	if (in.well_known) {
		/* Gateway API refuses both (CEL on BackendTLSPolicyValidation);
		 * taken, the ConfigMaps were left unread and the system's CAs
		 * trusted instead. */
		if (in.cas && (in.cas->kind != SG_NODE_SEQ || in.cas->n)) {
			sg_diag_err(c->d, in.cas,
				    "spec.validation: caCertificateRefs and "
				    "wellKnownCACertificates are exclusive: give one of them");
			return NULL;
		}
		if (strcmp(in.well_known, "System")) {
			sg_expected(c, sg_map_get(n, "wellKnownCACertificates"),
				    "spec.validation.wellKnownCACertificates", "System");
			return NULL;
		}
		return t;
	}
	if (!in.cas || in.cas->kind != SG_NODE_SEQ || !in.cas->n) {
		sg_expected(c, in.cas ? in.cas : n, "spec.validation",
			    "caCertificateRefs or wellKnownCACertificates: System");
		return NULL;
	}
	for (size_t i = 0; i < in.cas->n; i++) {
		const char *p = sg_path_idx(c, "spec.validation.caCertificateRefs", i);
		struct ca_ref_in ref = { "", "", NULL };

		if (sg_parse_fields(c, in.cas->items[i], ca_ref_fields, &ref, p) == -1)
			return NULL;
		if (strcmp(ref.group, "") || strcmp(ref.kind, "ConfigMap")) {
			t->invalid = sg_arena_printf(c->a, "Certificate reference invalid: %s",
						     ref.kind);
			cond_set(resolved, "ResolvedRefs", false, "InvalidKind", t->invalid);
		} else if (add_ca(b, t, "ConfigMap", r->ns, ref.name)) {
			cond_set(resolved, "ResolvedRefs", false, "InvalidCACertificateRef",
				 t->invalid);
		}
		if (t->invalid) {
			cond_set(accepted, "Accepted", false, "NoValidCACertificate", t->invalid);
			sg_diag_warn(c->d, in.cas->items[i],
				     "%s: %s; TLS to the backends of BackendTLSPolicy %s/%s fails "
				     "until it is",
				     p, t->invalid, r->ns, r->name);
			break;
		}
	}
	return t;
}

/* A targetRef's Service port: sectionName names a port of the Service
 * (0 when it names none: the policy then applies to nothing there). */
static uint16_t btls_port(struct sg_draft *b, const char *ns, const char *name, const char *section)
{
	const struct sg_service *svc = find_service(b->cfg, ns, name);

	for (size_t i = 0; svc && i < svc->nports; i++)
		if (svc->ports[i].name && !strcmp(svc->ports[i].name, section))
			return svc->ports[i].port;
	return 0;
}

/* A targetRef's fields as written, read off the node (another policy's
 * too, for conflicts): "" for a field not given. */
static bool same_target(const struct sg_node *x, const struct sg_node *y)
{
	static const char *const keys[] = { "group", "kind", "name", "sectionName" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(ref_str(x, keys[i]), ref_str(y, keys[i])))
			return false;
	return true;
}

/* Gateway API policy precedence (GEP-713, agentgateway's
 * HasHigherPriority): the older wins (creationTimestamp where both carry
 * one, else the earlier apply), then namespace and name. */
static bool outranks(const struct sg_res *x, const struct sg_res *y)
{
	const struct sg_node *mx = sg_map_get(x->metadata, "creationTimestamp");
	const struct sg_node *my = sg_map_get(y->metadata, "creationTimestamp");
	int d;

	if (mx && my && mx->kind == SG_NODE_SCALAR && my->kind == SG_NODE_SCALAR &&
	    (d = strcmp(mx->str, my->str)))
		return d < 0;
	if (x->era != y->era)
		return x->era < y->era;
	d = strcmp(x->ns, y->ns);
	return d ? d < 0 : strcmp(x->name, y->name) < 0;
}

/* The BackendTLSPolicy that outranks r on the same target, or NULL. */
static const struct sg_res *btls_rival(const struct sg_draft *b, const struct sg_res *r,
				       const struct sg_node *target)
{
	for (size_t i = 0; i < b->nres; i++) {
		const struct sg_res *o = &b->res[i];
		const struct sg_node *refs;

		if (o == r || strcmp(o->kind, "BackendTLSPolicy") || strcmp(o->ns, r->ns) ||
		    !o->spec || !outranks(o, r))
			continue;
		refs = o->spec->kind == SG_NODE_MAP ? sg_map_get(o->spec, "targetRefs") : NULL;
		for (size_t j = 0; refs && refs->kind == SG_NODE_SEQ && j < refs->n; j++)
			if (same_target(refs->items[j], target))
				return o;
	}
	return NULL;
}

static int btls_target(struct sg_draft *b, struct sg_res *r, const struct sg_backend_tls *t,
		       struct sg_condition *accepted, const struct sg_node *n, const char *path)
{
	struct sg_pctx *c = &b->c;
	struct target_in ti = { "" };
	struct sg_target tg = { .kind = SG_TARGET_SERVICE, .ns = r->ns };
	const struct sg_res *rival;
	struct sg_policy *p;
	char host[512];

	if (sg_parse_fields(c, n, target_fields, &ti, path) == -1)
		return -1;
	if (strcmp(ti.group, "") || strcmp(ti.kind, "Service"))
		return sg_expected(c, sg_map_get(n, "kind"), sg_path_key(c, path, "kind"),
				   "Service (group \"\")");
	tg.name = ti.name;
	tg.section = ti.section;
	if (ti.section)
		tg.port = btls_port(b, r->ns, ti.name, ti.section);
	if (!find_res(b, "Service", r->ns, ti.name))
		sg_diag_warn(c->d, n,
			     "%s: Service %s/%s is not defined; BackendTLSPolicy %s/%s has no "
			     "effect until it is",
			     path, r->ns, ti.name, r->ns, r->name);
	/* Not in force where an older policy holds the same target (the
	 * data path would not know which one wins). */
	if ((rival = btls_rival(b, r, n))) {
		cond_set(accepted, "Accepted", false, "Conflicted",
			 sg_arena_printf(c->a,
					 "policy %s matches the same target but with higher "
					 "priority",
					 rival->name));
		return 0;
	}
	if (!(p = sg_draft_policy(b)))
		return -1;
	snprintf(host, sizeof(host), "%s.%s.svc.cluster.local", ti.name, r->ns);
	p->key = tg.port ? sg_arena_printf(c->a, "%s/%s:backend-tls:%s/%s/%u", r->ns, r->name,
					   r->ns, host, tg.port)
			 : sg_arena_printf(c->a, "%s/%s:backend-tls:%s/%s", r->ns, r->name, r->ns,
					   host);
	p->src_kind = r->kind;
	p->src_name = r->name;
	p->src_ns = r->ns;
	p->target = tg;
	p->kind = SG_POL_BACKEND_TLS;
	p->u.btls = t;
	p->at = n;
	return 0;
}

static bool brefs_use(const struct sg_brefs *bs, const char *ns, const char *name)
{
	for (size_t i = 0; i < bs->n; i++) {
		const struct sg_service *svc = bs->v[i].svc;

		if (bs->v[i].kind == SG_BREF_SERVICE && svc && !strcmp(svc->ns, ns) &&
		    !strcmp(svc->name, name))
			return true;
	}
	return false;
}

/* Does a route of listener l send to Service ns/name? */
static bool listener_uses(const struct sg_listener *l, const char *ns, const char *name)
{
	for (size_t i = 0; i < l->nroutes; i++)
		if (brefs_use(&l->routes[i].backends, ns, name))
			return true;
	for (size_t i = 0; i < l->ntcp_routes; i++)
		if (brefs_use(&l->tcp_routes[i].backends, ns, name))
			return true;
	return false;
}

static int ancestor_cmp(const void *x, const void *y)
{
	const struct sg_parent_status *a = x, *b = y;
	int d = strcmp(a->ns, b->ns);

	return d ? d : strcmp(a->name, b->name);
}

/* One ancestor status per Gateway whose routes send to a target (Gateway
 * API reports BackendTLSPolicy status per Gateway, not per Service), in
 * namespace/name order, each with the policy's conditions. */
static int btls_ancestors(struct sg_draft *b, struct sg_res *r, const struct sg_node *targets,
			  const struct sg_condition *accepted, const struct sg_condition *resolved)
{
	struct sg_cfg *cfg = b->cfg;
	struct sg_res_status *st = &r->status;

	for (size_t bi = 0; bi < cfg->nbinds; bi++)
		for (size_t li = 0; li < cfg->binds[bi].nlisteners; li++) {
			const struct sg_listener *l = &cfg->binds[bi].listeners[li];
			struct sg_parent_status *ps, key = { .ns = l->gw_ns, .name = l->gw_name };
			bool used = false;

			if (!l->gw_name)
				continue;
			for (size_t t = 0; t < targets->n && !used; t++)
				used = listener_uses(l, r->ns, ref_str(targets->items[t], "name"));
			for (size_t i = 0; used && i < st->nparents; i++)
				used = ancestor_cmp(&st->parents[i], &key) != 0;
			if (!used)
				continue;
			ps = sg_arena_push(b->c.a, &st->parents, &st->nparents, &st->capparents,
					   sizeof(*ps));
			if (!ps)
				return -1;
			*ps = key;
			ps->kind = "Gateway";
			ps->accepted = *accepted;
			ps->resolved = *resolved;
		}
	if (st->nparents > 1)
		qsort(st->parents, st->nparents, sizeof(*st->parents), ancestor_cmp);
	return 0;
}

/* Gateway API's BackendTLSPolicy: TLS to the Services it targets (a port
 * by its name with sectionName). Status: per Gateway that routes to one
 * of them, Accepted (False/Conflicted where an older policy holds the
 * same target) and ResolvedRefs. */
/* spec.options: Gateway API leaves its keys to the implementation, and
 * agentgateway's controller reads none of them (at 75b4e6c): each key is
 * refused by name, an empty map is nothing. */
static int f_btls_options(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	int ret = 0;

	(void)dst;
	if (sg_node_is_null(n))
		return 0;
	if (sg_need_map(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(n); i++) {
		sg_diag_err(c->d, sg_map_key(n, i),
			    "%s: key \"%s\" is not supported (Gateway API leaves "
			    "BackendTLSPolicy options to the implementation, and agentgateway "
			    "defines none)",
			    path, sg_map_key(n, i)->str);
		ret = -1;
	}
	return ret;
}

static int build_btls(struct sg_draft *b, struct sg_res *r)
{
	static const struct sg_field fields[] = {
		{ "targetRefs", sg_f_node, offsetof(struct btls_in, targets), true },
		{ "validation", sg_f_node, offsetof(struct btls_in, validation), true },
		{ "options", f_btls_options, 0 },
		{ 0 },
	};
	struct sg_pctx *c = &b->c;
	struct btls_in in = { 0 };
	struct sg_condition accepted, resolved;
	const struct sg_backend_tls *t;

	if (need_spec(c, r) == -1 || sg_parse_fields(c, r->spec, fields, &in, "spec") == -1 ||
	    sg_need_seq(c, in.targets, "spec.targetRefs") == -1)
		return -1;
	if (in.targets->n == 0)
		return sg_expected(c, in.targets, "spec.targetRefs", "at least one target");
	if (!(t = btls_validation(b, r, in.validation, &accepted, &resolved)))
		return -1;
	for (size_t i = 0; i < in.targets->n; i++)
		if (btls_target(b, r, t, &accepted, in.targets->items[i],
				sg_path_idx(c, "spec.targetRefs", i)) == -1)
			return -1;
	return btls_ancestors(b, r, in.targets, &accepted, &resolved);
}

/* The policy's content, parsed once and stamped onto every target. */
struct agp_in {
	const struct sg_node *targets, *frontend, *traffic, *backend;
	bool has_fhttp, has_ftcp, has_ftls, has_fproxy, has_timeout, has_retry, has_btcp, has_bhttp;
	const struct sg_health_policy *health;
	const struct sg_node *tls_node; /* backend.tls, resolved into btls */
	const struct sg_backend_tls *btls;
	const struct sg_node *bauth_node; /* backend.auth, resolved into bauth */
	const struct sg_backend_auth *bauth;
	/* traffic filters */
	struct sg_hdrmod *req_headers, *resp_headers;
	const struct sg_cors *cors;
	const struct sg_direct *direct;
	const struct sg_rewrite *host_rewrite;
	const struct sg_ratelimits *ratelimits;
	struct sg_remote_rl *remote_rl; /* rateLimit.global */
	const struct sg_csrf *csrf;
	const struct sg_jwt_auth *jwt;
	const struct sg_node *basic_node; /* traffic.basicAuthentication, resolved into basic */
	const struct sg_basic_auth *basic;
	const struct sg_node *apikeys_node; /* traffic.apiKeyAuthentication, into apikeys */
	const struct sg_api_keys *apikeys;
	struct sg_ext_authz *ext_authz; /* traffic.extAuth */
	const struct sg_authz *authz;	/* traffic.authorization */
	const struct sg_node *phase;	/* traffic.phase */
	bool gateway_phase;		/* ... PreRouting */
	struct sg_frontend_http fhttp;
	struct sg_frontend_tcp ftcp;
	struct sg_frontend_tls ftls;
	struct sg_frontend_proxy fproxy;
	const struct sg_log_policy *access; /* frontend.accessLog; NULL: none */
	struct sg_tracing *tracing;	    /* frontend.tracing; NULL: none */
	struct sg_timeout timeout;
	struct sg_retry retry;
	struct sg_backend_tcp btcp;
	struct sg_backend_http bhttp;
};

static const struct sg_field agp_fields[] = {
	{ "targetRefs", sg_f_node, offsetof(struct agp_in, targets), true },
	{ "frontend", sg_f_node, offsetof(struct agp_in, frontend) },
	{ "traffic", sg_f_node, offsetof(struct agp_in, traffic) },
	{ "backend", sg_f_node, offsetof(struct agp_in, backend) },
	{ "targetSelectors", sg_f_refused, 0 },
	{ 0 },
};

/* The least durations the AgentgatewayPolicy CRD's CEL rules take. */
static int f_dur_1s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_gwapi_dur_min(c, n, dst, path, SG_DUR_S(1));
}

static int f_dur_100ms(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_gwapi_dur_min(c, n, dst, path, SG_DUR_MS(100));
}

static int f_dur_1ms(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_gwapi_dur_min(c, n, dst, path, SG_DUR_MS(1));
}

static int f_agp_fhttp(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	/* The standalone dialect's keys, but its durations the CRD's. */
	static const char *const durs[] = { "http1IdleTimeout", "http2KeepaliveInterval",
					    "http2KeepaliveTimeout", "maxConnectionDuration" };
	struct agp_in *in = dst;
	sg_dur unused;

	in->has_fhttp = true;
	for (size_t i = 0; n->kind == SG_NODE_MAP && i < sizeof(durs) / sizeof(durs[0]); i++)
		if (sg_map_get(n, durs[i]) &&
		    f_dur_1s(c, sg_map_get(n, durs[i]), &unused, sg_path_key(c, path, durs[i])))
			return -1;
	return sg_f_frontend_http(c, n, &in->fhttp, path);
}

/* keepalive.retries: the CRD's 1 to 64. */
static int f_keepalive_retries(struct sg_pctx *c, const struct sg_node *n, void *dst,
			       const char *path)
{
	return u32_in(c, n, dst, path, 1, 64, "a whole number from 1 to 64");
}

/* frontend.tcp.keepalive {retries, time, interval}: present = enabled. */
static int f_k8s_keepalive(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "retries", f_keepalive_retries, offsetof(struct sg_keepalive, retries) },
		{ "time", f_dur_1s, offsetof(struct sg_keepalive, time) },
		{ "interval", f_dur_1s, offsetof(struct sg_keepalive, interval) },
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
		{ "maxConnections", sg_f_limit, offsetof(struct sg_frontend_tcp, max_connections) },
		{ 0 },
	};
	struct agp_in *in = dst;

	in->has_ftcp = true;
	sg_keepalive_defaults(&in->ftcp.keepalives);
	in->ftcp.max_connections = SG_UNSET;
	return sg_parse_fields(c, n, fields, &in->ftcp, path);
}

static int f_agp_ftls(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct agp_in *in = dst;

	in->has_ftls = true;
	return sg_f_frontend_tls_k8s(c, n, &in->ftls, path);
}

static int f_agp_fproxy(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct agp_in *in = dst;

	in->has_fproxy = true;
	return sg_f_frontend_proxy_k8s(c, n, &in->fproxy, path);
}

static const struct sg_field agp_frontend_fields[] = {
	{ "http", f_agp_fhttp, 0 },
	{ "tcp", f_agp_ftcp, 0 },
	{ "tls", f_agp_ftls, 0 },
	{ "proxyProtocol", f_agp_fproxy, 0 },
	{ "accessLog", sg_f_access_log_k8s, offsetof(struct agp_in, access) },
	{ "tracing", sg_f_frontend_tracing_k8s, offsetof(struct agp_in, tracing) },
	{ "connect", sg_f_refused, 0 },
	{ "networkAuthorization", sg_f_refused, 0 },
	{ "metrics", sg_f_refused, 0 },
	{ 0 },
};

static int f_agp_timeouts(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	/* HTTPRoute's two, and responseIdle: newer than the agentgateway
	 * this was written against, named as its docs name it (README). */
	static const struct sg_field fields[] = {
		{ "request", f_dur_1ms, offsetof(struct sg_timeout, request) },
		{ "backendRequest", sg_f_dur, offsetof(struct sg_timeout, backend_request) },
		{ "responseIdle", sg_f_dur, offsetof(struct sg_timeout, response_idle) },
		{ 0 },
	};
	struct agp_in *in = dst;

	in->has_timeout = true;
	in->timeout.request = SG_DUR_UNSET;
	in->timeout.backend_request = SG_DUR_UNSET;
	in->timeout.response_idle = SG_DUR_UNSET;
	return sg_parse_fields(c, n, fields, &in->timeout, path);
}

static int f_agp_retry(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct agp_in *in = dst;

	in->has_retry = true;
	return sg_f_retry(c, n, &in->retry, path);
}

/* traffic.headerModifiers {request, response}: HTTPHeaderFilters. */
static int f_agp_request_headers(struct sg_pctx *c, const struct sg_node *n, void *dst,
				 const char *path)
{
	return sg_hr_header_filter(c, n, path, &((struct agp_in *)dst)->req_headers);
}

static int f_agp_response_headers(struct sg_pctx *c, const struct sg_node *n, void *dst,
				  const char *path)
{
	return sg_hr_header_filter(c, n, path, &((struct agp_in *)dst)->resp_headers);
}

static int f_agp_header_modifiers(struct sg_pctx *c, const struct sg_node *n, void *dst,
				  const char *path)
{
	static const struct sg_field fields[] = {
		{ "request", f_agp_request_headers, 0 },
		{ "response", f_agp_response_headers, 0 },
		{ 0 },
	};
	return sg_parse_fields(c, n, fields, dst, path);
}

static int f_agp_cors(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_hr_cors(c, n, path, &((struct agp_in *)dst)->cors);
}

/* traffic.directResponse {status, body, bodyExpression}: the standalone
 * shape; its headers (a list of {name, value} here) are refused by name. */
static int f_agp_direct(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_filters parsed = { 0 };
	int rc;

	if (n->kind == SG_NODE_MAP && sg_map_get(n, "conditional")) {
		sg_diag_err(
			c->d, sg_map_get(n, "conditional"),
			"%s.conditional: not a field of AgentgatewayPolicy (status and body are)",
			path);
		return -1;
	}
	if (n->kind == SG_NODE_MAP && sg_map_get(n, "headers")) {
		sg_diag_err(c->d, sg_map_get(n, "headers"),
			    "%s.headers: not supported by splicegate in an AgentgatewayPolicy "
			    "(status, body and bodyExpression are)",
			    path);
		return -1;
	}
	rc = sg_f_direct_response(c, n, &parsed, path);

	((struct agp_in *)dst)->direct = parsed.direct;
	return rc;
}

/* traffic.hostRewrite {mode: Auto|None}: the Host a backend gets is its
 * own host name (Auto) or the request's (None). */
static int f_agp_host_rewrite(struct sg_pctx *c, const struct sg_node *n, void *dst,
			      const char *path)
{
	static const struct sg_field fields[] = {
		{ "mode", sg_f_str, 0, true },
		{ 0 },
	};
	const char *mode = NULL;
	struct sg_rewrite *rw = sg_arena_alloc(c->a, sizeof(*rw));

	if (!rw || sg_parse_fields(c, n, fields, &mode, path) == -1)
		return -1;
	if (strcmp(mode, "Auto") && strcmp(mode, "None"))
		return sg_expected(c, sg_map_get(n, "mode"), sg_path_key(c, path, "mode"),
				   "Auto or None");
	rw->authority.kind = strcmp(mode, "Auto") ? SG_AUTHORITY_NONE : SG_AUTHORITY_AUTO;
	((struct agp_in *)dst)->host_rewrite = rw;
	return 0;
}

/* One traffic.rateLimit.local entry: exactly one of requests and
 * tokens (>= 1), a unit, a burst (>= 0). agentgateway's controller makes
 * it a bucket of requests + burst tokens that gains `requests` a unit. */
struct k8s_ratelimit_in {
	int64_t requests, tokens, burst;
	const char *unit;
};

static int f_k8s_ratelimit(struct sg_pctx *c, const struct sg_node *n, struct sg_ratelimits *l,
			   const char *path)
{
	static const struct sg_field fields[] = {
		{ "requests", sg_f_limit, offsetof(struct k8s_ratelimit_in, requests) },
		{ "tokens", sg_f_limit, offsetof(struct k8s_ratelimit_in, tokens) },
		{ "unit", sg_f_str, offsetof(struct k8s_ratelimit_in, unit), true },
		{ "burst", sg_f_i64, offsetof(struct k8s_ratelimit_in, burst) },
		{ 0 },
	};
	static const struct {
		const char *name;
		sg_dur len;
	} units[] = { { "Seconds", SG_DUR_S(1) },
		      { "Minutes", SG_DUR_S(60) },
		      { "Hours", SG_DUR_S(3600) } };
	struct k8s_ratelimit_in in = { .requests = SG_UNSET, .tokens = SG_UNSET };
	struct sg_ratelimit *rl;
	sg_dur unit = 0;

	if (sg_parse_fields(c, n, fields, &in, path) == -1)
		return -1;
	if ((in.requests == SG_UNSET) == (in.tokens == SG_UNSET))
		return sg_expected(c, n, path, "exactly one of requests, tokens");
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(in.unit, units[i].name))
			unit = units[i].len;
	if (!unit)
		return sg_expected(c, sg_map_get(n, "unit"), sg_path_key(c, path, "unit"),
				   "Seconds, Minutes or Hours");
	if (in.burst > INT32_MAX) /* the CRD's int32 */
		return sg_expected(c, sg_map_get(n, "burst"), sg_path_key(c, path, "burst"),
				   "a whole number from 0 to 2147483647");
	rl = sg_ratelimit_add(c, l, n, path);
	if (!rl)
		return -1;
	rl->tokens = in.tokens != SG_UNSET;
	rl->tokens_per_fill = (uint64_t)(rl->tokens ? in.tokens : in.requests);
	rl->max_tokens = rl->tokens_per_fill + (uint64_t)in.burst;
	rl->fill_interval = unit;
	return sg_ratelimit_check(c, rl, n, path);
}

/* traffic.rateLimit {local: [...], global: {...}}: local limits, and a
 * rate limit service's (config/remoterl.h); `conditional` refused by
 * name. */
static int f_agp_rate_limit(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct rate_limit_in {
		const struct sg_node *local;
		struct sg_remote_rl *global;
	} in = { 0 };
	static const struct sg_field fields[] = {
		{ "local", sg_f_node, offsetof(struct rate_limit_in, local) },
		{ "global", sg_f_global_rate_limit, offsetof(struct rate_limit_in, global) },
		{ 0 },
	};
	struct sg_ratelimits *l;
	const struct sg_node *local, *at;
	int ret = 0;

	if (sg_need_map(c, n, path) == -1)
		return -1;
	if ((at = sg_map_get(n, "conditional"))) {
		sg_diag_err(c->d, at, "%s: not supported (CEL conditions); use local or global",
			    sg_path_key(c, path, "conditional"));
		return -1;
	}
	if (sg_parse_fields(c, n, fields, &in, path) == -1)
		return -1;
	((struct agp_in *)dst)->remote_rl = in.global;
	local = in.local;
	if (!local && !in.global)
		return sg_expected(c, n, path, "local or global");
	if (!local)
		return 0;
	path = sg_path_key(c, path, "local");
	if (sg_need_seq(c, local, path) == -1)
		return -1;
	if (local->n == 0)
		return sg_expected(c, local, path, "at least one limit");
	l = sg_arena_alloc(c->a, sizeof(*l));
	if (!l)
		return -1;
	for (size_t i = 0; i < local->n; i++)
		if (f_k8s_ratelimit(c, local->items[i], l, sg_path_idx(c, path, i)) == -1)
			ret = -1;
	((struct agp_in *)dst)->ratelimits = l;
	return ret;
}

/* traffic.csrf {additionalOrigins}: the standalone shape; the CRD wants
 * 1 to 16 origins when the list is given. */
static int f_agp_csrf(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_filters parsed = { 0 };
	const struct sg_node *list =
		n->kind == SG_NODE_MAP ? sg_map_get(n, "additionalOrigins") : NULL;

	if (sg_f_csrf(c, n, &parsed, path) == -1)
		return -1;
	if (list &&
	    (parsed.csrf->additional_origins.n < 1 || parsed.csrf->additional_origins.n > 16))
		return sg_expected(c, list, sg_path_key(c, path, "additionalOrigins"),
				   "1 to 16 origins");
	((struct agp_in *)dst)->csrf = parsed.csrf;
	return 0;
}

static const struct sg_field agp_traffic_fields[] = {
	{ "timeouts", f_agp_timeouts, 0 },
	{ "retry", f_agp_retry, 0 },
	{ "headerModifiers", f_agp_header_modifiers, 0 },
	{ "cors", f_agp_cors, 0 },
	{ "directResponse", f_agp_direct, 0 },
	{ "hostRewrite", f_agp_host_rewrite, 0 },
	{ "rateLimit", f_agp_rate_limit, 0 },
	{ "csrf", f_agp_csrf, 0 },
	{ "jwtAuthentication", sg_f_agp_jwt_auth, offsetof(struct agp_in, jwt) },
	{ "apiKeyAuthentication", sg_f_node, offsetof(struct agp_in, apikeys_node) },
	{ "basicAuthentication", sg_f_node, offsetof(struct agp_in, basic_node) },
	{ "extAuth", sg_f_agp_ext_authz, offsetof(struct agp_in, ext_authz) },
	{ "authorization", sg_f_agp_authorization, offsetof(struct agp_in, authz) },
	{ "phase", sg_f_node, offsetof(struct agp_in, phase) },
	{ "extProc", sg_f_refused, 0 },
	{ "buffer", sg_f_refused, 0 },
	{ "transformation", sg_f_refused, 0 },
	{ 0 },
};

/* traffic.phase: PostRouting (the default: the policies of a Gateway
 * merge into its routes') or PreRouting: they run on the Gateway's
 * listeners before a route is chosen, apart from the routes' (both run),
 * as agentgateway's gateway phase. PreRouting takes only the sections
 * agentgateway's CRD allows it: splicegate runs jwtAuthentication,
 * basicAuthentication, apiKeyAuthentication, extAuth, authorization and
 * cors there (transformation and extProc are not among the traffic keys
 * it takes at all). Its targets are checked in agp_target. */
static int agp_phase(struct sg_pctx *c, struct agp_in *in)
{
	const struct sg_node *n = in->phase;
	const char *path = "spec.traffic.phase";

	if (n->kind != SG_NODE_SCALAR || !n->str ||
	    (strcmp(n->str, "PreRouting") && strcmp(n->str, "PostRouting")))
		return sg_expected(c, n, path, "PreRouting or PostRouting");
	if (strcmp(n->str, "PreRouting"))
		return 0;
	in->gateway_phase = true;
	if (in->has_timeout || in->has_retry || in->req_headers || in->resp_headers || in->direct ||
	    in->host_rewrite || in->ratelimits || in->csrf || in->remote_rl) {
		sg_diag_err(c->d, n,
			    "%s: phase PreRouting only supports extAuth, authorization, "
			    "transformation, extProc, jwtAuthentication, basicAuthentication, "
			    "apiKeyAuthentication and cors",
			    path);
		return -1;
	}
	return 0;
}

static int f_agp_btcp(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "connectTimeout", f_dur_100ms, offsetof(struct sg_backend_tcp, connect_timeout) },
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
		{ "requestTimeout", f_dur_1ms, offsetof(struct sg_backend_http, request_timeout) },
		{ "version", sg_f_http_version, offsetof(struct sg_backend_http, version) },
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
	{ "health", sg_f_health_k8s, offsetof(struct agp_in, health) },
	{ "tls", sg_f_node, offsetof(struct agp_in, tls_node) },
	{ "auth", sg_f_node, offsetof(struct agp_in, bauth_node) },
	{ "ai", sg_f_refused, 0 },
	{ "mcp", sg_f_refused, 0 },
	{ "extAuth", sg_f_refused, 0 },
	{ "transformation", sg_f_refused, 0 },
	{ "tunnel", sg_f_refused, 0 },
	{ 0 },
};

static const char *target_ref(struct sg_pctx *c, const struct sg_target *t)
{
	if (t->section)
		return sg_arena_printf(c->a, "%s/%s/%s", t->ns, t->name, t->section);
	return sg_arena_printf(c->a, "%s/%s", t->ns, t->name);
}

/* The settings an AgentgatewayPolicy carries, in the order they become
 * policies: the kind of each, its section, the word of its key. */
enum agp_section { AGP_FRONTEND, AGP_TRAFFIC, AGP_BACKEND };
static const char *const agp_section_names[] = { "frontend", "traffic", "backend" };
static const struct agp_setting {
	enum sg_pol_kind kind;
	enum agp_section section;
	const char *what; /* NULL: the end */
} agp_settings[] = {
	{ SG_POL_FRONTEND_HTTP, AGP_FRONTEND, "frontend-http" },
	{ SG_POL_FRONTEND_TCP, AGP_FRONTEND, "frontend-tcp" },
	{ SG_POL_FRONTEND_TLS, AGP_FRONTEND, "frontend-tls" },
	{ SG_POL_FRONTEND_PROXY, AGP_FRONTEND, "frontend-proxy-protocol" },
	{ SG_POL_FRONTEND_ACCESS_LOG, AGP_FRONTEND, "frontend-access-log" },
	{ SG_POL_FRONTEND_TRACING, AGP_FRONTEND, "frontend-tracing" },
	{ SG_POL_TIMEOUT, AGP_TRAFFIC, "timeout" },
	{ SG_POL_RETRY, AGP_TRAFFIC, "retry" },
	{ SG_POL_BACKEND_TCP, AGP_BACKEND, "backend-tcp" },
	{ SG_POL_BACKEND_HTTP, AGP_BACKEND, "backend-http" },
	{ SG_POL_BACKEND_HEALTH, AGP_BACKEND, "health" },
	{ SG_POL_BACKEND_TLS, AGP_BACKEND, "backend-tls" },
	{ SG_POL_BACKEND_AUTH, AGP_BACKEND, "backend-auth" },
	{ SG_POL_REQUEST_HEADERS, AGP_TRAFFIC, "header-modifier" },
	{ SG_POL_RESPONSE_HEADERS, AGP_TRAFFIC, "resp-header-modifier" },
	{ SG_POL_CORS, AGP_TRAFFIC, "cors" },
	{ SG_POL_DIRECT, AGP_TRAFFIC, "direct-response" },
	{ SG_POL_HOST_REWRITE, AGP_TRAFFIC, "hostname-rewrite" },
	{ SG_POL_LOCAL_RATE_LIMIT, AGP_TRAFFIC, "rl-local" },
	{ SG_POL_CSRF, AGP_TRAFFIC, "csrf" },
	{ SG_POL_REMOTE_RATE_LIMIT, AGP_TRAFFIC, "rl-global" },
	{ SG_POL_JWT, AGP_TRAFFIC, "jwt" },
	{ SG_POL_BASIC, AGP_TRAFFIC, "basicauth" },
	{ SG_POL_API_KEYS, AGP_TRAFFIC, "apikeyauth" },
	{ SG_POL_EXT_AUTHZ, AGP_TRAFFIC, "extauth" },
	{ SG_POL_AUTHZ, AGP_TRAFFIC, "rbac" },
	{ 0 },
};

/* Whether `in` has the setting of kind `kind`; with p, it also goes into
 * p->u. */
static bool agp_has(const struct agp_in *in, enum sg_pol_kind kind, struct sg_policy *p)
{
#define TAKE(flag, field, value)                                                                   \
	if (p && in->flag)                                                                         \
		p->u.field = value;                                                                \
	return in->flag != 0;
	switch (kind) {
	case SG_POL_FRONTEND_HTTP:
		TAKE(has_fhttp, fhttp, in->fhttp)
	case SG_POL_FRONTEND_TCP:
		TAKE(has_ftcp, ftcp, in->ftcp)
	case SG_POL_FRONTEND_TLS:
		TAKE(has_ftls, ftls, in->ftls)
	case SG_POL_FRONTEND_PROXY:
		TAKE(has_fproxy, fproxy, in->fproxy)
	case SG_POL_FRONTEND_ACCESS_LOG:
		TAKE(access, access, in->access)
	case SG_POL_FRONTEND_TRACING:
		TAKE(tracing, tracing, in->tracing)
	case SG_POL_TIMEOUT:
		TAKE(has_timeout, timeout, in->timeout)
	case SG_POL_RETRY:
		TAKE(has_retry, retry, in->retry)
	case SG_POL_BACKEND_TCP:
		TAKE(has_btcp, btcp, in->btcp)
	case SG_POL_BACKEND_HTTP:
		TAKE(has_bhttp, bhttp, in->bhttp)
	case SG_POL_BACKEND_HEALTH:
		TAKE(health, health, in->health)
	case SG_POL_BACKEND_TLS:
		TAKE(btls, btls, in->btls)
	case SG_POL_BACKEND_AUTH:
		TAKE(bauth, backend_auth, in->bauth)
	case SG_POL_REQUEST_HEADERS:
		TAKE(req_headers, hdrmod, in->req_headers)
	case SG_POL_RESPONSE_HEADERS:
		TAKE(resp_headers, hdrmod, in->resp_headers)
	case SG_POL_CORS:
		TAKE(cors, cors, in->cors)
	case SG_POL_DIRECT:
		TAKE(direct, direct, in->direct)
	case SG_POL_HOST_REWRITE:
		TAKE(host_rewrite, rewrite, in->host_rewrite)
	case SG_POL_LOCAL_RATE_LIMIT:
		TAKE(ratelimits, ratelimits, in->ratelimits)
	case SG_POL_CSRF:
		TAKE(csrf, csrf, in->csrf)
	case SG_POL_REMOTE_RATE_LIMIT:
		TAKE(remote_rl, remote_rl, in->remote_rl)
	case SG_POL_JWT:
		TAKE(jwt, jwt, in->jwt)
	case SG_POL_BASIC:
		TAKE(basic, basic, in->basic)
	case SG_POL_API_KEYS:
		TAKE(apikeys, apikeys, in->apikeys)
	case SG_POL_EXT_AUTHZ:
		TAKE(ext_authz, ext_authz, in->ext_authz)
	case SG_POL_AUTHZ:
		TAKE(authz, authz, in->authz)
	case SG_POL_FRONTEND_NETAUTHZ: /* standalone frontendPolicies only */
	case SG_POL_OIDC:	       /* the CRD has no oidc */
	case SG_POL_REDIRECT:	       /* standalone policies: only */
	case SG_POL_URL_REWRITE:
	case SG_POL_MIRROR:
	case SG_POL_TRANSFORM:
	case SG_POL_DELAY:
	case SG_POL_A2A:
		return false;
	}
#undef TAKE
	return false;
}

static struct sg_policy *add_agp_policy(struct sg_draft *b, const struct sg_res *r,
					const struct sg_target *t, const struct agp_setting *s,
					const struct sg_node *at)
{
	struct sg_policy *p = sg_draft_policy(b);

	if (!p)
		return NULL;
	p->key = sg_arena_printf(b->c.a, "%s/%s/%s:%s:%s", agp_section_names[s->section], r->ns,
				 r->name, s->what, target_ref(&b->c, t));
	p->src_kind = r->kind;
	p->src_name = r->name;
	p->src_ns = r->ns;
	p->target = *t;
	p->kind = s->kind;
	p->at = at;
	return p;
}

static int stamp_agp(struct sg_draft *b, const struct sg_res *r, const struct agp_in *in,
		     const struct sg_target *t, const struct sg_node *at)
{
	for (const struct agp_setting *s = agp_settings; s->what; s++) {
		struct sg_policy *p;

		if (!agp_has(in, s->kind, NULL))
			continue;
		if (!(p = add_agp_policy(b, r, t, s, at)))
			return -1;
		agp_has(in, s->kind, p);
		/* agp_phase let only these through with PreRouting. */
		p->gateway_phase = in->gateway_phase &&
				   (p->kind == SG_POL_JWT || p->kind == SG_POL_BASIC ||
				    p->kind == SG_POL_API_KEYS || p->kind == SG_POL_EXT_AUTHZ ||
				    p->kind == SG_POL_AUTHZ || p->kind == SG_POL_CORS);
	}
	return 0;
}

/* Which sections a target kind can carry. `kind` is the target's kind:
 * node, the one the error points at. */
static int check_target_fit(struct sg_pctx *c, const struct agp_in *in, const struct sg_target *t,
			    const struct sg_node *kind, const char *path)
{
	bool has[3] = { false, false, false }; /* by enum agp_section */

	for (const struct agp_setting *s = agp_settings; s->what; s++)
		if (agp_has(in, s->kind, NULL))
			has[s->section] = true;
	if (has[AGP_FRONTEND] && t->kind != SG_TARGET_GATEWAY)
		return sg_expected(c, kind, path, "Gateway (the target of a frontend policy)");
	if (has[AGP_TRAFFIC] && t->kind == SG_TARGET_SERVICE)
		return sg_expected(
			c, kind, path,
			"Gateway, ListenerSet, HTTPRoute or GRPCRoute (the target of a traffic "
			"policy)");
	if (has[AGP_BACKEND] && t->kind != SG_TARGET_SERVICE)
		return sg_expected(c, kind, path, "Service (the target of a backend policy)");
	return 0;
}

static bool target_exists(const struct sg_draft *b, const struct sg_target *t)
{
	static const char *const kind_names[] = { "Gateway", "HTTPRoute", "Service",
						  "ListenerSet" };
	const char *kind = t->kind == SG_TARGET_ROUTE ? sg_route_kind_name(t->route_kind)
						      : kind_names[t->kind];

	return find_res(b, kind, t->ns, t->name) != NULL;
}

static int agp_target(struct sg_draft *b, struct sg_res *r, const struct agp_in *in,
		      const struct sg_node *n, const char *path)
{
	struct sg_pctx *c = &b->c;
	struct target_in ti = { 0 };
	struct sg_target t = { .ns = r->ns };
	struct sg_parent_status *ps;

	if (sg_parse_fields(c, n, target_fields, &ti, path) == -1)
		return -1;
	if (!strcmp(ti.kind, "Gateway"))
		t.kind = SG_TARGET_GATEWAY;
	else if (!strcmp(ti.kind, "HTTPRoute") || !strcmp(ti.kind, "GRPCRoute")) {
		t.kind = SG_TARGET_ROUTE;
		t.route_kind = ti.kind[0] == 'H' ? SG_KIND_HTTPROUTE : SG_KIND_GRPCROUTE;
	} else if (!strcmp(ti.kind, "Service"))
		t.kind = SG_TARGET_SERVICE;
	else if (!strcmp(ti.kind, "ListenerSet"))
		t.kind = SG_TARGET_LISTENERSET; /* a listener of it by sectionName */
	else
		return sg_expected(c, sg_map_get(n, "kind"), sg_path_key(c, path, "kind"),
				   "Gateway, ListenerSet, HTTPRoute, GRPCRoute or Service");
	t.name = ti.name;
	t.section = ti.section;
	if (t.kind == SG_TARGET_SERVICE && ti.section) {
		/* A Service's sectionName is its port name. */
		t.section = NULL;
	}
	if (check_target_fit(c, in, &t, sg_map_get(n, "kind"), sg_path_key(c, path, "kind")) == -1)
		return -1;
	if (in->gateway_phase && t.kind != SG_TARGET_GATEWAY)
		return sg_expected(
			c, sg_map_get(n, "kind"), sg_path_key(c, path, "kind"),
			"Gateway (the 'traffic.phase=PreRouting' field can only target a "
			"Gateway or ListenerSet)");
	ps = sg_arena_push(c->a, &r->status.parents, &r->status.nparents, &r->status.capparents,
			   sizeof(*ps));
	if (!ps)
		return -1;
	ps->kind = ti.kind;
	ps->ns = t.ns;
	ps->name = t.name;
	ps->section = ti.section;
	if (!target_exists(b, &t)) {
		const char *why =
			sg_arena_printf(c->a, "%s %s/%s is not defined", ti.kind, t.ns, t.name);

		cond_set(&ps->accepted, "Accepted", false, "TargetNotFound", why);
		sg_diag_warn(c->d, n, "%s: %s; policy %s/%s has no effect until it is", path, why,
			     r->ns, r->name);
	} else {
		cond_set(&ps->accepted, "Accepted", true, "Accepted", "attached");
	}
	return stamp_agp(b, r, in, &t, n);
}

static int build_agp(struct sg_draft *b, struct sg_res *r)
{
	struct sg_pctx *c = &b->c;
	struct agp_in in = { 0 };
	bool any;

	if (need_spec(c, r) == -1 || sg_parse_fields(c, r->spec, agp_fields, &in, "spec") == -1)
		return -1;
	if ((in.frontend &&
	     sg_parse_fields(c, in.frontend, agp_frontend_fields, &in, "spec.frontend") == -1) ||
	    (in.traffic &&
	     sg_parse_fields(c, in.traffic, agp_traffic_fields, &in, "spec.traffic") == -1) ||
	    (in.backend &&
	     sg_parse_fields(c, in.backend, agp_backend_fields, &in, "spec.backend") == -1))
		return -1;
	if (in.tls_node && !(in.btls = agp_backend_tls(b, r, in.tls_node, "spec.backend.tls")))
		return -1;
	if (in.bauth_node &&
	    !(in.bauth = agp_backend_auth(b, r, in.bauth_node, "spec.backend.auth")))
		return -1;
	if (in.basic_node &&
	    !(in.basic = agp_basic_auth(b, r, in.basic_node, "spec.traffic.basicAuthentication")))
		return -1;
	if (in.apikeys_node && !(in.apikeys = agp_api_keys(b, r, in.apikeys_node,
							   "spec.traffic.apiKeyAuthentication")))
		return -1;
	if (in.ext_authz && in.ext_authz->to.ref_at &&
	    agp_service_ref(b, r, &in.ext_authz->to, "spec.traffic.extAuth.backendRef") == -1)
		return -1;
	if (in.tracing && in.tracing->to.ref_at &&
	    agp_service_ref(b, r, &in.tracing->to, "spec.frontend.tracing.backendRef") == -1)
		return -1;
	if (in.remote_rl && in.remote_rl->to.ref_at &&
	    agp_service_ref(b, r, &in.remote_rl->to, "spec.traffic.rateLimit.global.backendRef") ==
		    -1)
		return -1;
	if (in.phase && agp_phase(c, &in) == -1)
		return -1;
	if (sg_need_seq(c, in.targets, "spec.targetRefs") == -1)
		return -1;
	if (in.targets->n == 0)
		return sg_expected(c, in.targets, "spec.targetRefs", "at least one target");
	any = false;
	for (const struct agp_setting *s = agp_settings; s->what && !any; s++)
		any = agp_has(&in, s->kind, NULL);
	if (!any)
		return sg_expected(c, r->spec, "spec",
				   "at least one of frontend, traffic, backend settings");
	for (size_t i = 0; i < in.targets->n; i++)
		if (agp_target(b, r, &in, in.targets->items[i],
			       sg_path_idx(c, "spec.targetRefs", i)) == -1)
			return -1;
	return 0;
}

/* ---- Gateway spec.tls ---------------------------------------------------- */

/* Gateway API v1.4's Gateway spec.tls: frontend.default and
 * frontend.perPort[] name the CAs that sign the client certificates the
 * terminating listeners of a port ask for (agentgateway's controller
 * gives them to its ListenerSets' listeners too); backend's
 * clientCertificateRef is what the Gateway presents to the backends of a
 * BackendTLSPolicy. Checked whole by f_gw_tls; read again, by port, when
 * a listener is built. */
struct gwtls_in {
	const struct sg_node *frontend, *backend;
};

static const struct sg_field gwtls_fields[] = {
	{ "frontend", sg_f_node, offsetof(struct gwtls_in, frontend) },
	{ "backend", sg_f_node, offsetof(struct gwtls_in, backend) },
	{ 0 },
};

struct front_in {
	const struct sg_node *def, *per_port;
};

static const struct sg_field front_fields[] = {
	{ "default", sg_f_node, offsetof(struct front_in, def), true },
	{ "perPort", sg_f_node, offsetof(struct front_in, per_port) },
	{ 0 },
};

struct port_tls_in {
	uint16_t port;
	const struct sg_node *tls;
};

static const struct sg_field port_tls_fields[] = {
	{ "port", sg_f_port, offsetof(struct port_tls_in, port), true },
	{ "tls", sg_f_node, offsetof(struct port_tls_in, tls), true },
	{ 0 },
};

static const struct sg_field tls_config_fields[] = {
	{ "validation", sg_f_node, 0 },
	{ 0 },
};

struct validation_in {
	const struct sg_node *cas;
	const char *mode;
};

static const struct sg_field validation_fields[] = {
	{ "caCertificateRefs", sg_f_node, offsetof(struct validation_in, cas), true },
	{ "mode", sg_f_str, offsetof(struct validation_in, mode) },
	{ 0 },
};

/* An ObjectReference: group and kind are the API's to require. */
static const struct sg_field obj_ref_fields[] = {
	{ "group", sg_f_str, offsetof(struct cert_ref_in, group), true },
	{ "kind", sg_f_str, offsetof(struct cert_ref_in, kind), true },
	{ "name", sg_f_str, offsetof(struct cert_ref_in, name), true },
	{ "namespace", sg_f_str, offsetof(struct cert_ref_in, ns) },
	{ 0 },
};

static const struct sg_field gwback_fields[] = {
	{ "clientCertificateRef", sg_f_node, 0 },
	{ 0 },
};

/* A TLSConfig: {validation: {caCertificateRefs: [1..16], mode}}. */
static int tls_config_check(struct sg_pctx *c, const struct sg_node *n, const char *path)
{
	const struct sg_node *v = NULL;
	struct validation_in in = { NULL, "AllowValidOnly" };
	const char *vp = sg_path_key(c, path, "validation"), *cp;

	if (sg_parse_fields(c, n, tls_config_fields, &v, path) == -1)
		return -1;
	if (!v || sg_node_is_null(v))
		return 0;
	if (sg_parse_fields(c, v, validation_fields, &in, vp) == -1)
		return -1;
	if (strcmp(in.mode, "AllowValidOnly") && strcmp(in.mode, "AllowInsecureFallback"))
		return sg_expected(c, sg_map_get(v, "mode"), sg_path_key(c, vp, "mode"),
				   "AllowValidOnly or AllowInsecureFallback");
	cp = sg_path_key(c, vp, "caCertificateRefs");
	if (sg_need_seq(c, in.cas, cp) == -1)
		return -1;
	if (in.cas->n < 1 || in.cas->n > 16)
		return sg_expected(c, in.cas, cp, "1 to 16 references");
	for (size_t i = 0; i < in.cas->n; i++) {
		struct cert_ref_in r = { 0 };

		if (sg_parse_fields(c, in.cas->items[i], obj_ref_fields, &r,
				    sg_path_idx(c, cp, i)) == -1)
			return -1;
	}
	return 0;
}

/* A perPort entry's port, as checked (0: none). */
static uint16_t port_of(const struct sg_node *entry)
{
	const struct sg_node *p = sg_map_get(entry, "port");

	return p && p->kind == SG_NODE_SCALAR ? (uint16_t)strtoul(p->str, NULL, 10) : 0;
}

static int f_gw_tls(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct gwtls_in in = { 0 };
	struct front_in f = { 0 };
	const char *fp = sg_path_key(c, path, "frontend"), *bp = sg_path_key(c, path, "backend");
	const char *pp = sg_path_key(c, fp, "perPort");
	const struct sg_node *ref = NULL;
	struct cert_ref_in r = { 0 };

	*(const struct sg_node **)dst = n;
	if (sg_parse_fields(c, n, gwtls_fields, &in, path) == -1)
		return -1;
	if (in.backend &&
	    (sg_parse_fields(c, in.backend, gwback_fields, &ref, bp) == -1 ||
	     (ref && sg_parse_fields(c, ref, cert_ref_fields, &r,
				     sg_path_key(c, bp, "clientCertificateRef")) == -1)))
		return -1;
	if (!in.frontend)
		return 0;
	if (sg_parse_fields(c, in.frontend, front_fields, &f, fp) == -1 ||
	    tls_config_check(c, f.def, sg_path_key(c, fp, "default")) == -1)
		return -1;
	if (!f.per_port)
		return 0;
	if (sg_need_seq(c, f.per_port, pp) == -1)
		return -1;
	for (size_t i = 0; i < f.per_port->n; i++) {
		struct port_tls_in p = { 0 };
		const char *ip = sg_path_idx(c, pp, i);

		if (sg_parse_fields(c, f.per_port->items[i], port_tls_fields, &p, ip) == -1 ||
		    tls_config_check(c, p.tls, sg_path_key(c, ip, "tls")) == -1)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (port_of(f.per_port->items[j]) == p.port)
				return sg_expected(c, sg_map_get(f.per_port->items[i], "port"),
						   sg_path_key(c, ip, "port"),
						   "a port no other perPort entry names");
	}
	return 0;
}

/* The validation Gateway gw's spec.tls.frontend gives `port` (its perPort
 * entry's, else the default's), or NULL: none. */
static const struct sg_node *frontend_validation(const struct sg_res *gw, uint16_t port)
{
	const struct sg_node *f = sg_map_get(sg_map_get(gw->spec, "tls"), "frontend");
	const struct sg_node *pp = sg_map_get(f, "perPort");
	const struct sg_node *cfg = sg_map_get(f, "default");

	for (size_t i = 0; pp && pp->kind == SG_NODE_SEQ && i < pp->n; i++)
		if (port_of(pp->items[i]) == port) {
			cfg = sg_map_get(pp->items[i], "tls");
			break;
		}
	cfg = sg_map_get(cfg, "validation");
	return cfg && !sg_node_is_null(cfg) ? cfg : NULL;
}

/* One caCertificateRef of Gateway gw: a ConfigMap (or a Secret) with the
 * PEM under ca.crt, of another namespace only with a ReferenceGrant. Its
 * certificates join t->root_pem. Returns NULL, or why not with *reason
 * the listener's ResolvedRefs reason (Gateway API's). */
static const char *client_ca(struct sg_draft *b, const struct sg_res *gw, const struct sg_node *ref,
			     struct sg_tls_cert *t, const char **reason)
{
	struct sg_arena *a = b->c.a;
	const char *group = ref_str(ref, "group"), *kind = ref_str(ref, "kind");
	const char *name = ref_str(ref, "name"), *ns = ref_str(ref, "namespace");
	const struct sg_res *m;
	const char *pem;
	size_t len = 0;

	if (!*ns)
		ns = gw->ns;
	*reason = "InvalidCACertificateKind";
	if ((strcmp(group, "") && strcmp(group, "core")) ||
	    (strcmp(kind, "ConfigMap") && strcmp(kind, "Secret")))
		return sg_arena_printf(a, "kind %s%s%s is neither a ConfigMap nor a Secret", group,
				       *group ? "/" : "", kind);
	*reason = "RefNotPermitted";
	if (strcmp(ns, gw->ns) && !grant_allows(b, "Gateway", gw->ns, kind, ns, name))
		return sg_arena_printf(a, "%s %s/%s: no ReferenceGrant in %s allows it", kind, ns,
				       name, ns);
	*reason = "InvalidCACertificateRef";
	if (!(m = res_find(b, kind, ns, name)))
		return sg_arena_printf(a, "%s %s/%s not found", kind, ns, name);
	pem = !strcmp(kind, "Secret") ? secret_key(b, m, "ca.crt", &len)
				      : configmap_key(b, m, "ca.crt", &len);
	if (!pem || !strstr(pem, "-----BEGIN CERTIFICATE-----"))
		return sg_arena_printf(a, "%s %s/%s: no PEM certificate under ca.crt", kind, ns,
				       name);
	t->root_pem = t->root_pem ? sg_arena_printf(a, "%s\n%s", t->root_pem, pem)
				  : sg_arena_strndup(a, pem, len);
	t->root_len = t->root_pem ? strlen(t->root_pem) : 0;
	*reason = NULL;
	return NULL;
}

/* Listener l of `owner` (Gateway gw, or a ListenerSet on it), if it
 * terminates TLS, asks for client certificates where gw's spec.tls says
 * so for its port: its certificate gets the CAs that resolve. When none
 * does it serves nothing (Accepted False, NoValidCACertificate); when
 * some do not, ResolvedRefs says so and the others sign. */
static int client_validation(struct sg_draft *b, const struct sg_res *owner,
			     const struct sg_res *gw, struct sg_listener *l)
{
	const struct sg_node *v = l->tls ? frontend_validation(gw, l->port) : NULL;
	const struct sg_node *cas = sg_map_get(v, "caCertificateRefs");
	const char *reason = NULL, *message = NULL;
	struct sg_tls_cert *t;

	if (!v)
		return 0;
	if (!(t = sg_arena_alloc(b->c.a, sizeof(*t))))
		return -1;
	*t = *l->tls;
	t->root_pem = NULL;
	t->root_len = 0;
	t->root_optional = node_is(sg_map_get(v, "mode"), "AllowInsecureFallback");
	for (size_t i = 0; cas && cas->kind == SG_NODE_SEQ && i < cas->n; i++) {
		const char *r = NULL, *why = client_ca(b, gw, cas->items[i], t, &r);

		if (why && !reason) {
			reason = r;
			message = sg_arena_printf(b->c.a, "caCertificateRefs[%zu]: %s", i, why);
		}
	}
	l->tls = t->root_pem ? t : NULL;
	if (!reason)
		return 0;
	if (!message)
		return -1;
	if (!t->root_pem) {
		l->tls_reason = reason;
		l->tls_message = message;
		l->no_valid_ca = true;
	} else {
		l->ca_reason = reason;
		l->ca_message = message;
	}
	sg_diag_warn(b->c.d, v, "%s %s/%s: listener %s: client certificate validation: %s; %s",
		     owner->kind, owner->ns, owner->name, l->name, message,
		     t->root_pem ? "the other CAs are asked for" : "it serves nothing");
	return 0;
}

/* Gateway r's spec.tls.backend.clientCertificateRef: a Secret with
 * tls.crt and tls.key (kubernetes.io/tls, or another type with those
 * keys), of another namespace only with a ReferenceGrant, into
 * r->gw_client: the certificate, or why it is unusable (the connections
 * that would present it then fail, as agentgateway's do). Sets the
 * Gateway's ResolvedRefs, which agentgateway's controller shows only
 * where spec.tls.backend is given. */
static int gw_backend_client(struct sg_draft *b, struct sg_res *r)
{
	const struct sg_node *back = sg_map_get(sg_map_get(r->spec, "tls"), "backend");
	const struct sg_node *ref = sg_map_get(back, "clientCertificateRef");
	struct sg_arena *a = b->c.a;
	const char *group, *kind, *name, *ns, *reason = "InvalidClientCertificateRef", *why = NULL;
	const struct sg_res *s;
	struct sg_backend_tls *t;

	if (!back || sg_node_is_null(back))
		return 0;
	cond_set(&r->status.gw_resolved, "ResolvedRefs", true, "ResolvedRefs",
		 "All references were resolved");
	if (!ref || sg_node_is_null(ref))
		return 0;
	if (!(t = sg_arena_alloc(a, sizeof(*t))))
		return -1;
	memset(t, 0, sizeof(*t));
	group = ref_str(ref, "group");
	kind = *ref_str(ref, "kind") ? ref_str(ref, "kind") : "Secret";
	name = ref_str(ref, "name");
	ns = *ref_str(ref, "namespace") ? ref_str(ref, "namespace") : r->ns;
	if ((strcmp(group, "") && strcmp(group, "core")) || strcmp(kind, "Secret")) {
		why = sg_arena_printf(a, "kind %s%s%s is not a Secret", group, *group ? "/" : "",
				      kind);
	} else if (strcmp(ns, r->ns) && !grant_allows(b, "Gateway", r->ns, "Secret", ns, name)) {
		reason = "RefNotPermitted";
		why = sg_arena_printf(a, "Secret %s/%s: no ReferenceGrant in %s allows it", ns,
				      name, ns);
	} else if (!(s = res_find(b, "Secret", ns, name))) {
		why = sg_arena_printf(a, "Secret %s/%s not found", ns, name);
	} else if (!(t->cert_pem = secret_key(b, s, "tls.crt", &t->cert_len)) ||
		   !(t->key_pem = secret_key(b, s, "tls.key", &t->key_len)) ||
		   !strstr(t->cert_pem, "-----BEGIN") || !strstr(t->key_pem, "-----BEGIN")) {
		why = sg_arena_printf(a, "Secret %s/%s: tls.crt and tls.key must be PEM data", ns,
				      name);
	}
	if (why) {
		*t = (struct sg_backend_tls){ 0 };
		t->invalid = sg_arena_printf(a, "spec.tls.backend.clientCertificateRef: %s", why);
		if (!t->invalid)
			return -1;
		cond_set(&r->status.gw_resolved, "ResolvedRefs", false, reason, t->invalid);
		sg_diag_warn(b->c.d, ref,
			     "Gateway %s/%s: %s; TLS to the backends of its BackendTLSPolicies "
			     "fails until it is",
			     r->ns, r->name, t->invalid);
	} else {
		struct sg_cfg *cfg = b->cfg;
		struct sg_gw_client *g = sg_arena_push(a, &cfg->gw_clients, &cfg->ngw_clients,
						       &cfg->capgw_clients, sizeof(*g));

		if (!g)
			return -1;
		*g = (struct sg_gw_client){
			.t = t,
			.resolved = &r->status.gw_resolved,
			.at = ref,
			.gw_ns = r->ns,
			.gw_name = r->name,
			.secret = sg_arena_printf(a, "%s/%s", ns, name),
		};
	}
	r->gw_client = t;
	return 0;
}

/* A validation mode, default or per port, lets clients through without
 * a valid certificate: the Gateway says so (InsecureFrontendValidationMode). */
static bool gw_insecure(const struct sg_res *r)
{
	const struct sg_node *f = sg_map_get(sg_map_get(r->spec, "tls"), "frontend");
	const struct sg_node *pp = sg_map_get(f, "perPort");
	const char *mode = "AllowInsecureFallback";
	bool any = node_is(sg_map_get(sg_map_get(sg_map_get(f, "default"), "validation"), "mode"),
			   mode);

	for (size_t i = 0; pp && pp->kind == SG_NODE_SEQ && i < pp->n; i++)
		any |= node_is(sg_map_get(sg_map_get(sg_map_get(pp->items[i], "tls"), "validation"),
					  "mode"),
			       mode);
	return any;
}

/* What Gateway r's spec.tls gives the Gateway itself. */
static int gw_spec_tls(struct sg_draft *b, struct sg_res *r)
{
	if (gw_insecure(r))
		cond_set(&r->status.gw_insecure, "InsecureFrontendValidationMode", true,
			 "ConfigurationChanged",
			 "a client whose certificate is missing or does not verify is served "
			 "(mode AllowInsecureFallback)");
	return gw_backend_client(b, r);
}

/* ---- ListenerSet ------------------------------------------------------------ */

/* A ListenerSet (gateway.networking.k8s.io/v1; XListenerSet of
 * gateway.networking.x-k8s.io/v1alpha1 before it, GEP-1713) adds
 * listeners to a Gateway whose spec.allowedListeners takes its namespace.
 * On the host they are the Gateway's: built as its own are, they share
 * its ports where the protocols agree. They keep their names, their keys
 * (ns/listenerset.listener, as agentgateway's) and their routes: a route
 * reaches them by naming the ListenerSet, never the Gateway. Of two
 * listeners that conflict, the one first in precedence keeps serving: the
 * Gateway's own, then the ListenerSets by age (the change that first
 * brought them), then by namespace/name. */

struct al_in {
	const struct sg_node *namespaces;
};

static const struct sg_field al_fields[] = {
	{ "namespaces", sg_f_node, offsetof(struct al_in, namespaces) },
	{ 0 },
};

/* A Gateway's spec.allowedListeners: namespaces.from None (the default),
 * Same, All, or Selector with its selector; read again by ls_allowed. */
static int f_allowed_listeners(struct sg_pctx *c, const struct sg_node *n, void *dst,
			       const char *path)
{
	struct al_in in = { 0 };
	struct ns_in ns = { "None", NULL };
	const char *np = sg_path_key(c, path, "namespaces");
	int unused;

	*(const struct sg_node **)dst = n;
	if (sg_parse_fields(c, n, al_fields, &in, path) == -1)
		return -1;
	if (!in.namespaces || sg_node_is_null(in.namespaces))
		return 0;
	if (sg_parse_fields(c, in.namespaces, ns_fields, &ns, np) == -1)
		return -1;
	if (strcmp(ns.from, "None") && strcmp(ns.from, "Same") && strcmp(ns.from, "All") &&
	    strcmp(ns.from, "Selector"))
		return sg_expected(c, sg_map_get(in.namespaces, "from"), sg_path_key(c, np, "from"),
				   "None, Same, All or Selector");
	if (!strcmp(ns.from, "Selector") && !ns.selector)
		return sg_expected(c, in.namespaces, np, "a selector when from is Selector");
	if (ns.selector && sg_parse_fields(c, ns.selector, selector_fields, &unused,
					   sg_path_key(c, np, "selector")) == -1)
		return -1;
	return 0;
}

/* Whether Gateway gw takes ListenerSets from namespace ns. */
static bool ls_allowed(const struct sg_draft *b, const struct sg_res *gw, const char *ns)
{
	const struct sg_node *nss =
		sg_map_get(sg_map_get(gw->spec, "allowedListeners"), "namespaces");
	const struct sg_node *from = sg_map_get(nss, "from");

	if (node_is(from, "All"))
		return true;
	if (node_is(from, "Same"))
		return !strcmp(gw->ns, ns);
	if (node_is(from, "Selector"))
		return sg_k8s_selector_matches(b, sg_map_get(nss, "selector"), ns);
	return false; /* None */
}

struct ls_parent_in {
	const char *group, *kind, *name, *ns;
};

static const struct sg_field ls_parent_fields[] = {
	{ "group", sg_f_str, offsetof(struct ls_parent_in, group) },
	{ "kind", sg_f_str, offsetof(struct ls_parent_in, kind) },
	{ "name", sg_f_str, offsetof(struct ls_parent_in, name), true },
	{ "namespace", sg_f_str, offsetof(struct ls_parent_in, ns) },
	{ 0 },
};

struct ls_in {
	const struct sg_node *parent, *listeners;
};

static const struct sg_field ls_fields[] = {
	{ "parentRef", sg_f_node, offsetof(struct ls_in, parent), true },
	{ "listeners", sg_f_node, offsetof(struct ls_in, listeners), true },
	{ 0 },
};

/* ListenerSet r is not attached: Accepted and Programmed False, `reason`. */
static void ls_detach(struct sg_draft *b, struct sg_res *r, const struct sg_node *at,
		      const char *reason, const char *why)
{
	cond_set(&r->status.detached, "Accepted", false, reason, why);
	sg_diag_warn(b->c.d, at, "%s %s/%s: not attached (%s): %s", r->kind, r->ns, r->name, reason,
		     why);
}

/* Listener `l` of a ListenerSet loses to one before it on its port with
 * the same hostname: the Gateway's own (conflicted or not, as a request
 * could not tell them apart) or a ListenerSet's that kept serving. */
static void ls_conflict(const struct sg_bind *bind, struct sg_listener *l)
{
	for (size_t i = 0; i < bind->nlisteners; i++) {
		const struct sg_listener *o = &bind->listeners[i];

		if (o != l && o->gw_name && !(o->ls_kind && o->conflicted) &&
		    !strcasecmp(o->hostname, l->hostname))
			l->conflicted = true;
	}
}

/* Listener n of ListenerSet r, built as a Gateway's is (a protocol that
 * is not served or conflicts leaves it for the status alone), then made
 * the ListenerSet's on Gateway gw. */
static int ls_listener(struct sg_draft *b, const struct sg_res *r, const struct sg_res *gw,
		       const struct sg_node *n, const char *path)
{
	struct sg_cfg *cfg = b->cfg;
	size_t nbad = cfg->nbad_listeners;

	if (build_gw_listener(b, r, gw, n, path) == -1)
		return -1;
	if (cfg->nbad_listeners > nbad) {
		struct sg_bad_listener *bl = &cfg->bad_listeners[nbad];

		bl->ls_kind = r->kind;
		bl->ls_ns = r->ns;
		bl->ls_name = r->name;
		bl->gw_ns = gw->ns;
		bl->gw_name = gw->name;
		return 0;
	}
	for (size_t i = 0; i < cfg->nbinds; i++)
		for (size_t j = 0; j < cfg->binds[i].nlisteners; j++) {
			struct sg_listener *l = &cfg->binds[i].listeners[j];

			if (l->at != n)
				continue;
			l->ls_kind = r->kind;
			l->ls_ns = r->ns;
			l->ls_name = r->name;
			l->gw_ns = gw->ns;
			l->gw_name = gw->name;
			ls_conflict(&cfg->binds[i], l);
			return 0;
		}
	return 0;
}

static int build_listenerset(struct sg_draft *b, struct sg_res *r)
{
	struct sg_pctx *c = &b->c;
	struct ls_in in = { 0 };
	struct ls_parent_in p = { GW_API_GROUP, "Gateway", NULL, NULL };
	const struct sg_res *gw;
	int ret = 0;

	if (need_spec(c, r) == -1 || sg_parse_fields(c, r->spec, ls_fields, &in, "spec") == -1 ||
	    sg_parse_fields(c, in.parent, ls_parent_fields, &p, "spec.parentRef") == -1)
		return -1;
	if (strcmp(p.group, GW_API_GROUP) || strcmp(p.kind, "Gateway"))
		return sg_expected(c, in.parent, "spec.parentRef",
				   "a Gateway (group " GW_API_GROUP ", kind Gateway)");
	if (sg_need_seq(c, in.listeners, "spec.listeners") == -1)
		return -1;
	if (in.listeners->n == 0 || in.listeners->n > SG_MAX_PARENT_LISTENERS)
		return sg_expected(c, in.listeners, "spec.listeners", "1 to 64 listeners");
	if (listeners_unique(c, in.listeners, "ListenerSet") == -1)
		return -1;
	if (!p.ns)
		p.ns = r->ns;
	gw = find_res(b, "Gateway", p.ns, p.name);
	if (!gw) {
		ls_detach(b, r, in.parent, "ParentNotAccepted",
			  sg_arena_printf(c->a, "Gateway %s/%s is not defined", p.ns, p.name));
		return 0;
	}
	if (!ls_allowed(b, gw, r->ns)) {
		ls_detach(b, r, in.parent, "NotAllowed",
			  sg_arena_printf(c->a,
					  "Gateway %s/%s takes no ListenerSet from namespace %s "
					  "(its spec.allowedListeners)",
					  gw->ns, gw->name, r->ns));
		return 0;
	}
	for (size_t i = 0; i < in.listeners->n; i++)
		if (ls_listener(b, r, gw, in.listeners->items[i],
				sg_path_idx(c, "spec.listeners", i)) == -1)
			ret = -1;
	return ret;
}

/* Listener precedence between ListenerSets: the older first, then by
 * namespace and name. */
static int ls_before(const void *x, const void *y)
{
	const struct sg_res *a = *(const struct sg_res *const *)x;
	const struct sg_res *b = *(const struct sg_res *const *)y;
	int c;

	if (a->era != b->era)
		return a->era < b->era ? -1 : 1;
	if ((c = strcmp(a->ns, b->ns)) || (c = strcmp(a->name, b->name)))
		return c;
	return strcmp(a->kind, b->kind);
}

/* Every ListenerSet and XListenerSet, in precedence order (after the
 * Gateways, whose listeners come first). */
/* The CRDs' minItems and maxItems on the lists a user writes: the API
 * server refuses a resource past them. A path is read from spec: keys,
 * and "[]" for each item of a list. */
static const struct list_bound {
	const char *kind, *path;
	size_t min, max;
} list_bounds[] = {
	{ "Gateway", "listeners", 1, 64 },
	{ "Gateway", "listeners[].tls.certificateRefs", 0, 64 },
	{ "Gateway", "listeners[].allowedRoutes.kinds", 0, 8 },
	{ "HTTPRoute", "parentRefs", 0, 32 },
	{ "HTTPRoute", "hostnames", 0, 16 },
	{ "HTTPRoute", "rules", 0, 16 },
	{ "HTTPRoute", "rules[].matches", 0, 64 },
	{ "HTTPRoute", "rules[].matches[].headers", 0, 16 },
	{ "HTTPRoute", "rules[].matches[].queryParams", 0, 16 },
	{ "HTTPRoute", "rules[].filters", 0, 16 },
	{ "HTTPRoute", "rules[].backendRefs", 0, 16 },
	{ "HTTPRoute", "rules[].backendRefs[].filters", 0, 16 },
	{ "GRPCRoute", "parentRefs", 0, 32 },
	{ "GRPCRoute", "hostnames", 0, 16 },
	{ "GRPCRoute", "rules", 0, 16 },
	{ "GRPCRoute", "rules[].matches", 0, 64 },
	{ "GRPCRoute", "rules[].matches[].headers", 0, 16 },
	{ "GRPCRoute", "rules[].filters", 0, 16 },
	{ "GRPCRoute", "rules[].backendRefs", 0, 16 },
	{ "GRPCRoute", "rules[].backendRefs[].filters", 0, 16 },
	{ "TCPRoute", "parentRefs", 0, 32 },
	{ "TCPRoute", "rules", 1, 16 },
	{ "TCPRoute", "rules[].backendRefs", 1, 16 },
	{ "TLSRoute", "parentRefs", 0, 32 },
	{ "TLSRoute", "hostnames", 0, 1024 },
	{ "TLSRoute", "rules[].backendRefs", 1, 16 },
};

/* The list at `rest` below n (path: n's, for the message) within lb's
 * bounds; what is missing or not a list is left to the resource's parser. */
static int bound_list(struct sg_pctx *c, const struct sg_node *n, const char *rest,
		      const char *path, const struct list_bound *lb)
{
	size_t klen = strcspn(rest, ".[");
	bool each = rest[klen] == '[';
	const char *next = rest + klen + (each ? 2 : 0);
	char key[64], sub[232];
	const struct sg_node *v;

	snprintf(key, sizeof(key), "%.*s", (int)klen, rest);
	snprintf(sub, sizeof(sub), "%.160s.%s", path, key);
	if (!(v = sg_map_get(n, key)) || v->kind != SG_NODE_SEQ)
		return 0;
	if (!each) {
		if (v->n >= lb->min && v->n <= lb->max)
			return 0;
		sg_diag_err(c->d, v, "%s: expected %zu to %zu items (the %s CRD's bounds), got %zu",
			    sub, lb->min, lb->max, lb->kind, v->n);
		return -1;
	}
	for (size_t i = 0; i < v->n; i++) {
		char item[sizeof(sub) + 24];

		snprintf(item, sizeof(item), "%s[%zu]", sub, i);
		if (bound_list(c, v->items[i], *next == '.' ? next + 1 : next, item, lb) == -1)
			return -1;
	}
	return 0;
}

/* r's lists within the CRD's bounds; and, for an HTTPRoute or GRPCRoute,
 * its CEL rule: at most 128 matches over all its rules. */
static int bound_lists(struct sg_pctx *c, const struct sg_res *r)
{
	const struct sg_node *rules = sg_map_get(r->spec, "rules");
	size_t matches = 0;

	if (!r->spec)
		return 0;
	for (size_t i = 0; i < sizeof(list_bounds) / sizeof(list_bounds[0]); i++)
		if (!strcmp(list_bounds[i].kind, r->kind) &&
		    bound_list(c, r->spec, list_bounds[i].path, "spec", &list_bounds[i]) == -1)
			return -1;
	if (strcmp(r->kind, "HTTPRoute") && strcmp(r->kind, "GRPCRoute"))
		return 0;
	for (size_t i = 0; rules && rules->kind == SG_NODE_SEQ && i < rules->n; i++) {
		const struct sg_node *m = sg_map_get(rules->items[i], "matches");

		matches += m && m->kind == SG_NODE_SEQ ? m->n : 0;
	}
	if (matches <= 128)
		return 0;
	sg_diag_err(c->d, rules,
		    "spec.rules: expected at most 128 matches over all rules (the %s CRD's "
		    "bound), got %zu",
		    r->kind, matches);
	return -1;
}

static int build_listenersets(struct sg_draft *b)
{
	struct sg_res **ls = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	for (size_t i = 0; i < b->nres; i++) {
		struct sg_res **slot;

		if (strcmp(b->res[i].kind, "ListenerSet") && strcmp(b->res[i].kind, "XListenerSet"))
			continue;
		if (!(slot = sg_arena_push(b->c.a, &ls, &n, &cap, sizeof(*slot))))
			return -1;
		*slot = &b->res[i];
	}
	if (n)
		qsort(ls, n, sizeof(*ls), ls_before);
	for (size_t i = 0; i < n; i++)
		if (bound_lists(&b->c, ls[i]) == -1 || build_listenerset(b, ls[i]) == -1)
			ret = -1;
	return ret;
}

/* ---- the build, in dependency order ------------------------------------ */

static int build_kind(struct sg_draft *b, const char *kind,
		      int (*fn)(struct sg_draft *, struct sg_res *))
{
	int ret = 0;

	for (size_t i = 0; i < b->nres; i++)
		if (!strcmp(b->res[i].kind, kind) &&
		    (bound_lists(&b->c, &b->res[i]) == -1 || fn(b, &b->res[i]) == -1))
			ret = -1;
	return ret;
}

/* Gateway listeners that a request could not tell apart: the same port
 * and hostname (of one Gateway or of two: on one host they share the
 * port). Gateway API, "Handling indistinct Listeners": each is Conflicted
 * and none is picked as the winner. */
static int mark_conflicts(struct sg_draft *b)
{
	for (size_t i = 0; i < b->cfg->nbinds; i++) {
		struct sg_bind *bind = &b->cfg->binds[i];

		for (size_t j = 0; j < bind->nlisteners; j++)
			for (size_t k = j + 1; k < bind->nlisteners; k++) {
				struct sg_listener *x = &bind->listeners[j],
						   *y = &bind->listeners[k];

				if (x->gw_name && y->gw_name &&
				    !strcasecmp(x->hostname, y->hostname))
					x->conflicted = y->conflicted = true;
			}
	}
	return 0;
}

int sg_k8s_build(struct sg_draft *b)
{
	if (build_kind(b, "Service", build_service) == -1 ||
	    build_kind(b, "EndpointSlice", build_slice) == -1 ||
	    build_kind(b, "Gateway", build_gateway) == -1 || mark_conflicts(b) == -1 ||
	    build_listenersets(b) == -1 || build_kind(b, "ReferenceGrant", build_grant) == -1 ||
	    build_kind(b, "HTTPRoute", build_httproute) == -1 ||
	    build_kind(b, "GRPCRoute", build_grpcroute) == -1 ||
	    build_kind(b, "TCPRoute", build_tcproute) == -1 ||
	    build_kind(b, "TLSRoute", build_tlsroute) == -1 ||
	    build_kind(b, "AgentgatewayPolicy", build_agp) == -1 ||
	    build_kind(b, "BackendTLSPolicy", build_btls) == -1)
		return -1;
	return 0;
}
